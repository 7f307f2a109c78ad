"""The read-modify-write lock (filelock), with a finite timeout and a clear message."""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Dict, Iterator

from ..core.errors import LockTimeoutError
from .owner import makedirs, share

DEFAULT_TIMEOUT = 10.0

_locks: Dict[str, Any] = {}
_locks_guard = threading.Lock()


def _after_fork() -> None:
    # A forked child builds its own lock objects: an inherited one shares the
    # parent's descriptor (filelock refuses it), and the guard may have been
    # held by a thread that does not exist in the child.
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def _lock_for(path: str) -> Any:
    # One FileLock object per path: filelock's per-thread counter then makes
    # nested use in one thread re-entrant instead of a self-deadlock.
    from filelock import FileLock

    with _locks_guard:
        lock = _locks.get(path)
        if lock is None:
            lock = _locks[path] = FileLock(path)
        return lock


@contextlib.contextmanager
def hold(lock_path: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the lock; the lock file is never deleted (that would break exclusion)."""
    from filelock import Timeout

    # Under sudo, a lock folder or file owned by root would lock the user out later.
    makedirs(os.path.dirname(lock_path) or ".")
    lock = _lock_for(lock_path)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockTimeoutError(
            f"could not take the config lock {lock_path} within {timeout:g} s: another process is "
            "editing the config; try again (the lock frees itself when that process ends)"
        ) from None
    share(lock_path)
    try:
        yield
    finally:
        lock.release()
