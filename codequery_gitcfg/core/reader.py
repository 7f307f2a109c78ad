"""Strict reading: bytes → text → a JSON object, refusing anything ambiguous."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, NoReturn, Optional, Tuple

from . import positions
from .errors import ConflictError, Problem, ReadError
from .jsonvalue import encodable

MAX_BYTES = 1024 * 1024
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: skipped here, kept by a rewrite (core.document)
MAX_DEPTH = 32
MAX_INT_DIGITS = 4300  # CPython's own default limit for int(str)

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_BRACKETS = re.compile(r"[\[\]{}]")
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _utf32(data: bytes) -> bool:
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return True
    # Without a BOM, an ASCII first character leaves three zero bytes beside it.
    return len(data) >= 4 and (data[1:4] == b"\0\0\0" or data[:3] == b"\0\0\0")


def decode(data: bytes) -> str:
    if _utf32(data):
        raise ReadError("config file is UTF-32 encoded; save it as UTF-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 2 and (data[0] == 0 or data[1] == 0)):
        raise ReadError("config file is UTF-16 encoded; save it as UTF-8")
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReadError([Problem("", f"config file is not valid UTF-8 (byte {exc.start})", line)]) from None


def check_conflict_markers(text: str) -> None:
    m = _CONFLICT.search(text)
    if m:
        line = positions.line_of(text, m.start())
        raise ConflictError(
            [Problem("", f"unresolved merge conflict marker {m.group(1)!r} at line {line}; "
                         "resolve the merge conflict first", line, 1)]
        )


def _depth_problem(text: str) -> Optional[Problem]:
    # Cheap test first: a small config has a handful of brackets.
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return None
    stripped = _STRINGS.sub(lambda m: " " * len(m.group(0)), text)
    depth = 0
    for m in _BRACKETS.finditer(stripped):
        if m.group(0) in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = positions.line_of(text, m.start())
                return Problem("", f"nesting deeper than {MAX_DEPTH} levels", line)
        else:
            depth -= 1
    return None


class _Refused(Exception):  # noqa: N818 - control flow inside the reader, never raised out of it
    def __init__(self, message: str, token_pattern: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.token_pattern = token_pattern
        self.path = path


def _pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> NoReturn:
    raise _Refused(f"{name} is not allowed in JSON config", re.escape(name))


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"number {text[:40]} is too large (overflows to infinity)", re.escape(text))
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"integer with {len(text)} digits is too long", rf"-?\d{{{MAX_INT_DIGITS},}}")
    return int(text)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return not encodable(value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse(text: str) -> Dict[str, Any]:
    """Parse config text strictly; every refusal is a ReadError naming the line."""
    check_conflict_markers(text)
    value = parse_json(text)
    if not isinstance(value, dict):
        raise ReadError([Problem("", f"the configuration must be a JSON object, not {type(value).__name__}", 1, 1)])
    return value


def parse_json(text: str) -> Any:
    """Any JSON value, under the same strict rules (a value given on the command line)."""
    problem = _depth_problem(text)
    if problem:
        raise ReadError([problem])
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_int,
        )
    except _Refused as exc:
        raise ReadError(_positions_of(text, exc)) from None
    except json.JSONDecodeError as exc:
        raise ReadError([_invalid(text, exc)]) from None
    except (RecursionError, ValueError) as exc:  # belt and braces: never a traceback
        raise ReadError(f"Invalid JSON in config file: {exc}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise ReadError([_position(text, _Refused("lone UTF-16 surrogate escape (\\ud800-\\udfff) in a string"))])
    return value


def _trailing_comma(text: str, pos: int) -> Optional[int]:
    """The offset of a comma just before a closing bracket at or after ``pos``.

    Python words this error in two ways: up to 3.12 "Expecting property name" /
    "Expecting value" at the bracket, since 3.13 "Illegal trailing comma" at the comma.
    """
    if text[pos : pos + 1] == ",":
        after = _WHITESPACE.match(text, pos + 1)
        end = after.end() if after else pos + 1
        return pos if text[end : end + 1] in ("}", "]") and end < len(text) else None
    if text[pos : pos + 1] not in ("}", "]"):
        return None
    before = text[:pos].rstrip(" \t\r\n")
    return len(before) - 1 if before.endswith(",") else None


_COMMENT = re.compile(r"//|/\*")
EMPTY = ('Invalid JSON in config file: the file is empty; it must hold a JSON object such as '
         '{"dataset_name": "my-project"} (`codequery-gitcfg init` writes one)')


def _invalid(text: str, exc: json.JSONDecodeError) -> Problem:
    """The decoder's refusal in plain words where Python's are cryptic (an empty file, a
    comment, a trailing comma); the position is the Problem's, never repeated in the message."""
    if not text.strip(" \t\r\n"):
        return Problem("", EMPTY, 1, 1)
    comma = _trailing_comma(text, exc.pos)
    if comma is not None:
        line = positions.line_of(text, comma)
        col = comma - (text.rfind("\n", 0, comma) + 1) + 1
        return Problem("", "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", line, col)
    if _COMMENT.match(text, exc.pos):
        return Problem("", "Invalid JSON in config file: JSON allows no comments (// or /* */); remove this one",
                       exc.lineno, exc.colno)
    return Problem("", f"Invalid JSON in config file: {exc.msg}", exc.lineno, exc.colno)


def _lone_in_key(text: str) -> Optional[Tuple[str, positions.Pos]]:
    """Where the first string holding a lone surrogate is, when no value holds one: a key.
    (The text parsed, so every quote outside a string opens one: each match is a token.)"""
    for m in _STRINGS.finditer(text):
        if _SURROGATE_ESCAPE.search(m.group(0)) and _has_lone_surrogate(json.loads(m.group(0))):
            start = m.start()
            return "", (positions.line_of(text, start), start - (text.rfind("\n", 0, start) + 1) + 1)
    return None


def _positions_of(text: str, exc: _Refused) -> List[Problem]:
    """Every duplicate key of the text, in its order, when the refusal is one; else the one problem."""
    if exc.token_pattern is None and exc.message.startswith("duplicate key"):
        try:
            found = positions.duplicates(text)
        except (RecursionError, IndexError, ValueError):
            found = []
        if found:
            return [Problem(path, f"duplicate key {key!r}", line, col) for path, key, (line, col) in found]
    return [_position(text, exc)]


def _position(text: str, exc: _Refused) -> Problem:
    found: Optional[Tuple[str, positions.Pos]] = None
    try:
        if exc.token_pattern is not None:
            found = positions.find_token(text, exc.token_pattern)
        elif exc.message.startswith("lone"):
            found = positions.find_value(
                text, lambda token: token.startswith('"') and _has_lone_surrogate(json.loads(token))
            ) or _lone_in_key(text)
        else:
            found = positions.first_duplicate(text)
    except (RecursionError, IndexError, ValueError):
        found = None
    if found is None:
        return Problem("", exc.message)
    path, (line, col) = found
    return Problem(path, exc.message, line, col)


