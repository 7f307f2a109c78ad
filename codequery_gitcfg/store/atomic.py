"""Atomic, durable writes (README: "Writing"): temp file in the same folder, fsync, replace, fsync dir."""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import threading
from typing import Optional

from ..core.names import TMP_PREFIX, TMP_SUFFIX
from .owner import chown_fd, owner_for

_umask_lock = threading.Lock()


def _current_umask() -> int:
    # Linux reports it without changing it; elsewhere os.umask can only be read
    # by setting it, which another thread creating a file could observe.
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_atomic(path: str, data: bytes, mode: Optional[int] = None, *, durable: bool = True) -> bool:
    """Replace ``path`` with ``data``; return False (touching nothing) if unchanged.

    The file keeps its permission bits (a new one gets ``0666 & ~umask``) unless
    ``mode`` is given. On any failure the original file is untouched, the temp
    file is removed and an OSError naming ``path`` reaches the caller.
    ``durable=False`` skips the fsyncs, for a cache that a crash may lose (or tear:
    its readers check what they read) but that a reader must never wait on the disk for.
    """
    try:
        return _write(path, data, mode, durable)
    except OSError as exc:
        if exc.filename == path:
            raise
        # The failing call may have named the temp file, or nothing (write, fsync):
        # the user needs to know which config could not be written.
        raise OSError(exc.errno, exc.strerror or str(exc), path) from exc


def _write(path: str, data: bytes, wanted: Optional[int], durable: bool) -> bool:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        st: Optional[os.stat_result] = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is None:
        mode = 0o666 & ~_current_umask() if wanted is None else wanted
    else:
        if st.st_size == len(data) and wanted in (None, stat.S_IMODE(st.st_mode)):
            try:
                with open(path, "rb") as f:
                    if f.read(len(data) + 1) == data:
                        return False
            except OSError:
                pass
        # os.replace only needs the folder to be writable; a file its owner made
        # read-only is a decision to respect, as editors do.
        if not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, "the config file is read-only", path)
        mode = stat.S_IMODE(st.st_mode) if wanted is None else wanted
    owner = owner_for(folder, st)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=TMP_SUFFIX, dir=folder)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            chown_fd(fd, owner)
            os.fchmod(fd, mode)  # after the chown, which may clear setuid/setgid bits
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        _fsync_dir(folder)
    return True


def _fsync_dir(folder: str) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    # The new file is already in place: nothing here may report the write as failed.
    try:
        os.fsync(dfd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory
    finally:
        try:
            os.close(dfd)
        except OSError:
            pass


def _prefix(path: str) -> str:
    # The target's name is part of the prefix so that cleaning up after one file
    # never removes a temp file another file's writer (another lock) is filling.
    return f"{TMP_PREFIX}{os.path.basename(path)}."


def _temp_name(path: str) -> re.Pattern[str]:
    # Exactly mkstemp's eight random characters between prefix and suffix: the
    # prefix of "config.json" is also the start of "config.json.local"'s temp names.
    return re.compile(re.escape(_prefix(path)) + r"[a-z0-9_]{8}" + re.escape(TMP_SUFFIX))


def remove_stale_temps(path: str) -> int:
    """Delete temp files a dead writer left for ``path``; call only under its lock."""
    folder = os.path.dirname(os.path.abspath(path))
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    mine = _temp_name(path)
    for name in names:
        if mine.fullmatch(name):
            try:
                os.unlink(os.path.join(folder, name))
                removed += 1
            except OSError:
                pass
    return removed
