"""What the git hooks do (SPEC 6): check and migrate the config on commit and after pulls.

pre-commit judges the *staged* blob, read through git so that the temporary
index of ``git commit -a`` / ``git commit -- path`` (GIT_INDEX_FILE) is the
one checked, and blocks an invalid one. A legacy blob is migrated in the index;
the working-tree file is migrated with it, or left alone when it needs nothing,
so no unstaged edit is ever lost. The post-* hooks only ever touch the working
tree and never fail. Heavy modules are imported only once the config is concerned.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ..core import fmt, judge
from ..core.errors import (
    ConfigError,
    ConflictError,
    OutsideWorktreeError,
    Problem,
    ReadError,
)
from ..core.migrate import describe, to_file
from ..core.reader import MAX_BYTES
from ..store import files, memo
from ..store.locking import hold
from ..store.manager import ConfigManager
from ..store.paths import Worktree, contain
from . import ops, repo

CONFIG = ".code-query/config.json"  # as git names it, from the worktree's top
SKIP_VAR = "CODEQUERY_GITCFG_SKIP"
HOOKS = ("pre-commit", "pre-merge-commit", "post-merge", "post-rewrite", "post-checkout", "post-commit",
         "post-applypatch")
MERGE_DRIVER = "merge-driver"  # not a hook: what git runs to merge the config
_BOM = b"\xef\xbb\xbf"


def skipped(environ: Mapping[str, str]) -> bool:
    return environ.get(SKIP_VAR, "").strip().lower() in ("1", "true", "yes", "on")


def say(message: str) -> None:
    print(f"codequery-gitcfg: {message}", file=sys.stderr)


def _say_problems(problems: Sequence[Problem], label: Optional[str]) -> None:
    for problem in problems:
        print(f"  {problem.render(label)}", file=sys.stderr)


def run(name: str, args: Sequence[str], environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """Exit status of hook ``name`` called by git with ``args`` (or of the ``migrate`` fixer)."""
    if name == MERGE_DRIVER:
        from .mergedriver import merge_driver

        # Skipped, it still has to merge: git's own text merge, as without the driver.
        return merge_driver(args, environ, by_keys=not skipped(environ))
    if skipped(environ):
        return 0
    if name == "migrate":
        return fix_files(args, environ)
    if name in ("pre-commit", "pre-merge-commit"):
        # pre-merge-commit sees the merge result in the index, as pre-commit sees a commit's.
        # It only blocks: a merge commit carries what was merged, and post-merge migrates
        # a legacy result in the working tree for the user to commit.
        return pre_commit(environ, cwd, migrate=name == "pre-commit")
    if name in ("post-commit", "post-applypatch"):
        return _never_fail(name, lambda: after_commit(environ, cwd))
    if name in ("post-merge", "post-rewrite"):
        # post-rewrite names its command: "rebase" (as `git pull --rebase` runs it) or "amend",
        # which pre-commit already checked. The pre-commit framework runs one entry for both
        # stages, without arguments, and names the rewrite in its environment.
        rewrite = args[0] if name == "post-rewrite" and args else environ.get("PRE_COMMIT_REWRITE_COMMAND")
        if rewrite == "amend":
            return 0
        event = "merge" if name == "post-merge" and rewrite is None else "rebase"
        return _never_fail(name, lambda: after_update(event, environ, cwd))
    if name == "post-checkout":
        # args: previous HEAD, new HEAD, 1 for a branch checkout (0: files only)
        if len(args) >= 3 and args[2] != "1":
            return 0
        return _never_fail(name, lambda: after_checkout(environ, cwd))
    raise ConfigError(f"unknown hook {name!r}; known: {', '.join((*HOOKS, MERGE_DRIVER))}")


def _never_fail(name: str, body: Callable[[], int]) -> int:
    """post-* hooks cannot undo what git did; failing would only alarm, so they warn."""
    try:
        body()
    except ConfigError as exc:
        say(f"warning: the {name} hook could not check {CONFIG}:")
        _say_problems(exc.problems, exc.filename)
    except Exception as exc:  # a bug must not look like a failed pull
        say(f"warning: the {name} hook failed unexpectedly: {type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        pass
    return 0


# -- pre-commit -------------------------------------------------------------------
def pre_commit(environ: Mapping[str, str], cwd: Optional[str] = None, migrate: bool = True) -> int:
    worktree = repo.hook_worktree(cwd, environ)
    staged = repo.staged_change(worktree, CONFIG, environ)
    if staged is None or staged.status == "D":
        return 0  # not part of this commit, or deleted by it: nothing to check
    if staged.status == "U":
        raise ConfigError([Problem("", f"{CONFIG} has an unresolved merge conflict in the index; resolve it and `git add` it")])
    try:
        path = contain(os.path.join(worktree.root, CONFIG), worktree)
    except OutsideWorktreeError as exc:
        say(f"commit stopped: {CONFIG} cannot be checked:")
        _say_problems(exc.problems, None)
        return 1
    if staged.mode == "120000":
        return _check_link_target(path)
    memo_path = _memo_path(worktree)
    if memo.passed(memo_path, staged.sha):
        return 0  # this very blob passed before, under the same code and schema

    raw = repo.read_blob(worktree, staged.sha, environ)
    try:
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"config file is larger than {MAX_BYTES} bytes (1 MiB)", CONFIG)
        text, data = judge.parse(raw, CONFIG)
        verdict = judge.judge(data, text)
    except ConfigError as exc:
        return _blocked(exc.problems, path, raw)
    if verdict.problems:
        note = "not migrated: the migrated file would not be valid" if verdict.pending else None
        return _blocked(verdict.problems, path, raw, note)
    if not verdict.pending:
        memo.remember(memo_path, staged.sha)
        return 0
    if not migrate:
        return 0
    return _migrate_staged(worktree, staged, path, raw, text, data, verdict, environ)


def _memo_path(worktree: Worktree) -> str:
    return memo.path_in(worktree.git_dir, memo.BLOBS)


def _check_link_target(path: str) -> int:
    """A staged symlink (inside the worktree, already checked): judge the file it names."""
    try:
        doc = files.read(path, CONFIG)
        problems = judge.judge(doc.data, doc.text).gate_problems()
    except FileNotFoundError:
        problems = [Problem("", f"{CONFIG} is a symlink to a missing file")]
    except ConfigError as exc:
        problems = list(exc.problems)
    return _blocked(problems, path, None) if problems else 0


def _blocked(problems: Sequence[Problem], path: str, staged: Optional[bytes], note: Optional[str] = None) -> int:
    say(f"commit stopped: the staged {CONFIG} is not valid:")
    _say_problems(problems, CONFIG)
    if note:
        say(note)
    if staged is not None and _worktree_bytes(path) != staged:
        say(f"(positions refer to the staged version: `git show :{CONFIG}`)")
    say(f"fix it, `git add {CONFIG}` and commit again")
    return 1


def _worktree_bytes(path: str) -> Optional[bytes]:
    try:
        return files.read_bytes(path)[0]
    except (OSError, ConfigError):
        return None


def _migrate_staged(worktree: Worktree, staged: repo.StagedChange, path: str, raw: bytes,
                    text: str, data: Dict[str, Any], verdict: judge.Verdict, environ: Mapping[str, str]) -> int:
    manager = ConfigManager(path, worktree=worktree)
    new = to_file(verdict.result.config, data)
    blob = fmt.dump(new, fmt.detect(text, bom=raw.startswith(_BOM)))
    with hold(manager.lock_path, manager.lock_timeout):
        try:
            # The working-tree file is migrated on its own terms: it keeps its
            # own line endings and any unstaged edits. One that needs nothing
            # (already migrated by hand, or gone) is left as it is.
            worktree_changes: List[str] = []
            if os.path.lexists(path):
                migration = manager.migrate_file()
                if migration.verdict.pending and migration.after is None:
                    raise ConfigError(migration.verdict.problems)
                worktree_changes = migration.changes
        except ConfigError as exc:
            say(f"commit stopped: the staged {CONFIG} needs migrating to schema version 2, "
                "but the unstaged edits of the working-tree file cannot be migrated with it:")
            _say_problems(exc.problems, CONFIG)
            say(f"nothing was changed. Finish or undo those edits (`git diff {CONFIG}` shows them), then commit again.")
            return 1
        repo.stage_blob(worktree, CONFIG, staged.mode, blob, environ)
        real_index = _partial_commit_index(worktree, environ)
        if real_index is not None:
            repo.stage_blob(worktree, CONFIG, staged.mode, blob, {**environ, "GIT_INDEX_FILE": real_index})
    say(f"migrated the staged {CONFIG} to schema version 2; this commit carries the migrated file:")
    for change in describe(data, new):
        print(f"  - {change}", file=sys.stderr)
    if worktree_changes:
        say("the working-tree file was migrated too")
    elif os.path.lexists(path):
        say("the working-tree file needed no migration; left as it is")
    return 0


def _partial_commit_index(worktree: Worktree, environ: Mapping[str, str]) -> Optional[str]:
    """The locked real index of a ``git commit -- path``, which git installs after the commit.

    Such a commit is made from a temporary ``next-index-<pid>.lock``; the real
    index, already updated from the working tree, waits in ``index.lock``.
    Without the migrated entry there too, ``git status`` would show the
    migration undone in the index once the commit is made.
    """
    index = environ.get("GIT_INDEX_FILE", "")
    lock = os.path.join(worktree.git_dir, "index.lock")
    if os.path.basename(index).startswith("next-index-") and os.path.exists(lock):
        return lock
    return None


# -- post-merge, post-rewrite, post-checkout -------------------------------------------
def _working_config(worktree: Worktree) -> tuple[str, List[Problem], bool]:
    """The contained path of the working-tree file, its problems, and whether it is legacy.

    A missing file has neither; conflict markers raise ConflictError; any other
    unreadable file is a problem.
    """
    path = contain(os.path.join(worktree.root, CONFIG), worktree)
    try:
        doc = files.read(path, CONFIG)
    except FileNotFoundError:
        return path, [], False
    except ConflictError:
        raise
    except ReadError as exc:
        return path, list(exc.problems), False
    verdict = judge.judge(doc.data, doc.text)
    return path, verdict.problems, verdict.pending


def _conflicted(exc: ConflictError, environ: Mapping[str, str]) -> int:
    say(f"warning: {CONFIG} has unresolved merge conflict markers; left untouched:")
    _say_problems(exc.problems, CONFIG)
    say(f"resolve the conflict, then run `{ops.fix_command(CONFIG, environ, default=True)}` and commit the file")
    return 0


def after_update(event: str, environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a merge or rebase: migrate a pulled legacy file in the working tree."""
    worktree = repo.hook_worktree(cwd, environ)
    if ops.framework(environ) and repo.unchanged_since(worktree, "ORIG_HEAD", CONFIG, environ):
        # The native script asks git this before starting Python; the framework starts
        # us after every pull, and a pull that did not touch the config is none of ours.
        return 0
    # git re-applies an autostash after this hook: a file rewritten now would make
    # the stash conflict, and the user's edit would stay stranded in it.
    waiting = bool(repo.pending_autostash(worktree))
    try:
        path = contain(os.path.join(worktree.root, CONFIG), worktree)
        migration = ConfigManager(path, worktree=worktree).migrate_file(write=not waiting)
        problems = migration.verdict.problems
    except FileNotFoundError:
        return 0
    except ConflictError as exc:
        return _conflicted(exc, environ)
    except ReadError as exc:
        problems = list(exc.problems)
    if problems:
        say(f"warning: after the {event}, {CONFIG} is not valid; left untouched:")
        _say_problems(problems, CONFIG)
        check = (f"pre-commit run --files {CONFIG}" if ops.framework(environ) else "codequery-gitcfg validate")
        say(f"fix it (`{check}` checks it) and commit it")
        return 0
    if migration.changes and waiting:
        say(f"{CONFIG} needs migrating to schema version 2, but git has yet to re-apply your autostash: "
            "the migration waits, so that the stash applies cleanly; left untouched")
        say("once git has put your changes back (`git stash pop` if it kept the stash), run `codequery-gitcfg migrate` "
            f"and commit {CONFIG}")
    elif migration.changes:
        say(f"migrated {CONFIG} to schema version 2 after the {event}:")
        for change in migration.changes:
            print(f"  - {change}", file=sys.stderr)
        say(f"review and commit it: git commit -m 'Migrate the Code Query config' -- {CONFIG}")
    return 0


def _rebasing(worktree: Worktree) -> bool:
    return any(os.path.isdir(os.path.join(worktree.git_dir, d)) for d in ("rebase-merge", "rebase-apply"))


def _nothing_to_replay(worktree: Worktree) -> bool:
    """A rebase whose to-do list is empty: the checkout of its upstream is all it does."""
    try:
        with open(os.path.join(worktree.git_dir, "rebase-merge", "git-rebase-todo"), "rb") as f:
            todo = f.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return False  # the apply backend, or no to-do list: post-rewrite decides
    return all(not line.strip() or line.lstrip().startswith("#") or line.strip() == "noop"
               for line in todo.splitlines())


def after_commit(environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a commit git made without pre-commit (cherry-pick, revert, a rebase's picks, am):
    say what it carries. A commit pre-commit passed is in the memo, and costs nothing more."""
    worktree = repo.hook_worktree(cwd, environ)
    commit = repo.committed(worktree, CONFIG, environ)
    memo_path = _memo_path(worktree)
    if commit is None or memo.passed(memo_path, commit.blob):
        return 0
    raw = repo.read_blob(worktree, commit.blob, environ)
    name = f"commit {commit.short} ({_printable(commit.subject)})"
    fix = f"`git commit --amend -- {CONFIG}` (or a new commit, once a cherry-pick, revert, rebase or am is done)"
    verdict: Optional[judge.Verdict] = None
    if len(raw) > MAX_BYTES:
        problems = [Problem("", f"config file is larger than {MAX_BYTES} bytes (1 MiB)")]
    else:
        try:
            text, data = judge.parse(raw, CONFIG)
            verdict = judge.judge(data, text)
            problems = verdict.problems
        except ConfigError as exc:
            problems = list(exc.problems)
    if problems:
        say(f"warning: {name} carries a {CONFIG} that is not valid; git ran no pre-commit check for it:")
        _say_problems(problems, CONFIG)
        say(f"fix it (`codequery-gitcfg validate` checks it), then {fix}")
    elif verdict is not None and verdict.pending:
        if _rebasing(worktree):
            return 0  # post-rewrite migrates the rebased file once the rebase is done
        say(f"warning: {name} carries a {CONFIG} in an old schema (legacy keys: {', '.join(verdict.markers)})")
        say(f"migrate it with `codequery-gitcfg migrate`, then {fix}")
    else:
        memo.remember(memo_path, commit.blob)
    return 0


def _printable(text: str) -> str:
    return text if text.isprintable() else repr(text)


def after_checkout(environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a branch checkout: say what needs doing; a checkout is no time to edit files."""
    worktree = repo.hook_worktree(cwd, environ)
    if _rebasing(worktree):
        if _nothing_to_replay(worktree):
            # A rebase that only fast-forwards rewrites nothing: no post-rewrite follows.
            return after_update("rebase", environ, cwd)
        return 0  # a rebase checking out its base: post-rewrite deals with the result
    try:
        _, problems, pending = _working_config(worktree)
    except ConflictError as exc:
        return _conflicted(exc, environ)
    if problems:
        say(f"warning: {CONFIG} on this branch is not valid:")
        _say_problems(problems, CONFIG)
    elif pending:
        say(f"warning: {CONFIG} on this branch uses an old schema; "
            f"`{ops.fix_command(CONFIG, environ, default=True)}` migrates it (then commit it)")
    return 0


# -- the pre-commit framework's fixer ---------------------------------------------------
def fix_files(names: Sequence[str], environ: Mapping[str, str]) -> int:
    """``migrate``, with the pre-commit fixer convention: exit 1 when a file was rewritten.

    A rewrite replaces the file (a new inode), so comparing stat results tells
    without reading anything before ``migrate`` has checked where the file is.
    """
    def stamp(name: str) -> Optional[tuple[int, int, int]]:
        try:
            st = os.stat(name)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    before = [stamp(name) for name in names]
    status = ops.migrate_files(ops.Workspace(environ=environ), names)
    return 1 if before != [stamp(name) for name in names] else status
