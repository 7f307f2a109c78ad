"""All git access, in one module (with ``layout``, which reads the plain layout from
the file system and starts no git).

What runs on every commit (hooks, the history engine, ``validate`` and ``migrate`` under the
pre-commit framework, the API's ``ConfigManager`` and ``effective_config``) asks plain ``git``
through ``run_git``, once where it can, or nothing at all: importing GitPython (about 70 ms)
would cost more than the whole check. GitPython is the git layer of ``install`` and
``doctor`` only; both answers agree (tests/git/test_repo.py checks them side by side).
"""
from __future__ import annotations

import os
import posixpath
import re
from typing import IO, TYPE_CHECKING, Dict, Iterator, List, Literal, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..core.document import CONFIG_PATH
from ..core.errors import GitError, Problem
from ..store.files import read_bytes
from ..store.paths import Worktree, inside
from .layout import DISCOVERY_VARS, REPO_VARS, outside_any_repository, plain_layout, probe_of, real_folder, repo_env

if TYPE_CHECKING:
    import subprocess


_located: Dict[Tuple[str, Tuple[Optional[str], ...]], Tuple[Tuple[int, ...], Optional[Worktree]]] = {}


def _from_files(probe: str, environ: Mapping[str, str]) -> Optional[Worktree]:
    """git's answer for the plain layout (``layout.plain_layout``) as a Worktree; None: ask git."""
    found = plain_layout(probe, environ)
    return Worktree(found[0], found[1], found[1]) if found else None


# -- the worktree finders, one family: worktree_of (any path: the file system first, else one
# rev-parse), worktree_of_folder (the same, whatever GIT_DIR says), worktree_from_git (git's
# own answer), worktree_by_gitpython (install and doctor), hook_worktree (a hook's, or an error).
def worktree_of(start: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> Optional[Worktree]:
    """``worktree_by_gitpython`` without GitPython, for what a new process runs on every commit
    (``effective_config``, ``ConfigManager.load_config``): GitPython's import alone
    would cost several times the whole read. The plain layout is read from the file
    system; anything else is one ``git rev-parse``."""
    environ = repo_env(os.environ if environ is None else environ)
    folder = real_folder(start)
    # Where the file is decides, not a GIT_DIR in the environment (see worktree_by_gitpython).
    found = _worktree_at(folder, {k: v for k, v in environ.items() if k not in REPO_VARS})
    if found is None and "GIT_DIR" in environ:
        found = _worktree_by_environment(folder, environ)
    return found


def _worktree_at(folder: str, environ: Mapping[str, str]) -> Optional[Worktree]:
    probe = probe_of(folder)
    plain = _from_files(probe, environ)
    if plain is not None:
        return plain
    if outside_any_repository(folder):
        # No .git at or above it: git would find nothing either. A config in no
        # repository (Code Query's handler tests use a temporary folder) starts no process.
        return None
    # git's answer for a folder holds while its .git entry is the same: a process
    # that makes many managers (a server, forked workers) asks git once.
    try:
        st = os.lstat(os.path.join(probe, ".git"))
        stamp: Optional[tuple[int, ...]] = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        stamp = None
    key = (probe, tuple(environ.get(n) for n in DISCOVERY_VARS))
    known = _located.get(key)
    if known is not None and stamp is not None and known[0] == stamp:
        return known[1]
    found = worktree_from_git(probe, environ)
    if stamp is not None:
        _located[key] = (stamp, found)
    return found


def worktree_by_gitpython(start: Optional[str] = None,
                          environ: Optional[Mapping[str, str]] = None) -> Optional[Worktree]:
    """The worktree containing ``start`` (a file or folder), or None outside any.

    Where the file is decides, not a GIT_DIR left in the environment: a hook of
    a superproject and the API inside its submodule must find the same worktree
    (one lock, one containment). Only when that finds nothing does a GIT_DIR
    count (a work tree git knows only from the environment), taken relative to
    the current folder as git takes it, and only for a ``start`` inside it.
    """
    import git

    environ = os.environ if environ is None else environ
    folder = real_folder(start)
    if "GIT_DIR" in environ:
        # GitPython's Repo(path) would read GIT_WORK_TREE from os.environ: plain git, without it.
        return worktree_of(folder, environ)
    try:
        repo = git.Repo(folder, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        if repo.bare or repo.working_tree_dir is None:
            return None
        return Worktree(
            os.path.realpath(repo.working_tree_dir),
            os.path.realpath(repo.git_dir),
            os.path.realpath(repo.common_dir),
        )
    finally:
        repo.close()


def _worktree_by_environment(folder: str, environ: Mapping[str, str]) -> Optional[Worktree]:
    """The worktree GIT_DIR names (taken from the current folder, as git takes it), for a
    ``folder`` inside it: a work tree git knows only from the environment."""
    found = worktree_from_git(os.getcwd(), anchored(environ))
    return found if found is not None and inside(folder, found.root) else None


def worktree_of_folder(folder: str, environ: Mapping[str, str]) -> Optional[Worktree]:
    """The worktree ``folder`` is really in, whatever GIT_DIR the environment names."""
    return worktree_of(folder, {k: v for k, v in environ.items() if k not in REPO_VARS})


def anchored(environ: Mapping[str, str]) -> Dict[str, str]:
    """``environ`` with relative repository variables made absolute from the current
    folder, as git reads them, so that git can be run from another folder."""
    env = dict(environ)
    for name in REPO_VARS:
        value = env.get(name)
        if value and not os.path.isabs(value):
            env[name] = os.path.abspath(value)
    return env


def run_git(args: Sequence[str], cwd: Optional[str] = None, input: Optional[bytes] = None,
            environ: Optional[Mapping[str, str]] = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Plain ``git`` for hook hot paths, where GitPython's import costs too much.

    ``environ`` is passed whole: git has set GIT_DIR / GIT_INDEX_FILE for the
    hook, and staged content must come from that index (``commit -a`` and
    ``commit -- path`` use temporary index files).
    """
    import subprocess  # not on the paths that never start git

    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, check=False,
            env=None if environ is None else dict(environ),
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed"
        raise GitError(message)
    return proc


# -- hooks ----------------------------------------------------------------------
# Hooks call plain git: it sees the environment git gave the hook (GIT_DIR in a
# linked worktree, GIT_INDEX_FILE during a commit) exactly as git meant it.
class StagedChange(NamedTuple):
    status: str  # git's letter: A, M, T, D, U (unmerged)
    mode: str  # the index entry's mode, "120000" for a symlink
    sha: str  # the staged blob ("0" * 40 when deleted or unmerged)


_LAYOUT = ("--show-toplevel", "--absolute-git-dir", "--git-common-dir")


def worktree_from_git(cwd: Optional[str], environ: Mapping[str, str]) -> Optional[Worktree]:
    """git's own answer in one ``rev-parse``: for hot paths (hooks, ``validate``), where
    importing GitPython would cost more than the whole check. None outside a worktree;
    a repository git refuses to use (dubious ownership) raises with git's reason."""
    folder = os.path.abspath(cwd or os.getcwd())
    proc = run_git(["rev-parse", *_LAYOUT], cwd=folder, environ=environ, check=False)
    if proc.returncode != 0:
        _refused(proc.stderr)
        return None
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if len(lines) != 4:
        # rev-parse has no -z: a path holding a newline makes more lines than
        # answers. Then one question per call, each answer ending in one newline.
        lines = [_one(folder, option, environ) for option in _LAYOUT]
        if "" in lines:
            return None
    root, git_dir, common = lines[:3]
    # --git-common-dir may answer relative to the folder git ran in.
    return Worktree(os.path.realpath(root), os.path.realpath(git_dir), os.path.realpath(os.path.join(folder, common)))


def _one(folder: str, option: str, environ: Mapping[str, str]) -> str:
    proc = run_git(["rev-parse", option], cwd=folder, environ=environ, check=False)
    out = proc.stdout.decode("utf-8", "surrogateescape")
    return out[:-1] if proc.returncode == 0 and out.endswith("\n") else ""


def _refused(stderr: bytes) -> None:
    """git found a repository but will not use it: say why, not "not a repository"."""
    message = stderr.decode("utf-8", "replace").strip()
    if "dubious ownership" in message:
        lines = message.replace("fatal: ", "git refuses this repository: ", 1).splitlines()
        raise GitError([Problem("", line.strip()) for line in lines if line.strip()])


def hook_worktree(cwd: Optional[str], environ: Mapping[str, str]) -> Worktree:
    """The worktree a hook (or ``hook`` typed in any subfolder) runs in."""
    worktree = worktree_from_git(cwd, environ)
    if worktree is None:
        raise GitError(f"{os.path.abspath(cwd or os.getcwd())}: not a git repository (or not inside its worktree)")
    return worktree


STAGED_VAR = "CODEQUERY_GITCFG_STAGED"
STAGED_FOR = CONFIG_PATH  # the one path the installed script asks git about


def staged_change(worktree: Worktree, relpath: str, environ: Mapping[str, str]) -> Optional[StagedChange]:
    """How the index being committed (GIT_INDEX_FILE) changes ``relpath`` from HEAD; None if not at all.

    The installed pre-commit script has already asked git this for the config
    (``git diff --cached --raw``) and hands the answer over in CODEQUERY_GITCFG_STAGED;
    one git call saved.
    """
    target = relpath.replace(os.sep, "/")
    given = environ.get(STAGED_VAR) if target == STAGED_FOR else None
    if given:
        found = _find_record([tuple(line.split("\t", 1)) for line in given.splitlines() if "\t" in line], target)
        if found is not False:
            return found
        # Not what our script hands over (set by hand, or by another tool): ask git.
    return staged_changes(worktree, [target], environ).get(target)


def staged_changes(worktree: Worktree, relpaths: Sequence[str], environ: Mapping[str, str]) -> Dict[str, StagedChange]:
    """``staged_change`` of several paths in one git call, by path."""
    out = run_git(
        ["diff", "--cached", "--raw", "--no-abbrev", "--no-renames", "--no-color", "-z", "--",
         *[_literal(p) for p in relpaths]],
        cwd=worktree.root, environ=environ,
    ).stdout.decode("utf-8", "surrogateescape")
    fields = out.split("\0")
    records = list(zip(fields[::2], fields[1::2]))
    changes: Dict[str, StagedChange] = {}
    for path in relpaths:
        found = _find_record(records, path)
        if found is False:
            raise GitError(f"cannot read git's answer about the staged {path}")
        if found is not None:
            changes[path] = found
    return changes


_RAW = re.compile(r":?([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) ([A-Z][0-9]*)")


def _find_record(records: Sequence[Tuple[str, ...]], target: str) -> StagedChange | Literal[False] | None:
    """The change of ``target`` among ``git diff --raw`` records; False when a record is malformed."""
    for record in records:
        if len(record) != 2:
            return False
        meta, path = record
        m = _RAW.fullmatch(meta.strip())
        if m is None:
            return False
        if path == target:  # the pathspec also matches files below a folder of that name
            return StagedChange(m.group(5)[:1], m.group(2), m.group(4))
    return None


def unchanged_since(worktree: Worktree, rev: str, relpath: str, environ: Mapping[str, str]) -> bool:
    """True when the working-tree ``relpath`` is as in ``rev`` (False when ``rev`` is unknown)."""
    proc = run_git(["diff", "--quiet", rev, "--", relpath], cwd=worktree.root, environ=environ, check=False)
    return proc.returncode == 0


def _literal(relpath: str) -> str:
    return ":(literal)" + relpath.replace(os.sep, "/")


def index_entries(worktree: Worktree, relpaths: Sequence[str],
                  environ: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """(mode, blob) of each path in the index being committed (merged entries only)."""
    out = run_git(["ls-files", "-s", "-z", "--", *[_literal(p) for p in relpaths]],
                  cwd=worktree.root, environ=environ).stdout.decode("utf-8", "surrogateescape")
    entries: Dict[str, Tuple[str, str]] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if path in relpaths and meta:
            mode, sha, stage = meta.split()
            if stage == "0":
                entries[path] = (mode, sha)
    return entries


MAX_LINKS = 40  # as the kernel's limit on symlinks in one path


def tree_entries(worktree: Worktree, rev: str, relpaths: Sequence[str],
                 environ: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """(mode, blob) of each of ``relpaths`` that is not a folder in ``rev``'s tree."""
    out = run_git(["ls-tree", "-z", "--full-tree", rev, "--", *[_literal(p) for p in relpaths]],
                  cwd=worktree.root, environ=environ).stdout.decode("utf-8", "surrogateescape")
    entries: Dict[str, Tuple[str, str]] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if path in relpaths and len(fields) == 3 and fields[1] != "tree":
            entries[path] = (fields[0], fields[2])
    return entries


def committed_path(worktree: Worktree, relpath: str, environ: Mapping[str, str],
                   rev: Optional[str] = None) -> Tuple[Optional[str], List[str]]:
    """Where ``relpath`` leads in the index (or in ``rev``'s tree), following the symlinks
    the commit carries (a committed ``.code-query`` or ``config.json`` link): the path of
    the file every reader of a checkout opens, and the links on the way. The path is None
    when the links leave the worktree or loop."""
    parts = relpath.split("/")
    links: List[str] = []
    while True:
        prefixes = ["/".join(parts[:i + 1]) for i in range(len(parts))]
        entries = (index_entries(worktree, prefixes, environ) if rev is None
                   else tree_entries(worktree, rev, prefixes, environ))
        link = next((p for p in prefixes if entries.get(p, ("",))[0] == "120000"), None)
        if link is None:
            return "/".join(parts), links
        if len(links) >= MAX_LINKS:
            return None, links
        links.append(link)
        target = read_blob(worktree, entries[link][1], environ).decode("utf-8", "surrogateescape")
        rest = parts[len(link.split("/")):]
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(link), target, *rest))
        if target.startswith("/") or joined == ".." or joined.startswith("../"):
            return None, links
        parts = joined.split("/")


def read_blob(worktree: Worktree, sha: str, environ: Mapping[str, str]) -> bytes:
    return run_git(["cat-file", "blob", sha], cwd=worktree.root, environ=environ).stdout


def blob_at(worktree: Worktree, rev: str, relpath: str, environ: Mapping[str, str]) -> Optional[str]:
    """The blob ``rev`` holds at ``relpath``; None when it holds none (deleted, never added)."""
    blob = run_git(["rev-parse", "--verify", "-q", f"{rev}:{relpath.replace(os.sep, '/')}"], cwd=worktree.root,
                   environ=environ, check=False)
    return blob.stdout.decode("ascii").strip() if blob.returncode == 0 else None


def head_name(worktree: Worktree, environ: Mapping[str, str]) -> Tuple[str, str]:
    """HEAD's abbreviated name and subject."""
    out = run_git(["log", "-1", "--no-show-signature", "--format=%h%x00%s", "HEAD"], cwd=worktree.root,
                  environ=environ).stdout.decode("utf-8", "replace")
    short, _, subject = out.rstrip("\n").partition("\0")
    return short, subject


def head_changes(worktree: Worktree, relpaths: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether HEAD changes any of ``relpaths`` against its first parent (a root commit: True)."""
    proc = run_git(["diff-tree", "--quiet", "-r", "--no-renames", "HEAD^", "HEAD", "--",
                    *[_literal(p) for p in relpaths]], cwd=worktree.root, environ=environ, check=False)
    return proc.returncode != 0


def stage_blob(worktree: Worktree, relpath: str, mode: str, data: bytes, environ: Mapping[str, str]) -> str:
    """Store ``data`` as it is (no filters) and point the index entry of ``relpath`` at it."""
    sha = run_git(["hash-object", "-w", "--stdin"], cwd=worktree.root, input=data, environ=environ).stdout
    blob = sha.decode("ascii").strip()
    entry = f"{mode},{blob},{relpath.replace(os.sep, '/')}"
    run_git(["update-index", "--cacheinfo", entry], cwd=worktree.root, environ=environ)
    return blob


# -- clean/smudge filters ---------------------------------------------------------
def filter_of(worktree: Worktree, relpath: str, environ: Mapping[str, str]) -> Optional[str]:
    """The git filter (``filter`` attribute) that ``relpath`` goes through, None if none."""
    out = run_git(["check-attr", "-z", "filter", "--", relpath], cwd=worktree.root, environ=environ,
                  check=False).stdout.decode("utf-8", "surrogateescape").split("\0")
    value = out[2] if len(out) > 2 else "unspecified"
    return None if value in ("unspecified", "unset", "") else value


def cleaned_id(worktree: Worktree, relpath: str, path: str, environ: Mapping[str, str]) -> str:
    """The blob id the working file ``path`` would be staged as: through the clean filter."""
    out = run_git(["hash-object", f"--path={relpath}", "--stdin"], cwd=worktree.root, environ=environ,
                  input=read_bytes(path)[0]).stdout
    return out.decode("ascii").strip()


def smudged(worktree: Worktree, relpath: str, sha: str, environ: Mapping[str, str]) -> bytes:
    """Blob ``sha`` as a checkout of ``relpath`` writes it: through the smudge filter."""
    return run_git(["cat-file", "--filters", f"--path={relpath}", sha], cwd=worktree.root, environ=environ).stdout


class IgnoreRule(NamedTuple):
    source: str  # the file holding the rule (.gitignore, .git/info/exclude, core.excludesFile)
    line: int
    pattern: str


def ignored_by(worktree: Worktree, relpath: str, environ: Mapping[str, str]) -> Optional[IgnoreRule]:
    """The rule that makes git ignore ``relpath``; None when git would see it (or tracks it)."""
    proc = run_git(["check-ignore", "-v", "-z", "--stdin"], cwd=worktree.root, environ=environ, check=False,
                   input=relpath.replace(os.sep, "/").encode("utf-8", "surrogateescape") + b"\0")
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    if proc.returncode != 0 or len(fields) < 3 or fields[2].startswith("!"):
        return None
    line = int(fields[1]) if fields[1].isdigit() else 0
    return IgnoreRule(fields[0], line, fields[2])


def hooks_path(worktree: Worktree, environ: Mapping[str, str]) -> tuple[str, Optional[str]]:
    """The hooks folder git really uses here, and core.hooksPath as configured (or None)."""
    import git

    env = repo_env(environ)
    runner = git.Git(worktree.root)
    # Relative answers (and a relative core.hooksPath) are taken from the worktree's top.
    folder = str(runner.execute(["git", "rev-parse", "--git-path", "hooks"], env=env))
    try:
        configured: Optional[str] = str(runner.execute(["git", "config", "--get", "core.hooksPath"], env=env))
    except git.GitCommandError:  # exit 1: not set
        configured = None
    return os.path.normpath(os.path.join(worktree.root, folder)), configured


def tracked_in(worktree: Worktree, folder: str, environ: Mapping[str, str]) -> List[str]:
    """The files the repository tracks in ``folder`` (a committed hooks folder), as git
    names them; none for a folder outside the worktree or in the git directory."""
    real = os.path.realpath(folder)
    if not inside(real, worktree.root) or inside(real, worktree.git_dir) or inside(real, worktree.common_dir):
        return []
    out = run_git(["ls-files", "-z", "--", _literal(os.path.relpath(real, worktree.root))], cwd=worktree.root,
                  environ=repo_env(environ)).stdout
    return [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


# -- the merge driver's registration ------------------------------------------------
def config_get(worktree: Worktree, key: str, environ: Mapping[str, str]) -> Optional[str]:
    """One value of the repository's own (local) git config, None when unset."""
    proc = run_git(["config", "--local", "--get", key], cwd=worktree.root, environ=repo_env(environ), check=False)
    if proc.returncode == 1:
        return None
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"git config --get {key} failed")
    return proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n")


def config_set(worktree: Worktree, key: str, value: str, environ: Mapping[str, str]) -> None:
    run_git(["config", "--local", key, value], cwd=worktree.root, environ=repo_env(environ))


def config_remove_section(worktree: Worktree, section: str, environ: Mapping[str, str]) -> None:
    run_git(["config", "--local", "--remove-section", section], cwd=worktree.root, environ=repo_env(environ),
            check=False)


def pending_autostash(worktree: Worktree) -> list[str]:
    """The autostash files git will re-apply once its merge or rebase is done."""
    names = (os.path.join("rebase-merge", "autostash"), os.path.join("rebase-apply", "autostash"), "MERGE_AUTOSTASH")
    return [name for name in names if os.path.exists(os.path.join(worktree.git_dir, name))]


# -- history: the config in many commits, one listing and one blob reader ------------------
# What ``git.history`` (``validate --rev/--range``, pre-push, pre-receive, post-rewrite)
# asks git. Every command here passes ``environ`` whole: in pre-receive it holds the
# quarantine (GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES),
# where the pushed objects are until the hook accepts them. Replace refs are ignored: a
# pushed or planted ``refs/replace/`` must not show git's history in place of the real one.
HISTORY_PATHS = (STAGED_FOR, STAGED_FOR.split("/")[0])  # the config, and its folder (a symlink there)
_HEX = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_NAMES = "%H%x00%h%x00%P%x00%s"
_LISTED = "%H%x00%P%x00%s"  # the listing: full ids everywhere (abbreviations come later, when needed)


def is_null(sha: str) -> bool:
    """git's all-zero id: a ref that does not exist (a deletion, a new branch)."""
    return bool(sha) and sha.strip("0") == ""


def is_object_id(text: str) -> bool:
    return _HEX.fullmatch(text) is not None


class CommitName(NamedTuple):
    commit: str  # the full id
    short: str  # as git abbreviates it
    parents: Tuple[str, ...]
    subject: str


class ConfigChange(NamedTuple):
    """One commit's change of the config (or of its folder), as ``git log --raw`` says it."""

    name: CommitName
    path: str  # STAGED_FOR, or the folder when the folder itself changed (a symlink)
    mode: str  # the new entry's mode: "100644", "120000" a symlink, "000000" deleted
    blob: str  # the new blob's full id


def _history_git(args: Sequence[str], cwd: Optional[str], environ: Mapping[str, str],
                 input: Optional[bytes] = None) -> bytes:
    proc = run_git(["--no-replace-objects", *args], cwd=cwd, input=input, environ=environ, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = lines[0].replace("fatal: ", "", 1) if lines else "failed"
        raise GitError(f"git {args[0]}: {first}")
    return proc.stdout


def _name(fields: Sequence[str]) -> CommitName:
    return CommitName(fields[0], fields[1], tuple(fields[2].split()), fields[3])


def config_changes(revs: Sequence[str], cwd: Optional[str], environ: Mapping[str, str], *, walk: bool = True,
                   ignore_missing: bool = False) -> List[ConfigChange]:
    """Every commit of ``revs`` whose config differs from its first parent's, in one ``git log``.

    ``walk``: ``revs`` is a range to walk, listed oldest first; otherwise the commits
    named, in the order given. Ids are full (``--no-abbrev``: an abbreviated blob id costs
    git a search to name it again); each commit's ``short`` is "" (``abbreviations``).
    ``--full-history``: a commit on a merged side branch is listed even when the merge
    ends up equal to one of its parents (a bad commit followed by its fix still counts).
    A merge is compared with its first parent, so a merge that brings a config counts as
    the commit that changed it; a root commit against nothing.
    """
    order = ["--topo-order", "--reverse"] if walk else ["--no-walk=unsorted"]
    missing = ["--ignore-missing"] if ignore_missing else []
    out = _history_git(
        ["log", "-z", "--no-show-signature", "--no-color", f"--format={_LISTED}", "--raw", "--no-abbrev",
         "--no-renames", "--root", "--full-history", "--diff-merges=first-parent", *order, *missing, *revs, "--",
         *[_literal(p) for p in HISTORY_PATHS]],
        cwd, environ).decode("utf-8", "surrogateescape")
    tokens = out.split("\0")
    changes: List[ConfigChange] = []
    i = 0
    while i < len(tokens):
        head = tokens[i].lstrip("\n")
        if not head:
            i += 1
            continue
        if not is_object_id(head) or i + 2 >= len(tokens):
            raise GitError("cannot read git's list of the config's changes")
        name = CommitName(head, "", tuple(tokens[i + 1].split()), tokens[i + 2])
        i += 3
        while i + 1 < len(tokens) and tokens[i].lstrip("\n").startswith(":"):
            # :OLD-MODE NEW-MODE OLD-BLOB NEW-BLOB STATUS
            fields = tokens[i].lstrip("\n").split(" ")
            if len(fields) != 5 or len(fields[1]) != 6 or not is_object_id(fields[3]):
                raise GitError("cannot read git's list of the config's changes")
            if tokens[i + 1] in HISTORY_PATHS:
                changes.append(ConfigChange(name, tokens[i + 1], fields[1], fields[3]))
            i += 2
    return changes



def abbreviations(commits: Sequence[str], cwd: Optional[str], environ: Mapping[str, str]) -> Dict[str, str]:
    """Each commit's abbreviated name, as git abbreviates it (``%h``), in one ``git log``."""
    if not commits:
        return {}
    out = _history_git(["log", "--stdin", "--no-walk=unsorted", "--no-show-signature", "--format=%H %h", "--"], cwd,
                       environ, input="".join(f"{c}\n" for c in dict.fromkeys(commits)).encode("ascii"))
    pairs = (line.split(" ") for line in out.decode("ascii", "replace").splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def commit_names(revs: Sequence[str], cwd: Optional[str], environ: Mapping[str, str]) -> List[CommitName]:
    """The commits ``revs`` name (a tag names its commit), in one ``git log --no-walk``."""
    out = _history_git(["log", "-z", "--no-show-signature", "--no-color", f"--format={_NAMES}", "--no-walk=unsorted",
                        *revs, "--"], cwd, environ).decode("utf-8", "surrogateescape")
    fields = [f.lstrip("\n") for f in out.split("\0")]
    return [_name(fields[i:i + 4]) for i in range(0, len(fields) - 3, 4)]


def tree_config(commit: str, cwd: Optional[str], environ: Mapping[str, str]) -> Optional[Tuple[str, str, str]]:
    """(path, mode, blob) of the config in ``commit``'s tree, or of its folder when that is not
    a folder (a symlink); None when the commit has no config."""
    out = _history_git(["ls-tree", "-z", "--full-tree", commit, "--", *[_literal(p) for p in HISTORY_PATHS]],
                       cwd, environ).decode("utf-8", "surrogateescape")
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if path in HISTORY_PATHS and len(fields) == 3 and fields[1] != "tree":
            return path, fields[0], fields[2]
    return None


class ObjectInfo(NamedTuple):
    name: str  # the full id
    kind: str  # blob, tree, commit, tag
    size: int


def object_info(names: Sequence[str], cwd: Optional[str], environ: Mapping[str, str]) -> List[Optional[ObjectInfo]]:
    """What each of ``names`` is (an id, abbreviated or not, or ``REV:PATH``), from the
    object's header alone (one ``cat-file --batch-check``); None for what does not exist."""
    if not names:
        return []
    data = "".join(f"{n}\n" for n in names).encode("utf-8", "surrogateescape")
    out = _history_git(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)", "--buffer"],
                       cwd, environ, input=data).decode("utf-8", "surrogateescape").split("\n")
    found: List[Optional[ObjectInfo]] = []
    for line in out[:len(names)]:
        fields = line.split(" ")
        ok = len(fields) == 3 and is_object_id(fields[0]) and fields[2].isdigit()
        found.append(ObjectInfo(fields[0], fields[1], int(fields[2])) if ok else None)
    if len(found) != len(names):
        raise GitError("cannot read git's answer about the config's blobs")
    return found


_CHUNK = 256  # ids written (10 KiB at most) before their contents are read: git never blocks on a full pipe


def read_blobs(ids: Sequence[str], cwd: Optional[str], environ: Mapping[str, str],
               limit: int) -> Iterator[Tuple[str, Optional[bytes]]]:
    """(id, bytes) of each blob, in order, through one ``git cat-file --batch``; None for one
    that is missing, not a blob or larger than ``limit`` (whose bytes are skipped, never kept).

    Bounded: at most one blob of at most ``limit`` bytes is in memory at a time.
    """
    if not ids:
        return
    import subprocess

    try:
        proc = subprocess.Popen(["git", "--no-replace-objects", "cat-file", "--batch"], cwd=cwd,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=dict(environ))
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    stdin, stdout = proc.stdin, proc.stdout
    if stdin is None or stdout is None:  # never: both are pipes
        raise GitError("cannot talk to git cat-file")
    try:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            stdin.write("".join(f"{i}\n" for i in chunk).encode("ascii"))
            stdin.flush()
            for sha in chunk:
                header = stdout.readline().decode("ascii", "replace").split()
                if len(header) == 2 and header[1] == "missing":
                    yield sha, None
                    continue
                if len(header) != 3 or not header[2].isdigit():
                    raise GitError(f"cannot read the blob {sha} from git")
                size = int(header[2])
                if header[1] != "blob" or size > limit:
                    _skip(stdout, size + 1)
                    yield sha, None
                    continue
                data = stdout.read(size + 1)
                if len(data) != size + 1:
                    raise GitError(f"cannot read the blob {sha} from git")
                yield sha, data[:size]
    finally:
        stdin.close()
        stdout.close()
        proc.wait()


def _skip(stream: IO[bytes], count: int) -> None:
    while count > 0:
        got = stream.read(min(count, 1 << 16))
        if not got:
            return
        count -= len(got)


def absolute_git_dir(cwd: Optional[str], environ: Mapping[str, str]) -> str:
    """The git directory of the repository at ``cwd``, bare or not (one ``rev-parse`` at most)."""
    given = environ.get("GIT_DIR")
    if given:
        return os.path.realpath(os.path.join(cwd or os.getcwd(), given))
    found = worktree_of(cwd, environ)
    if found is not None:
        return found.git_dir
    out = _history_git(["rev-parse", "--absolute-git-dir"], cwd, environ).decode("utf-8", "surrogateescape")
    return out[:-1] if out.endswith("\n") else out


def config_values(prefix: str, cwd: Optional[str], environ: Mapping[str, str]) -> Dict[str, Optional[str]]:
    """Every git config value under ``prefix.`` (names lowercased, as git compares them);
    None for a key written without ``=`` (git's "true")."""
    proc = run_git(["config", "-z", "--get-regexp", "^" + re.escape(prefix) + r"\."], cwd=cwd, environ=environ,
                   check=False)
    values: Dict[str, Optional[str]] = {}
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key, sep, value = record.partition("\n")
        if key:
            values[key.lower()] = value if sep else None
    return values


def repository(cwd: Optional[str], environ: Mapping[str, str]) -> Optional[Worktree]:
    """The repository at ``cwd`` for what needs no working tree (``install --server``,
    ``uninstall``): its worktree, or, for a bare repository, its git directory as the
    root (where git runs). None outside any repository."""
    found = worktree_by_gitpython(cwd, environ)
    if found is not None:
        return found
    folder = os.path.abspath(cwd or os.getcwd())
    proc = run_git(["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir"], cwd=folder,
                   environ=repo_env(environ), check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if proc.returncode != 0 or len(lines) != 4 or lines[0] != "true":
        return None
    git_dir = os.path.realpath(lines[1])
    return Worktree(git_dir, git_dir, os.path.realpath(os.path.join(folder, lines[2])))
