"""Where a config may be: the worktree, and containment of every path inside it.

Pure file-system logic: the git layer finds the worktree, this module judges a
path against it at each operation (a pulled commit can swap in a symlink).
"""
from __future__ import annotations

import os
from typing import NamedTuple

from ..core.errors import OutsideWorktreeError, Problem

CONFIG_RELPATH = os.path.join(".code-query", "config.json")


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



def _inside(path: str, folder: str) -> bool:
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
    if not _inside(real, worktree.root):
        raise OutsideWorktreeError(
            [Problem("", f"{path} resolves to {real}, outside the worktree {worktree.root}; refused")]
        )
    if (
        _inside(real, worktree.git_dir)
        or _inside(real, worktree.common_dir)
        or any(p.lower() == ".git" for p in parts)
    ):
        raise OutsideWorktreeError(
            [Problem("", f"{path} resolves to {real}, inside the git directory, outside the worktree; refused")]
        )
    return real
