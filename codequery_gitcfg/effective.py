"""``codequery_gitcfg.effective_config()``: a new process's read at the cost of the file.

Code Query's post-commit hook, each worker and each server start read the config
in a new Python process. When the config is unchanged since a read that judged it
clean, that read left its result (``store.memo``'s ``effective-config``, keyed by
the SHA-256 of the file's bytes and the rules): this module finds the worktree
from the file system, reads the file without following a symlink, hashes it and
returns that result. It imports no ``typing`` and nothing of ours beyond the
git layout and the memo, which is what keeps it near ``json.load`` of the file.

Anything else (another layout, a named file, a changed or new config, a damaged
memo) goes the whole way, ``api.effective_config``, which leaves the result for
the next process. Overrides are applied on every call either way.
"""
from __future__ import annotations

import os
import stat

from .core.names import CONFIG_DIR, CONFIG_NAME
from .git.layout import plain_worktree
from .store import memo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Mapping, Optional

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def effective_config(path: str | os.PathLike[str] | None = None,
                     environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Find the worktree from ``path`` (default: cwd), read, migrate in memory, validate,
    merge defaults and apply overrides. Never writes the config. Returns a plain dict."""
    env = os.environ if environ is None else environ
    found = _remembered(path, env)
    if found is None:
        from . import api  # noqa: PLC0415 -- the whole pipeline, only when nothing was kept

        return api.effective_config(path, environ)
    config, git_dir = found
    if not any(name.startswith("CODEQUERY_") for name in env):
        return config
    from .core.env import apply_env  # noqa: PLC0415 -- overrides need their rules, parsed and checked

    return apply_env(config, env, memo.Verdicts(memo.path_in(git_dir, memo.CONTENT)))


def _remembered(path: str | os.PathLike[str] | None,
                environ: Mapping[str, str]) -> Optional[tuple[Dict[str, Any], str]]:
    """The kept run-time config of the worktree's default file and its git dir, or None."""
    start = os.getcwd() if path is None else os.fspath(path)
    if not os.path.isdir(start):
        return None  # a named file: the whole way, which checks where it really is
    found = plain_worktree(start, environ)
    if found is None:
        return None
    root, git_dir = found
    raw = _read_default(root)
    if raw is None:
        return None
    config = memo.recall(memo.path_in(git_dir, memo.SNAPSHOT), memo.content_id(raw))
    return None if config is None else (config, git_dir)


def _read_default(root: str) -> Optional[bytes]:
    """``<root>/.code-query/config.json`` if both are what they seem (a real folder, a
    regular file, no symlink on the way, so nothing outside the worktree is read) and
    small enough to have been kept; None otherwise."""
    if os.open not in os.supports_dir_fd:
        return None
    try:
        top = os.open(root, _DIR_FLAGS)
    except OSError:
        return None
    try:
        folder = os.open(CONFIG_DIR, _DIR_FLAGS, dir_fd=top)
        try:
            fd = os.open(CONFIG_NAME, _FILE_FLAGS, dir_fd=folder)
        finally:
            os.close(folder)
    except OSError:
        return None
    finally:
        os.close(top)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > memo.LIMIT:
            return None
        return os.read(fd, memo.LIMIT + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
