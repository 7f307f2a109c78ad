"""Keep a file's formatting across rewrites, so a migration's diff is minimal."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Union

_INDENT = re.compile(r"[\[{][ \t]*\r?\n([ \t]+)\S")


@dataclass(frozen=True)
class Style:
    indent: Union[int, str] = 2
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False


def detect(text: str, bom: bool = False) -> Style:
    m = _INDENT.search(text)
    indent: Union[int, str] = 2
    if m:
        ws = m.group(1)
        indent = "\t" if ws.startswith("\t") else len(ws)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Style(indent, newline, text.endswith("\n"), bom)


def dump(config: Any, style: Style = Style()) -> bytes:
    text = json.dumps(config, indent=style.indent, ensure_ascii=False)
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    if style.final_newline:
        text += style.newline
    if style.bom:
        text = "\ufeff" + text
    return text.encode("utf-8")
