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
    from typing import Dict, Mapping, Optional, Tuple, Union

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
    its .git is (``plain_config``); anything it cannot read plainly counts as moving it."""
    try:
        with open(path, "rb") as f:
            text = f.read(_CONFIG_LIMIT + 1).decode("utf-8", "replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return len(text) > _CONFIG_LIMIT or not plain_config(text)


_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_KEY_CHARS = frozenset(_ASCII_LETTERS + "0123456789-")
_SECTION_CHARS = _KEY_CHARS | {"."}
_FALSE = ("false", "no", "off", "0", "")  # git's false words (an empty value is false too)
_ESCAPES = frozenset('"\\ntb')
_NO_SECTION, _OTHER = "", "\0"  # before any section header; a section with a subsection


def plain_config(text: str) -> bool:
    """True when the git config ``text`` is in a shape read here exactly as git reads it
    (git-config(1), "Syntax") and leaves the worktree where its .git is: no core.worktree,
    core.bare false, no include, a repository format and extensions git 2.x reads as plain.

    The shape: lines of nothing, a comment, a section header alone (``[name]``, ``[name
    "sub"]``, a comment after it), or ``key`` / ``key = value`` with balanced quotes and
    git's escapes. Anything else (a key on the header's line, a continuation line, a BOM,
    control characters, a key before any section) is not read here: False, and git is
    asked, which then reads the file as it does.
    """
    section = _NO_SECTION
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if any(c < " " and c != "\t" for c in line) or "\x7f" in line:
            return False
        rest = line.lstrip(" \t")
        if not rest or rest[0] in "#;":
            continue
        if rest[0] == "[":
            found = _section(rest)
            if found is None:
                return False
            section = found
            continue
        end = 0
        while end < len(rest) and rest[end] in _KEY_CHARS:
            end += 1
        key, after = rest[:end].lower(), rest[end:].lstrip(" \t")
        if not key or key[0] not in _ASCII_LETTERS or section == _NO_SECTION or (after and after[0] != "="):
            return False
        value = None if not after else _value(after[1:])
        if value is False:
            return False
        if not _plain_setting(section, key, value):
            return False
    return True


def _section(rest: str) -> Optional[str]:
    """The section a header line opens (lowercased; ``_OTHER`` for one with a subsection),
    or None when the line is not a header alone."""
    end = 1
    while end < len(rest) and rest[end] in _SECTION_CHARS:
        end += 1
    name = rest[1:end].lower()
    if not name or "" in name.split(".") or "include" in name:
        return None
    found = name
    if end < len(rest) and rest[end] in " \t":
        while end < len(rest) and rest[end] in " \t":
            end += 1
        if end >= len(rest) or rest[end] != '"':
            return None
        end += 1
        start = end
        while end < len(rest) and rest[end] != '"':
            end += 2 if rest[end] == "\\" else 1
        if end >= len(rest):
            return None
        if name == "color" and rest[start:end].replace("\\", "") == "advice":
            return None  # color.advice.*: colours git parses while it starts
        end += 1
        found = _OTHER
    after = rest[end + 1:].lstrip(" \t") if end < len(rest) and rest[end] == "]" else None
    if after is None or (after and after[0] not in "#;"):
        return None
    if found.startswith("color.advice"):
        return None
    return found if "." not in found else _OTHER


def _value(text: str) -> str | bool:
    """A value as git reads it (quotes and escapes resolved, the comment dropped); True for a
    value written with quotes (read here only where its text does not matter); False when
    it is not read here (a continuation line, an unknown escape, an unbalanced quote)."""
    if not any(c in text for c in '"\\#;'):
        return text.strip(" \t")
    out, quoted, i = [], False, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _ESCAPES:
                return False
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "#;":
            break
        out.append(c)
        i += 1
    if quoted:
        return False
    return True if '"' in out or "\\" in text[:i] else "".join(out).strip(" \t")


# The sections git parses while it starts (git_default_config), where one bad value makes
# every git command fail: there the fast path answers only for values it can judge as git
# does; a key listed as None, or any key of core not listed, is git's to judge.
_BOOL, _STRING, _PATH = "bool", "string", "path"
_STARTUP: Dict[str, Dict[str, Union[str, Tuple[str, ...], None]]] = {
    "core": {"filemode": _BOOL, "symlinks": _BOOL, "ignorecase": _BOOL, "precomposeunicode": _BOOL,
             "trustctime": _BOOL, "quotepath": _BOOL, "logallrefupdates": ("always",), "autocrlf": ("input",),
             "sharedrepository": ("umask", "group", "all", "world", "everybody"), "editor": _STRING,
             "excludesfile": _PATH, "attributesfile": _PATH, "hookspath": _PATH},
    "user": {"name": _STRING, "email": _STRING, "useconfigonly": _BOOL},
    "author": {"name": _STRING, "email": _STRING},
    "committer": {"name": _STRING, "email": _STRING},
    "i18n": {"commitencoding": _STRING, "logoutputencoding": _STRING},
    "push": {"default": ("nothing", "matching", "simple", "upstream", "tracking", "current")},
    "branch": {"autosetupmerge": None, "autosetuprebase": None},
    "mailmap": {"file": _PATH, "blob": _STRING},
    "attr": {"tree": _STRING},
    "color": {"pager": _BOOL, "advice": None},
}
_TRUE = ("true", "yes", "on")
_ALL_BOOL = ("sparse", "advice")  # sections whose every key git reads as a boolean


def _plain_setting(section: str, key: str, value: str | bool | None) -> bool:
    """Whether one setting leaves git's plain layout as it is and git starts with it
    (``value``: see ``_value``; None for a key without ``=``, git's true)."""
    if section == "core":
        if key == "worktree":
            return False
        if key == "bare":
            return isinstance(value, str) and value.lower() in _FALSE
        if key == "repositoryformatversion":
            return value in ("0", "1")
    elif section == "extensions":
        # An extension git does not know makes it refuse the repository; the object format is
        # read by ``object_format``.
        return key == "objectformat"
    elif section == "pack":
        return False
    elif section in _ALL_BOOL:
        return _git_bool(value)
    keys = _STARTUP.get(section)
    if keys is None:
        return True
    if key not in keys:
        return section != "core"
    kind = keys[key]
    if kind is None:
        return False
    if kind == _BOOL:
        return _git_bool(value)
    if value is None or (kind == _PATH and (value is True or str(value).startswith("~"))):
        return False
    if not isinstance(kind, tuple):
        return True
    # One of the words git compares exactly, or (but for push.default) a boolean.
    return isinstance(value, str) and (value in kind or (section != "push" and _git_bool(value)))


def _git_bool(value: str | bool | None) -> bool:
    """Whether git reads ``value`` as a boolean: its words, or a small decimal integer (the
    integers git also takes, octal, hex, with a unit, are left to git)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    digits = value[1:] if value.startswith("-") else value
    return value.lower() in _TRUE + _FALSE or digits == "0" or (
        digits.isdigit() and digits.isascii() and digits[0] != "0" and len(digits) <= 9)


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


def _may_hold_repository(folder: str) -> bool:
    # git looks for folder/.git, then at folder itself as a git directory (a bare
    # repository, or the inside of a .git): HEAD is what every one of those has.
    return any(os.path.lexists(os.path.join(folder, name)) for name in (".git", "HEAD", "commondir"))


def outside_any_repository(folder: str) -> bool:
    """True when git, started in ``folder`` without GIT_DIR, could find no repository:
    nothing at or above it, on the path as written or on the physical one (git walks
    the physical one), that is or holds a git directory. Asking git is then a process
    for a known answer (``repo.worktree_of``, for a config that is in no repository)."""
    seen = set()
    for start in (os.path.abspath(folder), os.path.realpath(folder)):
        probe = start
        while probe not in seen:
            seen.add(probe)
            if _may_hold_repository(probe):
                return False
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
    return True


def hook_git_dir(environ: Mapping[str, str], cwd: Optional[str] = None) -> Optional[str]:
    """The git directory a process git started at the worktree's top (a hook, a merge
    driver) works in, read from the file system: GIT_DIR when git set it (linked
    worktrees), else ``.git`` there, a folder or a ``gitdir:`` file. None for anything
    else (ask git, or do without). The same search as the hook scripts' ``git_dir``."""
    top = os.path.abspath(cwd or os.curdir)
    given = environ.get("GIT_DIR")
    if given:
        found = os.path.join(top, given)
    else:
        dot_git = os.path.join(top, ".git")
        found = dot_git
        if os.path.isfile(dot_git):
            try:
                with open(dot_git, "rb") as f:
                    line = f.read(4096).decode("utf-8", "surrogateescape").split("\n", 1)[0].rstrip("\r")
            except OSError:
                return None
            if not line.startswith("gitdir: "):
                return None
            found = os.path.join(top, line[len("gitdir: "):])
    if not os.path.isdir(found) or not os.path.lexists(os.path.join(found, "HEAD")):
        return None
    return found


def common_dir(git_dir: str) -> str:
    """The common git directory of a (per-worktree) ``git_dir``: its ``commondir``, if any."""
    try:
        with open(os.path.join(git_dir, "commondir"), "rb") as f:
            named = f.read(4096).decode("utf-8", "surrogateescape").split("\n", 1)[0].rstrip("\r")
    except OSError:
        return git_dir
    return os.path.join(git_dir, named) if named else git_dir


def object_format(common: str) -> Optional[str]:
    """The repository's object format (``extensions.objectFormat``: ``sha1`` or ``sha256``)
    as its own config file says; None when that file cannot be read plainly. git reads
    the repository's extensions from that file alone (no includes)."""
    try:
        with open(os.path.join(common, "config"), "rb") as f:
            text = f.read(_CONFIG_LIMIT + 1).decode("utf-8", "replace")
    except FileNotFoundError:
        return "sha1"
    except OSError:
        return None
    if len(text) > _CONFIG_LIMIT:
        return None
    section, found = "", "sha1"
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line[1:line.find("]")].strip().lower() if "]" in line else ""
            line = line[line.find("]") + 1:].strip() if "]" in line else ""
        if not line or line[0] in "#;":
            continue
        name, _, value = line.partition("=")
        if section == "extensions" and name.strip().lower() == "objectformat":
            value = value.split("#", 1)[0].split(";", 1)[0].strip().strip('"').strip().lower()
            if value not in ("sha1", "sha256"):
                return None
            found = value
    return found


def plain_worktree(start: Optional[str], environ: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """``plain_layout`` of the repository ``start`` is in, as ``repo.worktree_of`` would find it
    there (where the file is decides: git's repository variables in ``environ`` do not)."""
    env = {k: v for k, v in repo_env(environ).items() if k not in REPO_VARS}
    return plain_layout(probe_of(real_folder(start)), env)
