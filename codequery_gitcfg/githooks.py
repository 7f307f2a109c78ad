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
from typing import TYPE_CHECKING, Callable, List, Mapping, Optional, Sequence

from . import gitrepo
from .errors import ConfigError, ConflictError, OutsideWorktreeError, Problem, ReadError

if TYPE_CHECKING:
    from .migrate import MigrationResult

CONFIG = ".code-query/config.json"  # as git names it, from the worktree's top
SKIP_VAR = "CODEQUERY_GITCFG_SKIP"
HOOKS = ("pre-commit", "post-merge", "post-rewrite", "post-checkout")
_BOM = b"\xef\xbb\xbf"


def skipped(environ: Mapping[str, str]) -> bool:
    return environ.get(SKIP_VAR, "").strip().lower() in ("1", "true", "yes", "on")


def say(message: str) -> None:
    print(f"codequery-gitcfg: {message}", file=sys.stderr)


def _say_problems(problems: Sequence[Problem], label: Optional[str]) -> None:
    for problem in problems:
        print(f"  {problem.render(label)}", file=sys.stderr)


def judge(data: Mapping[str, object], text: str) -> tuple[MigrationResult, List[Problem], bool]:
    """(migration result, problems other than the pending migration, migration pending)."""
    from . import document

    verdict = document.check_gate(data, text)
    return verdict.result, verdict.problems, verdict.pending


def run(name: str, args: Sequence[str], environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """Exit status of hook ``name`` called by git with ``args`` (or of the ``migrate`` fixer)."""
    if skipped(environ):
        return 0
    if name == "migrate":
        return migrate_files(args)
    if name == "pre-commit":
        return pre_commit(environ, cwd)
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
    raise ConfigError(f"unknown hook {name!r}; known: {', '.join(HOOKS)}")


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
def pre_commit(environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    worktree = gitrepo.hook_worktree(cwd, environ)
    staged = gitrepo.staged_change(worktree, CONFIG, environ)
    if staged is None or staged.status == "D":
        return 0  # not part of this commit, or deleted by it: nothing to check
    if staged.status == "U":
        raise ConfigError([Problem("", f"{CONFIG} has an unresolved merge conflict in the index; resolve it and `git add` it")])
    try:
        path = gitrepo.contain(os.path.join(worktree.root, CONFIG), worktree)
    except OutsideWorktreeError as exc:
        say(f"commit stopped: {CONFIG} cannot be checked:")
        _say_problems(exc.problems, None)
        return 1
    if staged.mode == "120000":
        return _check_link_target(path)
    if _already_valid(worktree, staged.sha):
        return 0  # this very blob passed before, under the same code and schema

    from . import document, reader

    raw = gitrepo.read_blob(worktree, staged.sha, environ)
    try:
        if len(raw) > reader.MAX_BYTES:
            raise ConfigError(f"config file is larger than {reader.MAX_BYTES} bytes (1 MiB)", CONFIG)
        text, data = document.parse_bytes(raw, CONFIG)
        result, problems, pending = judge(data, text)
    except ConfigError as exc:
        return _blocked(exc.problems, path, raw)
    if problems:
        return _blocked(problems, path, raw, "not migrated: the migrated file would not be valid" if pending else None)
    if not pending:
        _remember_valid(worktree, staged.sha)
        return 0
    return _migrate_staged(worktree, staged, path, raw, text, result, environ)


# -- blobs that already passed ------------------------------------------------------
# A blob id names its content, so a blob that passed once passes again under the
# same rules: an unchanged staged config (every commit of a branch that does not
# touch it, a retried commit) then costs no parse and no jsonschema import.
_MEMO_LIMIT = 64 * 1024


def _memo_path(worktree: gitrepo.Worktree) -> str:
    return os.path.join(worktree.git_dir, "codequery-gitcfg", "valid-blobs")


def _rules_key() -> str:
    """Changes whenever the code or schema that judge a blob may have changed."""
    from . import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    stamps = [os.stat(os.path.join(here, name)).st_mtime_ns
              for name in ("schema.json", "reader.py", "document.py", "schema.py", "migrate.py", "githooks.py")]
    return f"rules {__version__} {max(stamps)}"


def _already_valid(worktree: gitrepo.Worktree, sha: str) -> bool:
    try:
        with open(_memo_path(worktree), encoding="ascii", errors="replace") as f:
            lines = f.read(_MEMO_LIMIT).splitlines()
    except OSError:
        return False
    return bool(lines) and lines[0] == _rules_key() and sha in lines[1:]


def _remember_valid(worktree: gitrepo.Worktree, sha: str) -> None:
    path = _memo_path(worktree)
    key = _rules_key()
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            current = f.read(_MEMO_LIMIT + 1)
    except OSError:
        current = ""
    try:
        if current.startswith(key + "\n") and len(current) < _MEMO_LIMIT:
            with open(path, "a", encoding="ascii") as f:
                f.write(sha + "\n")
        else:  # new rules, or full: start again
            from .atomic import write_atomic

            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, f"{key}\n{sha}\n".encode("ascii"))
    except OSError:
        pass  # a memo that cannot be written only costs the next commit a validation


def _check_link_target(path: str) -> int:
    """A staged symlink (inside the worktree, already checked): judge the file it names."""
    from . import document

    try:
        doc = document.read(path, CONFIG)
        problems = document.check_gate(doc.data, doc.text).all_problems()
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
    from . import reader

    try:
        return reader.read_bytes(path)[0]
    except (OSError, ConfigError):
        return None


def _migrate_staged(worktree: gitrepo.Worktree, staged: gitrepo.StagedChange, path: str, raw: bytes,
                    text: str, result: MigrationResult, environ: Mapping[str, str]) -> int:
    from . import fmt
    from .locking import hold
    from .manager import ConfigManager

    manager = ConfigManager(path, worktree=worktree)
    blob = fmt.dump(result.config, fmt.detect(text, bom=raw.startswith(_BOM)))
    with hold(manager.lock_path, manager.lock_timeout):
        try:
            # The working-tree file is migrated on its own terms: it keeps its
            # own line endings and any unstaged edits. One that needs nothing
            # (already migrated by hand, or gone) is left as it is.
            worktree_changes = manager.migrate_file() if os.path.lexists(path) else []
        except ConfigError as exc:
            say(f"commit stopped: the staged {CONFIG} needs migrating to schema version 2, "
                "but the unstaged edits of the working-tree file cannot be migrated with it:")
            _say_problems(exc.problems, CONFIG)
            say(f"nothing was changed. Finish or undo those edits (`git diff {CONFIG}` shows them), then commit again.")
            return 1
        gitrepo.stage_blob(worktree, CONFIG, staged.mode, blob, environ)
        real_index = _partial_commit_index(worktree, environ)
        if real_index is not None:
            gitrepo.stage_blob(worktree, CONFIG, staged.mode, blob, {**environ, "GIT_INDEX_FILE": real_index})
    say(f"migrated the staged {CONFIG} to schema version 2; this commit carries the migrated file:")
    for change in result.changes:
        print(f"  - {change}", file=sys.stderr)
    if worktree_changes:
        say("the working-tree file was migrated too")
    elif os.path.lexists(path):
        say("the working-tree file needed no migration; left as it is")
    return 0


def _partial_commit_index(worktree: gitrepo.Worktree, environ: Mapping[str, str]) -> Optional[str]:
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
def _working_config(worktree: gitrepo.Worktree) -> tuple[str, List[Problem], bool]:
    """The contained path of the working-tree file, its problems, and whether it is legacy.

    A missing file has neither; conflict markers raise ConflictError; any other
    unreadable file is a problem.
    """
    from . import document

    path = gitrepo.contain(os.path.join(worktree.root, CONFIG), worktree)
    try:
        doc = document.read(path, CONFIG)
    except FileNotFoundError:
        return path, [], False
    except ConflictError:
        raise
    except ReadError as exc:
        return path, list(exc.problems), False
    return (path, *judge(doc.data, doc.text)[1:])


def _conflicted(exc: ConflictError) -> int:
    say(f"warning: {CONFIG} has unresolved merge conflict markers; left untouched:")
    _say_problems(exc.problems, CONFIG)
    say("resolve the conflict, then run `codequery-gitcfg migrate` and commit the file")
    return 0


def after_update(event: str, environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a merge or rebase: migrate a pulled legacy file in the working tree."""
    worktree = gitrepo.hook_worktree(cwd, environ)
    try:
        path, problems, pending = _working_config(worktree)
    except ConflictError as exc:
        return _conflicted(exc)
    if problems:
        say(f"warning: after the {event}, {CONFIG} is not valid; left untouched:")
        _say_problems(problems, CONFIG)
        say("fix it (`codequery-gitcfg validate` checks it) and commit it")
        return 0
    if not pending:
        return 0
    from .manager import ConfigManager

    changes = ConfigManager(path, worktree=worktree).migrate_file()
    if changes:
        say(f"migrated {CONFIG} to schema version 2 after the {event}:")
        for change in changes:
            print(f"  - {change}", file=sys.stderr)
        say(f"review and commit it: git commit -m 'Migrate the Code Query config' -- {CONFIG}")
    return 0


def after_checkout(environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a branch checkout: say what needs doing; a checkout is no time to edit files."""
    worktree = gitrepo.hook_worktree(cwd, environ)
    if any(os.path.isdir(os.path.join(worktree.git_dir, d)) for d in ("rebase-merge", "rebase-apply")):
        return 0  # a rebase checking out its base: post-rewrite deals with the result
    try:
        _, problems, pending = _working_config(worktree)
    except ConflictError as exc:
        return _conflicted(exc)
    if problems:
        say(f"warning: {CONFIG} on this branch is not valid:")
        _say_problems(problems, CONFIG)
    elif pending:
        say(f"warning: {CONFIG} on this branch uses an old schema; "
            "`codequery-gitcfg migrate` migrates it (then commit it)")
    return 0


# -- the pre-commit framework's fixer ---------------------------------------------------
def migrate_files(files: Sequence[str]) -> int:
    """``migrate``, with the pre-commit fixer convention: exit 1 when a file was rewritten.

    A rewrite replaces the file (a new inode), so comparing stat results tells
    without reading anything before ``migrate`` has checked where the file is.
    """
    import argparse

    from .cli import cmd_migrate

    def stamp(name: str) -> Optional[tuple[int, int, int]]:
        try:
            st = os.stat(name)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    before = [stamp(name) for name in files]
    status = cmd_migrate(argparse.Namespace(files=list(files), check=False, diff=False))
    return 1 if before != [stamp(name) for name in files] else status


def main(argv: Optional[Sequence[str]] = None) -> int:
    """What the installed hook scripts run: ``NAME [ARGS...]`` as git passed them.

    It skips argparse and the rest of the CLI on purpose: the hook starts on every
    commit, and the staged path's budget goes to jsonschema.
    """
    from .errors import EXIT_USAGE, guarded

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(f"usage: hook NAME [ARGS...] (NAME: {', '.join(HOOKS)}, migrate)", file=sys.stderr)
        return EXIT_USAGE
    return guarded(lambda: run(args[0], args[1:], os.environ))
