"""Keep a file's formatting across rewrites, so a migration's diff is minimal.

A rewrite keeps indentation, line endings, final newline and BOM, and copies
every unchanged value (``"exclude_patterns": ["a", "b"]``, or a list wrapped by
hand over several lines) verbatim from the original text instead of re-flowing it.
A changed list or object that the original wrote on one line stays on one line
while it is short (``ONE_LINE``), as the merge driver's ``["*.log", "*.tmp"]``.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from .jsonvalue import same
from .migrate import former_names
from .positions import spans

_INDENT = re.compile(r"[\[{][ \t]*\r?\n([ \t]+)\S")
ONE_LINE = 80  # a changed one-line value stays on one line up to this long (or as long as it was)


class Style(NamedTuple):
    indent: Union[int, str] = 2
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False
    source: Optional[str] = None  # the original text, for verbatim copies


def detect(text: str, bom: bool = False) -> Style:
    m = _INDENT.search(text)
    indent: Union[int, str] = 2
    if m:
        ws = m.group(1)
        indent = "\t" if ws.startswith("\t") else len(ws)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Style(indent, newline, text.endswith("\n"), bom, text)


class _Writer:
    def __init__(self, style: Style) -> None:
        self.unit = "\t" if style.indent == "\t" else " " * int(style.indent)
        self.text = style.source or ""
        self.spans: Dict[str, Tuple[int, int]] = {}
        self.old: Dict[str, Any] = {}
        if self.text:
            try:
                self.spans = spans(self.text)
                self.old = {p: json.loads(self.text[a:b]) for p, (a, b) in self.spans.items() if p}
            except (ValueError, IndexError, RecursionError):
                self.spans, self.old = {}, {}

    def verbatim(self, value: Any, path: str) -> Optional[str]:
        # Where a migration renamed the value, its text is found under an old spelling.
        for candidate in (path, *former_names(path)):
            if candidate in self.old and same(self.old[candidate], value, as_written=True):
                a, b = self.spans[candidate]
                # dump() turns every "\n" into the file's line ending.
                return self.text[a:b].replace("\r\n", "\n")
        return None

    def one_line(self, value: Any, path: str) -> Optional[str]:
        """``value`` on one line, when the original wrote this value (under this name or an old
        spelling) on one line and the new one is short."""
        for candidate in (path, *former_names(path)):
            if candidate in self.spans:
                a, b = self.spans[candidate]
                if "\n" in self.text[a:b]:
                    return None
                inline = self.inline(value, path)
                return inline if len(inline) <= max(ONE_LINE, b - a) and "\n" not in inline else None
        return None

    def inline(self, value: Any, path: str) -> str:
        """``value`` on one line, each unchanged part still copied verbatim."""
        copied = self.verbatim(value, path) if path else None
        if copied is not None:
            return copied
        if isinstance(value, dict) and value:
            return "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {self.inline(sub, f'{path}.{key}')}"
                                   for key, sub in value.items()) + "}"
        if isinstance(value, list) and value:
            return "[" + ", ".join(self.inline(sub, f"{path}[{i}]") for i, sub in enumerate(value)) + "]"
        return json.dumps(value, ensure_ascii=False)

    def emit(self, value: Any, path: str, level: int) -> str:
        if path:
            copied = self.verbatim(value, path)
            if copied is None and isinstance(value, (dict, list)) and value:
                copied = self.one_line(value, path)
            if copied is not None:
                return copied
        pad = self.unit * (level + 1)
        if isinstance(value, dict) and value:
            items: List[str] = []
            for key, sub in value.items():
                child = f"{path}.{key}" if path else str(key)
                items.append(f"{pad}{json.dumps(key, ensure_ascii=False)}: {self.emit(sub, child, level + 1)}")
            return "{\n" + ",\n".join(items) + "\n" + self.unit * level + "}"
        if isinstance(value, list) and value:
            elems = [pad + self.emit(sub, f"{path}[{i}]", level + 1) for i, sub in enumerate(value)]
            return "[\n" + ",\n".join(elems) + "\n" + self.unit * level + "]"
        return json.dumps(value, ensure_ascii=False)


def dump(config: Any, style: Style = Style()) -> bytes:
    text = _Writer(style).emit(config, "", 0)
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    if style.final_newline:
        text += style.newline
    if style.bom:
        text = "\ufeff" + text
    return text.encode("utf-8")
