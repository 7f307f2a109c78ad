"""Where the worktree is, read from the file system alone, for the plain layout.

Part of the git layer (``repo`` builds on it and is the only module that starts
git), split out for one reason: a new process reading its config on every
commit (``codequery_gitcfg.effective_config``) needs this much and nothing else,
so it imports no ``typing`` and no other module of ours.
"""
from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Mapping, Optional, Tuple

REPO_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")
DISCOVERY_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
                  "GIT_DISCOVERY_ACROSS_FILESYSTEM")
# Anything that can move the worktree away from the folder holding .git, or make
# git refuse it: then git is asked. (GIT_CONFIG_PARAMETERS is `git -c`.)
MOVERS = DISCOVERY_VARS + ("GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT",
                           "GIT_CONFIG_PARAMETERS")
_CONFIG_LIMIT = 64 * 1024


def repo_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """git's own discovery variables, taken from ``environ`` on purpose.

    Hooks run with GIT_DIR (and in linked worktrees GIT_WORK_TREE) set by git;
    honouring them is what makes a hook see the repository git is committing to.
    """
    env = dict(os.environ)
    for name in REPO_VARS:
        env.pop(name, None)
        if name in environ:
            env[name] = environ[name]
    return env


def real_folder(start: Optional[str]) -> str:
    # Start from a real folder: discovery from a symlinked one would search
    # wherever the link points, and the containment check would then be moot.
    folder = os.path.abspath(start or os.getcwd())
    while not os.path.isdir(folder) or os.path.islink(folder):
        folder = os.path.dirname(folder)
    return folder


def probe_of(folder: str) -> str:
    """The nearest folder at or above ``folder`` that has a .git, searched up the path as
    written, as GitPython does (``folder`` itself when none has): git itself would search
    up the physical path, which leaves the repository through a symlinked folder or
    answers nothing from inside the git directory, and containment would then be off."""
    probe = folder
    while not os.path.lexists(os.path.join(probe, ".git")):
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent
    return probe


def config_moves(path: str) -> bool:
    """True unless the git config file at ``path`` (if any) plainly leaves the worktree where
    its .git is: no core.worktree, no core.bare other than false, no include."""
    try:
        with open(path, "rb") as f:
            text = f.read(_CONFIG_LIMIT + 1).decode("utf-8", "replace").lower()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    if len(text) > _CONFIG_LIMIT:
        return True
    for line in text.splitlines():
        words = line.split("=", 1)
        name = words[0].strip()
        if name.startswith("[") and "include" in name:
            return True
        if name == "worktree" or (name == "bare" and (len(words) < 2 or words[1].strip() not in
                                                      ("false", "no", "off", "0"))):
            return True
    return False


def plain_layout(probe: str, environ: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """(worktree root, git dir), both real paths, as git would answer from ``probe`` for the
    plain layout; None: ask git.

    ``git rev-parse`` from ``probe`` answers ``probe`` itself when ``probe/.git`` is a
    folder of ours holding a repository and nothing in the environment or the
    config moves the worktree. Everything else (a .git file of a linked worktree or
    submodule, GIT_DIR, core.worktree, a repository of another user that
    safe.directory decides on, includes) is git's to answer. Starting git costs
    more than the rest of a cached read.
    """
    if any(environ.get(name) for name in MOVERS) or not hasattr(os, "geteuid"):
        return None
    dot_git = os.path.join(probe, ".git")
    try:
        st_git, st_top = os.lstat(dot_git), os.stat(probe)
    except OSError:
        return None
    uid = os.geteuid()
    if not stat.S_ISDIR(st_git.st_mode) or st_git.st_uid != uid or st_top.st_uid != uid:
        return None
    if not os.path.isfile(os.path.join(dot_git, "HEAD")) or not os.path.isdir(os.path.join(dot_git, "objects")) \
            or os.path.lexists(os.path.join(dot_git, "commondir")) \
            or os.path.lexists(os.path.join(dot_git, "config.worktree")):
        return None
    home = environ.get("HOME", "")
    xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    configs = [os.path.join(dot_git, "config"), os.path.join(xdg, "git", "config")]
    configs += [os.path.join(home, ".gitconfig")] if home else []
    configs += [] if environ.get("GIT_CONFIG_NOSYSTEM") else ["/etc/gitconfig"]
    if any(config_moves(path) for path in configs):
        return None
    return os.path.realpath(probe), os.path.realpath(dot_git)


def plain_worktree(start: Optional[str], environ: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """``plain_layout`` of the repository ``start`` is in, as ``repo.locate`` would find it
    there (where the file is decides: git's repository variables in ``environ`` do not)."""
    env = {k: v for k, v in repo_env(environ).items() if k not in REPO_VARS}
    return plain_layout(probe_of(real_folder(start)), env)
