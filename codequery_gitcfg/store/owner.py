"""Ownership under sudo (issue 12): files and folders we write keep the repository's owner.

Root editing a user's config must not leave root-owned files and folders that
lock the user out of their own repository afterwards.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # no typing at run time: the memo a new process reads on every commit imports this
if TYPE_CHECKING:
    from typing import Optional


def owner_for(folder: str, st: Optional[os.stat_result]) -> Optional[tuple[int, int]]:
    """The (uid, gid) a file written now should get, None when ours is right.

    A replaced file keeps its owner and group; a new one, written by root (sudo),
    gets its folder's, so the user whose repository it is can still edit it.
    """
    if not hasattr(os, "geteuid"):
        return None
    if st is None:
        if os.geteuid() != 0:
            return None
        try:
            st = os.stat(folder)
        except OSError:
            return None
    if (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()):
        return None
    return st.st_uid, st.st_gid


def chown_fd(fd: int, owner: Optional[tuple[int, int]]) -> None:
    if owner is None:
        return
    try:
        os.fchown(fd, *owner)
    except OSError:
        try:  # not root: the group may still be one of ours
            os.fchown(fd, -1, owner[1])
        except OSError:
            pass


def makedirs(folder: str) -> None:
    """``os.makedirs`` whose new folders get their parent's owner when root creates them."""
    missing = []
    probe = os.path.abspath(folder)
    while not os.path.isdir(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    os.makedirs(folder, exist_ok=True)
    for new in reversed(missing):
        share(new)


def share(path: str) -> None:
    """Give ``path``, just created by root, the owner of its folder (best effort)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    try:
        parent = os.stat(os.path.dirname(os.path.abspath(path)))
        if (parent.st_uid, parent.st_gid) != (0, 0):
            os.chown(path, parent.st_uid, parent.st_gid, follow_symlinks=False)
    except OSError:
        pass
