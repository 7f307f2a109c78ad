"""A process-wide cache of validated configs whose hit costs one stat and a copy.

Stat data alone cannot see a same-size rewrite within one timestamp tick on
a reused inode (git's "racy git" problem). Like git, an entry whose file was
modified too close to the moment it was read is marked racy, and a hit on a
racy entry compares the bytes (still no parse) until the file is old enough.
"""
from __future__ import annotations

import marshal
import os
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

# Wider than any filesystem timestamp granularity we may meet (FAT: 2 s).
RACY_NS = 3_000_000_000

Signature = Tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class _Entry:
    # blob is marshalled, not the dict itself: loading it builds a fresh,
    # unshared copy faster than walking the dict, so callers never mutate the cache.
    __slots__ = ("sig", "raw", "blob", "racy")

    def __init__(self, sig: Signature, raw: bytes, blob: bytes, racy: bool) -> None:
        self.sig, self.raw, self.blob, self.racy = sig, raw, blob, racy


_entries: Dict[str, _Entry] = {}
_guard = threading.Lock()  # writers only: a dict lookup is atomic


def _is_racy(st: os.stat_result) -> bool:
    return time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS


def get(path: str, st: os.stat_result) -> Optional[Dict[str, Any]]:
    entry = _entries.get(path)
    if entry is None or entry.sig != signature(st):
        return None
    if entry.racy:
        try:
            with open(path, "rb") as f:
                current = f.read(len(entry.raw) + 1)
        except OSError:
            return None
        if current != entry.raw:
            return None
        if not _is_racy(st):
            entry.racy = False
    value: Dict[str, Any] = marshal.loads(entry.blob)
    return value


def put(path: str, st: os.stat_result, raw: bytes, value: Dict[str, Any]) -> None:
    # Version 2: without the back-references of versions 3+, loads are ~20% faster.
    entry = _Entry(signature(st), raw, marshal.dumps(value, 2), _is_racy(st))
    with _guard:
        _entries[path] = entry


def forget(path: str) -> None:
    with _guard:
        _entries.pop(path, None)


def load(path: str, build: Callable[[bytes, os.stat_result], Dict[str, Any]]) -> Dict[str, Any]:
    """Cached value for ``path``; ``build`` parses on a miss. FileNotFoundError passes."""
    st = os.stat(path)
    entry = _entries.get(path)
    # The common hit, inlined: this is the path the MCP server and workers call
    # over and over, so it is one stat, one tuple compare and one copy.
    if (
        entry is not None
        and not entry.racy
        and entry.sig == (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    ):
        value: Dict[str, Any] = marshal.loads(entry.blob)
        return value
    hit = get(path, st)
    if hit is not None:
        return hit
    from . import reader

    raw, st = reader.read_bytes(path)
    value = build(raw, st)
    put(path, st, raw, value)
    return value  # the cache holds its own (marshalled) copy
