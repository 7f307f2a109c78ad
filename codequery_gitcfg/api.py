"""The Python API: Code Query's ``ConfigManager`` drop-in and the functions hooks call.

The public ``ConfigManager`` is the store's, wired here to find its worktree through
the git layer, so containment and the lock path follow the repository the file is really in. It
asks plain ``git rev-parse`` (``repo.worktree_of``), not GitPython: these are read by
a new process on every commit (Code Query's post-commit hook, every worker
start), where GitPython's import would cost more than everything else.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional

from .core.env import apply_env
from .core.errors import ConfigError, GitError
from .git.repo import worktree_of
from .store import manager as _store

# One ConfigManager: the store's, finding its worktree with the git layer's ``worktree_of``.
ConfigManager = _store.ConfigManager
_store.use_finder(worktree_of)


def load_config_with_env_override(config_manager: _store.ConfigManager,
                                  environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    return apply_env(config_manager.load_config(), os.environ if environ is None else environ,
                     config_manager.verdicts)


def effective_config(path: str | os.PathLike[str] | None = None,
                     environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Find the worktree from ``path`` (default: cwd), read, migrate in memory, validate,
    merge defaults and apply overrides. Never writes. Returns a plain dict."""
    environ = os.environ if environ is None else environ
    start = os.fspath(path) if path is not None else os.getcwd()
    worktree = worktree_of(start, environ)
    if worktree is None:
        raise GitError(f"{start} is not inside a git worktree")
    config_path = start if os.path.isfile(start) else worktree.default_config
    manager = ConfigManager(config_path, worktree=worktree)
    return apply_env(manager.load_config(), environ, manager.verdicts)


__all__ = ["ConfigError", "ConfigManager", "apply_env", "effective_config", "load_config_with_env_override"]
