"""The functions hooks and the Huey post-commit hook call."""
from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional

from . import env
from .errors import ConfigError, EnvOverrideError, GitError, Problem
from .manager import ConfigManager


def apply_env(config: Dict[str, Any], environ: Mapping[str, str]) -> Dict[str, Any]:
    """Apply CODEQUERY_* overrides to a private copy, validated by the field's rules."""
    overrides = env.collect(environ)
    if not overrides:
        return config
    from .defaults import copy_json
    from .schema import check

    result = env.apply(copy_json(config), overrides)
    by_path = {o.path: o for o in overrides}
    errors, _unknown = check({k: v for k, v in result.items() if v is not None})
    bad = [
        Problem(p.path, env.invalid_message(by_path[p.path].name, by_path[p.path].raw, p.message))
        for p in errors
        if p.path in by_path
    ]
    if bad:
        raise EnvOverrideError(bad)
    return result


def load_config_with_env_override(config_manager: ConfigManager,
                                  environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    return apply_env(config_manager.load_config(), os.environ if environ is None else environ)


def effective_config(path: "str | os.PathLike[str] | None" = None,
                     environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Find the worktree from ``path`` (default: cwd), read, migrate in memory, validate,
    merge defaults and apply overrides. Never writes. Returns a plain dict."""
    from .gitrepo import find_worktree

    environ = os.environ if environ is None else environ
    start = os.fspath(path) if path is not None else os.getcwd()
    worktree = find_worktree(start, environ)
    if worktree is None:
        raise GitError(f"{start} is not inside a git worktree")
    config_path = start if os.path.isfile(start) else worktree.default_config
    return apply_env(ConfigManager(config_path, worktree=worktree).load_config(), environ)


__all__ = ["ConfigError", "apply_env", "effective_config", "load_config_with_env_override"]
