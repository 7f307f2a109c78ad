"""Strict reads of a config file from disk: the first step of the pipeline."""
from __future__ import annotations

import os
import stat
from typing import Any, Dict, List, Tuple

from ..core import fmt
from ..core.errors import ConfigError, ReadError
from ..core.judge import parse
from ..core.reader import MAX_BYTES


def read_bytes(path: str) -> Tuple[bytes, os.stat_result]:
    """Read a regular file, never past the size limit (a FIFO must not block us).

    The stat comes from the open descriptor, so it describes exactly the bytes read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError(f"{path} is not a regular file")
        chunks: List[bytes] = []
        remaining = MAX_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise ReadError(f"config file is larger than {MAX_BYTES} bytes (1 MiB)")
    return data, st



class Document:
    """One file as read: its bytes, text, parsed data and the stat of what was read."""

    __slots__ = ("path", "raw", "text", "data", "stat")

    def __init__(self, path: str, raw: bytes, text: str, data: Dict[str, Any], st: os.stat_result) -> None:
        self.path, self.raw, self.text, self.data, self.stat = path, raw, text, data, st

    @property
    def style(self) -> fmt.Style:
        return fmt.detect(self.text, bom=self.raw.startswith(b"\xef\xbb\xbf"))


def read(path: str, label: "str | None" = None) -> Document:
    """Strictly read ``path``; FileNotFoundError passes through for callers to decide."""
    name = label or path
    try:
        raw, st = read_bytes(path)
    except ConfigError as exc:
        raise type(exc)(exc.problems, name) from None
    text, data = parse(raw, name)
    return Document(path, raw, text, data, st)
