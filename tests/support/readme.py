"""The README's code blocks, read as the tests that run them need them."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

README = Path(__file__).resolve().parents[2] / "README.md"
HOOKS_FILE = README.parent / ".pre-commit-hooks.yaml"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(lang: str) -> List[str]:
    return [m.group(2) for m in _FENCE.finditer(README.read_text(encoding="utf-8")) if m.group(1) == lang]


def block(lang: str, containing: str) -> str:
    found = [b for b in blocks(lang) if containing in b]
    assert len(found) == 1, f"README: {len(found)} ```{lang} blocks contain {containing!r}"
    return found[0]
