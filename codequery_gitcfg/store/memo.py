"""Verdicts that outlive the process: ids of contents that passed the gate.

A blob id (or a content hash) names its bytes, so content that passed once
passes again under the same rules: an unchanged staged config then costs no
parse and no jsonschema import. The key of the whole memo is everything that
can change a verdict: our version, the bytes of the schema and of every module
of the judging core, and the installed jsonschema. A memo whose key differs,
or that cannot be read, is ignored and started again; it is only ever a hint
that something already passed, never a source of values.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from typing import Optional

from ..core.version import __version__
from .atomic import write_atomic

LIMIT = 64 * 1024
_key: Optional[str] = None


def rules_key() -> str:
    """Changes whenever the code, the schema or the reference validator may have changed."""
    global _key
    if _key is None:
        digest = hashlib.sha256(__version__.encode())
        core = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core")
        for name in sorted(os.listdir(core)):
            if name.endswith((".py", ".json")):
                with open(os.path.join(core, name), "rb") as f:
                    digest.update(name.encode() + b"\0" + f.read())
        spec = importlib.util.find_spec("jsonschema")
        if spec is not None and spec.origin:
            st = os.stat(spec.origin)
            digest.update(f"{spec.origin} {st.st_size} {st.st_mtime_ns}".encode())
        _key = "rules " + digest.hexdigest()
    return _key


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read(LIMIT + 1)
    except OSError:
        return ""


def passed(path: str, content_id: str) -> bool:
    """True when ``content_id`` passed under the current rules."""
    lines = _read(path).splitlines()
    return bool(lines) and lines[0] == rules_key() and content_id in lines[1:]


def remember(path: str, content_id: str) -> None:
    """Record that ``content_id`` passed; a memo that cannot be written only costs time."""
    key = rules_key()
    current = _read(path)
    try:
        if current.startswith(key + "\n") and len(current) < LIMIT:
            with open(path, "a", encoding="ascii") as f:
                f.write(content_id + "\n")
        else:  # new rules, or full: start again
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, f"{key}\n{content_id}\n".encode("ascii"))
    except OSError:
        pass
