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

from ..core.defaults import copy_json
from .files import read_bytes

# Wider than any filesystem timestamp granularity we may meet (FAT: 2 s).
RACY_NS = 3_000_000_000

Signature = Tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_SCALARS = (str, int, float, bool, type(None))


class _Entry:
    """A cached config and the cheapest way to hand out an unshared copy of it.

    A config is usually two levels deep (``processing``, ``exclude_patterns``):
    then copying the top dict and each container below it is a full copy, five
    times faster than anything generic. Deeper values go through marshal, whose
    loads builds a fresh copy faster than a Python walk of the dict.
    """

    __slots__ = ("blob", "nested", "racy", "raw", "sig", "value")

    def __init__(self, sig: Signature, raw: bytes, value: Dict[str, Any], racy: bool) -> None:
        self.sig, self.raw, self.racy = sig, raw, racy
        self.nested: Optional[Tuple[str, ...]] = tuple(k for k, v in value.items() if isinstance(v, (dict, list)))
        flat = all(
            isinstance(item, _SCALARS)
            for key in self.nested
            for item in (value[key].values() if isinstance(value[key], dict) else value[key])
        )
        self.value: Dict[str, Any] = {}
        self.blob = b""
        if flat:
            self.value = copy_json(value)
        else:
            # Version 2: without the back-references of versions 3+, loads are ~20% faster.
            self.nested, self.blob = None, marshal.dumps(value, 2)

    def copy(self) -> Dict[str, Any]:
        if self.nested is None:
            loaded: Dict[str, Any] = marshal.loads(self.blob)  # noqa: S302 - bytes this process dumped
            return loaded
        out = self.value.copy()
        for key in self.nested:
            out[key] = out[key].copy()
        return out


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
    return entry.copy()


def put(path: str, st: os.stat_result, raw: bytes, value: Dict[str, Any]) -> None:
    entry = _Entry(signature(st), raw, value, _is_racy(st))
    with _guard:
        _entries[path] = entry


def forget(path: str) -> None:
    with _guard:
        _entries.pop(path, None)


def _settled(path: str, st: os.stat_result) -> Optional[Dict[str, Any]]:
    # The common hit: one tuple compare and one copy (the MCP server and workers
    # call this over and over).
    entry = _entries.get(path)
    if (
        entry is not None
        and not entry.racy
        and entry.sig == (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    ):
        return entry.copy()
    return None


def unchanged(path: str) -> Optional[Dict[str, Any]]:
    """A copy of the entry for ``path`` if the file is the same inode, unchanged and past the
    racy window (one stat); None otherwise. FileNotFoundError passes."""
    return _settled(path, os.stat(path))


def load(path: str, build: Callable[[bytes, os.stat_result], Dict[str, Any]],
         root: Optional[str] = None) -> Dict[str, Any]:
    """Cached value for ``path``; ``build`` parses on a miss. FileNotFoundError passes.

    ``root``: a miss reads ``path`` from there, following no symlink (files.read_bytes).
    """
    st = os.stat(path)
    settled = _settled(path, st)
    if settled is not None:
        return settled
    hit = get(path, st)
    if hit is not None:
        return hit
    raw, st = read_bytes(path, root)
    value = build(raw, st)
    put(path, st, raw, value)
    return value  # the cache holds its own copy
