"""Strict reads of a config file from disk: the first step of the pipeline."""
from __future__ import annotations

import contextlib
import os
import stat
from typing import List, Optional, Tuple

from ..core.document import MAX_BYTES, Document, check_size
from ..core.errors import ConfigError, ReadError

_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_below(root: str, path: str) -> int:
    """Open ``path`` (a resolved path inside ``root``) walking down from ``root``, one
    folder descriptor at a time, following no symlink: what is opened is what was checked."""
    parts = os.path.relpath(path, root).split(os.sep)
    fd = os.open(root, _FLAGS | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            below = os.open(part, _FLAGS | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW, dir_fd=fd)
            _close(fd)
            fd = below
        return os.open(parts[-1], _FLAGS | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW, dir_fd=fd)
    finally:
        _close(fd)


def _close(fd: int) -> None:
    # A folder opened only to look below it: nothing was written, nothing to report.
    with contextlib.suppress(OSError):
        os.close(fd)


def read_bytes(path: str, root: Optional[str] = None) -> Tuple[bytes, os.stat_result]:
    """Read a regular file, never past the size limit (a FIFO must not block us).

    The stat comes from the open descriptor, so it describes exactly the bytes read.
    With ``root``, ``path`` is opened from there without following symlinks
    (OSError ELOOP or ENOTDIR when one appeared since ``path`` was resolved).
    """
    if root is not None and _NOFOLLOW and os.open in os.supports_dir_fd:
        fd = _open_below(root, path)
    else:
        fd = os.open(path, _FLAGS | getattr(os, "O_NONBLOCK", 0))
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
    check_size(data)
    return data, st


def read(path: str, label: str | None = None, root: Optional[str] = None) -> Document:
    """Strictly read ``path`` into a Document labelled ``label`` (default: the path), with
    the path and the stat of the bytes read; FileNotFoundError passes through for callers to decide."""
    name = label or path
    try:
        raw, st = read_bytes(path, root)
    except ConfigError as exc:
        raise type(exc)(exc.problems, name) from None
    return Document.parse(raw, name, path=path, stat=st)
