"""Positions of values in JSON text, computed only when a message needs one.

The fast path parses with the C ``json`` module, which keeps no positions;
this small scanner runs on the error and ``show --origin`` paths instead.
"""
from __future__ import annotations

import json
import re
from typing import Callable, Dict, Iterator, List, Optional, Tuple

Pos = Tuple[int, int]  # 1-based line and column

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^\s,\]}:]+")


def join_path(parts: List[object]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.spans: Dict[str, Tuple[int, int]] = {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> Pos:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo] + 1

    def skip(self) -> None:
        m = _WS.match(self.text, self.i)
        self.i = m.end() if m is not None else self.i  # _WS matches the empty string too

    def walk(self, path: List[object]) -> Iterator[Tuple[List[object], int, Optional[str]]]:
        """Yield (path, offset, duplicate-key) for every value, depth first;
        record each value's (start, end) offsets in ``spans``."""
        self.skip()
        start = self.i
        yield path, start, None
        yield from self._value(path)
        self.spans.setdefault(join_path(path), (start, self.i))

    def _value(self, path: List[object]) -> Iterator[Tuple[List[object], int, Optional[str]]]:
        ch = self.text[self.i : self.i + 1]
        if ch == "{":
            self.i += 1
            seen: set[str] = set()
            self.skip()
            if self.text[self.i : self.i + 1] == "}":
                self.i += 1
                return
            while True:
                self.skip()
                m = _STRING.match(self.text, self.i)
                if m is None:
                    return
                key = json.loads(m.group(0))
                key_offset = self.i
                self.i = m.end()
                self.skip()
                self.i += 1  # ':'
                if key in seen:
                    yield path + [key], key_offset, key
                seen.add(key)
                yield from self.walk(path + [key])
                self.skip()
                ch = self.text[self.i : self.i + 1]
                self.i += 1
                if ch != ",":
                    return
        elif ch == "[":
            self.i += 1
            self.skip()
            if self.text[self.i : self.i + 1] == "]":
                self.i += 1
                return
            index = 0
            while True:
                yield from self.walk(path + [index])
                index += 1
                self.skip()
                ch = self.text[self.i : self.i + 1]
                self.i += 1
                if ch != ",":
                    return
        elif ch == '"':
            m = _STRING.match(self.text, self.i)
            self.i = m.end() if m else len(self.text)
        else:
            m = _SCALAR.match(self.text, self.i)
            self.i = m.end() if m else self.i + 1


def positions(text: str) -> Dict[str, Pos]:
    """Map each dotted path to the position of its value (first occurrence)."""
    scanner = _Scanner(text)
    out: Dict[str, Pos] = {}
    for path, offset, dup in scanner.walk([]):
        if dup is None:
            out.setdefault(join_path(path), scanner.pos(offset))
    return out


def spans(text: str) -> Dict[str, Tuple[int, int]]:
    """Map each dotted path to its value's (start, end) offsets in ``text``."""
    scanner = _Scanner(text)
    for _ in scanner.walk([]):
        pass
    return scanner.spans


def duplicates(text: str) -> List[Tuple[str, str, Pos]]:
    """Every repeated key (its dotted path, the key, the position of the repetition), in text order."""
    scanner = _Scanner(text)
    return [(join_path(path), dup, scanner.pos(offset)) for path, offset, dup in scanner.walk([]) if dup is not None]


def first_duplicate(text: str) -> Optional[Tuple[str, Pos]]:
    scanner = _Scanner(text)
    for path, offset, dup in scanner.walk([]):
        if dup is not None:
            return join_path(path), scanner.pos(offset)
    return None


def find_token(text: str, pattern: str) -> Optional[Tuple[str, Pos]]:
    """Locate the first scalar token matching ``pattern`` outside strings."""
    rx = re.compile(pattern)
    return find_value(text, lambda token: token[:1] not in '"[{' and rx.fullmatch(token) is not None)


def find_value(text: str, predicate: Callable[[str], bool]) -> Optional[Tuple[str, Pos]]:
    """Locate the first scalar value whose source token satisfies ``predicate``."""
    scanner = _Scanner(text)
    for path, offset, _ in scanner.walk([]):
        m = _STRING.match(text, offset) if text[offset : offset + 1] == '"' else _SCALAR.match(text, offset)
        if m and predicate(m.group(0)):
            return join_path(path), scanner.pos(offset)
    return None


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
