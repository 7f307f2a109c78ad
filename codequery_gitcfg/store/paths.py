"""Where a config may be: the worktree, and containment of every path inside it.

Pure file-system logic: the git layer finds the worktree, this module judges a
path against it at each operation (a pulled commit can swap in a symlink).
"""
from __future__ import annotations

import errno
import os
import stat
from typing import List, NamedTuple, Optional, Tuple

from ..core.errors import OutsideWorktreeError, Problem
from ..core.names import CONFIG_DIR, CONFIG_NAME

CONFIG_RELPATH = os.path.join(CONFIG_DIR, CONFIG_NAME)


class Worktree(NamedTuple):
    root: str  # realpath of the worktree's top folder
    git_dir: str  # this worktree's git directory (differs per linked worktree)
    common_dir: str  # shared by all worktrees of the repository

    @property
    def default_config(self) -> str:
        return os.path.join(self.root, CONFIG_RELPATH)

    def lock_path(self, config_path: str) -> str:
        rel = os.path.relpath(config_path, self.root).replace(os.sep, "%")
        return os.path.join(self.git_dir, "codequery-gitcfg", rel + ".lock")



def inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or below it (both resolved)."""
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _unresolved(real: str) -> bool:
    """True when realpath gave up (a symlink loop): it then leaves the looping link,
    and a ".." after it, in its answer, and where the path really leads is unknown."""
    if ".." in real.split(os.sep):
        return True
    prefix = real
    while True:
        if os.path.islink(prefix):
            return True
        parent = os.path.dirname(prefix)
        if parent == prefix:
            return False
        prefix = parent


def contain(path: str, worktree: Worktree) -> str:
    """Resolve ``path`` (symlinks too) and refuse anything outside the worktree."""
    real = os.path.realpath(path)
    if _unresolved(real):
        raise OutsideWorktreeError(
            [Problem("", f"{path} cannot be resolved (a symlink loop), so it may lead outside the worktree; refused")]
        )
    parts = os.path.relpath(real, worktree.root).split(os.sep)
    if not inside(real, worktree.root):
        raise OutsideWorktreeError(
            [Problem("", f"{path} resolves to {real}, outside the worktree {worktree.root}; refused")]
        )
    if (
        inside(real, worktree.git_dir)
        or inside(real, worktree.common_dir)
        or any(p.lower() == ".git" for p in parts)
    ):
        raise OutsideWorktreeError(
            [Problem("", f"{path} resolves to {real}, inside the git directory, outside the worktree; refused")]
        )
    return real


Mark = Optional[Tuple[int, int, int]]


def _mark(path: str) -> Mark:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, stat.S_IFMT(st.st_mode)


class Held:
    """A config path held to its worktree at every use, not only when first resolved.

    A pulled commit can turn the file, or a folder above it, into a symlink at any
    time. ``real()`` re-checks containment whenever the type or identity of a
    component has changed (a few lstat calls when nothing has); a path that
    reaches its file through a symlink is resolved and checked on every use.
    Reads then open the file from the worktree's top without following any
    symlink (``read_bytes(..., root=...)``), so a swap after the check fails
    instead of reading outside.
    """

    __slots__ = ("_marks", "_parts", "_real", "given", "worktree")

    def __init__(self, given: str, worktree: Optional[Worktree]) -> None:
        self.given = os.path.join(os.getcwd(), given)  # absolute, but not normalised: ".." stays
        self.worktree = worktree
        self._real: Optional[str] = None
        self._parts: List[str] = []
        self._marks: Tuple[Mark, ...] = ()

    def real(self) -> str:
        if self._real is not None and (self.worktree is None or (
                self._parts and tuple(_mark(p) for p in self._parts) == self._marks)):
            return self._real
        wt = self.worktree
        if wt is None:
            self._real = os.path.realpath(self.given)
            return self._real
        real = contain(self.given, wt)
        self._parts = []
        if os.path.normpath(self.given) == self.given == real:
            # No symlink on the way: its components' identities stand for the resolution.
            self._parts = [wt.root]
            for part in os.path.relpath(real, wt.root).split(os.sep):
                self._parts.append(os.path.join(self._parts[-1], part))
            self._marks = tuple(_mark(p) for p in self._parts)
        self._real = real
        return real

    def forget(self) -> None:
        self._real = None

    @property
    def last(self) -> Optional[str]:
        """The path the last check resolved, unchecked since (None before the first)."""
        return self._real

    @property
    def root(self) -> Optional[str]:
        return self.worktree.root if self.worktree else None


def swapped(exc: OSError) -> bool:
    """True for the errors of a no-follow open that met a symlink where a file or folder was."""
    return exc.errno in (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP))
