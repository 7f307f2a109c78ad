"""One config document, whatever its source: the working file, a staged or committed
blob, standard input, a side of a merge. The size limit, the BOM and the strict parse
live here once, so every source is refused in the same words.
"""
from __future__ import annotations

import os
from typing import IO, Any, Dict, Optional

from . import fmt, reader
from .errors import ConfigError, ReadError
from .names import CONFIG_DIR, CONFIG_NAME, CONFIG_PATH

MAX_BYTES = reader.MAX_BYTES
TOO_LARGE = f"config file is larger than {MAX_BYTES} bytes (1 MiB)"  # the one wording, whatever the source
BOM = reader.BOM


def has_bom(raw: bytes) -> bool:
    return raw.startswith(BOM)


def check_size(raw: bytes, label: Optional[str] = None) -> None:
    """Refuse bytes over the limit; readers read at most ``MAX_BYTES + 1`` to find out."""
    if len(raw) > MAX_BYTES:
        raise ReadError(TOO_LARGE, label)


class Document:
    """Bytes, the text they decode to and the object that text holds, under one label.

    ``path`` and ``stat`` are set for a file read from disk (the stat of exactly the
    bytes read); a blob, a merge side or standard input has neither.
    """

    __slots__ = ("data", "label", "path", "raw", "stat", "text")

    def __init__(self, label: str, raw: bytes, text: str, data: Dict[str, Any], *,
                 path: Optional[str] = None, stat: Optional[os.stat_result] = None) -> None:
        self.label, self.raw, self.text, self.data = label, raw, text, data
        self.path, self.stat = path, stat

    @classmethod
    def parse(cls, raw: bytes, label: str, *, path: Optional[str] = None,
              stat: Optional[os.stat_result] = None) -> Document:
        """Strictly read ``raw``; every refusal is a ReadError carrying ``label``."""
        check_size(raw, label)
        try:
            text = reader.decode(raw)
            data = reader.parse(text)
        except ConfigError as exc:
            raise type(exc)(exc.problems, label) from None
        return cls(label, raw, text, data, path=path, stat=stat)

    @classmethod
    def from_stream(cls, stream: IO[bytes], label: str) -> Document:
        """A whole binary stream (standard input), never read past the limit."""
        return cls.parse(stream.read(MAX_BYTES + 1), label)

    @property
    def bom(self) -> bool:
        return has_bom(self.raw)

    @property
    def style(self) -> fmt.Style:
        """The formatting a rewrite keeps (indentation, line endings, BOM, verbatim values)."""
        return fmt.detect(self.text, bom=self.bom)

    def __repr__(self) -> str:
        return f"Document({self.label!r}, {len(self.raw)} bytes)"


__all__ = ["BOM", "CONFIG_DIR", "CONFIG_NAME", "CONFIG_PATH", "MAX_BYTES", "TOO_LARGE", "Document", "check_size",
           "has_bom"]
