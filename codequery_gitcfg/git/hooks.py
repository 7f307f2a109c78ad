"""What the git hooks do (README: "Git hooks"): check and migrate the config on commit and after pulls.

pre-commit judges the *staged* blob, read through git so that the temporary
index of ``git commit -a`` / ``git commit -- path`` (GIT_INDEX_FILE) is the
one checked, and blocks an invalid one. A legacy blob is migrated in the index;
the working-tree file is migrated with it, or left alone when it needs nothing,
so no unstaged edit is ever lost. The post-* hooks only ever touch the working
tree and never fail. Heavy modules are imported only once the config is concerned.
"""
from __future__ import annotations

import os
from typing import Callable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..core import fmt, judge
from ..core.document import CONFIG_DIR, CONFIG_PATH, Document
from ..core.env import TRUE_WORDS
from ..core.errors import ConfigError, ConflictError, OutsideWorktreeError, Problem, ReadError
from ..core.migrate import CURRENT_VERSION_NAME, describe, to_file
from ..core.report import say, say_item, say_problems
from ..store import files, memo
from ..store.locking import hold
from ..store.manager import ConfigManager
from ..store.paths import Worktree, contain
from . import ops, repo

CONFIG = CONFIG_PATH  # as git names it, from the worktree's top
SKIP_VAR = "CODEQUERY_GITCFG_SKIP"
HOOKS = ("pre-commit", "pre-merge-commit", "post-merge", "post-rewrite", "post-checkout", "post-commit",
         "post-applypatch", "pre-push")
SERVER_HOOKS = ("pre-receive",)  # `install --server`: what a repository that receives pushes runs
MERGE_DRIVER = "merge-driver"  # not a hook: what git runs to merge the config


def skipped(environ: Mapping[str, str]) -> bool:
    return environ.get(SKIP_VAR, "").strip().lower() in TRUE_WORDS


def run(name: str, args: Sequence[str], environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """Exit status of hook ``name`` called by git with ``args`` (or of the ``migrate`` fixer)."""
    if name == MERGE_DRIVER:
        from .mergedriver import merge_driver  # noqa: PLC0415 - only merges pay for the driver

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
    if name in ("pre-push", "pre-receive"):
        # The commits a push adds, judged as a batch (git.history); exit 1 refuses the push.
        from . import history  # noqa: PLC0415 - only pushes pay for it

        if name == "pre-push":
            return history.pre_push(args, history.hook_input(), environ, cwd)
        return history.pre_receive(history.hook_input(), environ, cwd)
    if name == "post-rewrite" and args[:1] == ["rebase"] and not ops.framework(environ):
        # The end of a rebase: every rewritten commit at once (stdin: OLD NEW lines, which our
        # script hands over; the pre-commit framework hands none), then, below, the
        # working-tree migration a `pull --rebase` may need.
        from . import history  # noqa: PLC0415

        _never_fail(name, lambda: history.after_rewrite(history.hook_input(), environ, cwd))
    if name in ("post-merge", "post-rewrite"):
        # post-rewrite names its command: "rebase" (as `git pull --rebase` runs it) or "amend",
        # which pre-commit already checked. The pre-commit framework runs one entry for both
        # stages, without arguments, and names the rewrite in its environment.
        rewrite = args[0] if name == "post-rewrite" and args else environ.get("PRE_COMMIT_REWRITE_COMMAND")
        if rewrite == "amend":
            return 0
        event = "merge" if name == "post-merge" and rewrite is None else "rebase"
        # post-rewrite's script starts Python for the rewritten commits too: ask git again.
        return _never_fail(name, lambda: after_update(event, environ, cwd, ask=name == "post-rewrite"))
    if name == "post-checkout":
        # args: previous HEAD, new HEAD, 1 for a branch checkout (0: files only)
        if len(args) >= 3 and args[2] != "1":
            return 0
        return _never_fail(name, lambda: after_checkout(environ, cwd))
    raise ConfigError(f"unknown hook {name!r}; known: {', '.join((*HOOKS, *SERVER_HOOKS, MERGE_DRIVER))}")


def _never_fail(name: str, body: Callable[[], int]) -> int:
    """post-* hooks cannot undo what git did; failing would only alarm, so they warn."""
    try:
        body()
    except ConfigError as exc:
        say(f"warning: the {name} hook could not check {CONFIG}:")
        say_problems(exc.problems, exc.filename)
    except NotADirectoryError:
        # The only folder on the way to the config: a branch (or a hand) put a file in its place.
        say(f"warning: the {name} hook could not check {CONFIG}: .code-query is not a folder (a file is where "
            "Code Query keeps its config folder); left untouched")
    except OSError as exc:  # the file system said no (permissions, a full disk): not a bug of ours
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"warning: the {name} hook could not check {CONFIG}: {where}{exc.strerror or exc}; left untouched")
    except Exception as exc:  # noqa: BLE001 - a bug must not look like a failed pull
        say(f"warning: the {name} hook failed unexpectedly: {type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        pass
    return 0


# -- pre-commit -------------------------------------------------------------------
class Staged(NamedTuple):
    """The file this commit carries as the config: where it is, and its index entry."""

    relpath: str  # as git names it: CONFIG, or where the committed symlinks lead
    change: repo.StagedChange


def pre_commit(environ: Mapping[str, str], cwd: Optional[str] = None, migrate: bool = True) -> int:
    worktree = repo.hook_worktree(cwd, environ)
    try:
        found = _staged_config(worktree, environ)
    except ConfigError as exc:
        say(f"commit stopped: {CONFIG} cannot be checked:")
        say_problems(exc.problems, None)
        return 1
    if found is None:
        return 0  # not part of this commit, or deleted by it: nothing to check
    relpath, staged = found
    if staged.status == "U":
        raise ConfigError([Problem("", f"{relpath} has an unresolved merge conflict in the index; "
                                       "resolve it and `git add` it")])
    try:
        path = contain(os.path.join(worktree.root, relpath), worktree)
    except OutsideWorktreeError as exc:
        say(f"commit stopped: {relpath} cannot be checked:")
        say_problems(exc.problems, None)
        return 1
    memo_path = _memo_path(worktree)
    if memo.passed(memo_path, staged.sha):
        return 0  # this very blob passed before, under the same code and schema

    raw = repo.read_blob(worktree, staged.sha, environ)
    try:
        doc = Document.parse(raw, relpath)
        verdict = judge.judge(doc.data, doc.text)
    except ConfigError as exc:
        return _blocked(exc.problems, path, raw, relpath=relpath)
    if verdict.problems:
        note = "not migrated: the migrated file would not be valid" if verdict.pending else None
        return _blocked(verdict.problems, path, raw, note, relpath=relpath)
    if not verdict.pending:
        memo.remember(memo_path, staged.sha)
        return 0
    if not migrate:
        return 0
    return _migrate_staged(worktree, found, path, doc, verdict, environ)


def _staged_config(worktree: Worktree, environ: Mapping[str, str]) -> Optional[Staged]:
    """What this commit carries as the config, when the commit changes it; None if not.

    Readers of a checkout follow the symlinks the commit carries (a committed
    ``config.json`` link, or a symlinked ``.code-query``): then the file they
    lead to is the config, judged as staged, whenever it or a link on the way
    changes. Without a link (the common case) this is one git call, or none.
    """
    staged = repo.staged_change(worktree, CONFIG, environ)
    root = worktree.root
    linked = os.path.islink(os.path.join(root, CONFIG_DIR)) or os.path.islink(os.path.join(root, CONFIG))
    if not linked and (staged is None or staged.mode != "120000"):
        return None if staged is None or staged.status == "D" else Staged(CONFIG, staged)
    target, links = repo.committed_path(worktree, CONFIG, environ)
    if target is None:
        raise OutsideWorktreeError([Problem("", f"the symlinks this commit carries for {CONFIG} ({', '.join(links)}) "
                                                "lead outside the worktree or loop; refused")])
    changes = repo.staged_changes(worktree, [*links, target], environ)
    if not changes:
        return None
    entry = repo.index_entries(worktree, [target], environ).get(target)
    change = changes.get(target)
    if change is not None and change.status == "U":
        return Staged(target, change)
    if entry is None:
        if not links:
            return None  # the config itself deleted
        raise ConfigError([Problem("", f"{CONFIG} is a symlink to {target}, which this commit does not contain; "
                                       f"`git add {target}` (or remove the link)")])
    return Staged(target, repo.StagedChange(change.status if change else "M", entry[0], entry[1]))


def _memo_path(worktree: Worktree) -> str:
    return memo.path_in(worktree.git_dir, memo.BLOBS)


def _blocked(problems: Sequence[Problem], path: str, staged: Optional[bytes], note: Optional[str] = None,
             relpath: str = CONFIG) -> int:
    say(f"commit stopped: the staged {relpath} is not valid:")
    say_problems(problems, relpath)
    if note:
        say(note)
    if staged is not None and _worktree_bytes(path) != staged:
        say(f"(positions refer to the staged version: `git show :{relpath}`)")
    say(f"fix it, `git add {relpath}` and commit again")
    return 1


def _worktree_bytes(path: str) -> Optional[bytes]:
    try:
        return files.read_bytes(path)[0]
    except (OSError, ConfigError):
        return None


def _migrate_staged(worktree: Worktree, found: Staged, path: str, doc: Document, verdict: judge.Verdict,
                    environ: Mapping[str, str]) -> int:
    """Migrate the staged blob ``doc`` (judged ``verdict``) in the index, and the file at ``path``."""
    relpath, staged = found
    # git may hold the index lock while it runs us (`commit -a`, `commit -- path`): a write
    # waiting for it to go would wait for this very commit.
    manager = ConfigManager(path, worktree=worktree, inside_git=True)
    new = to_file(verdict.result.config, doc.data)
    blob = fmt.dump(new, doc.style)
    with hold(manager.lock_path, manager.lock_timeout):
        filtered = repo.filter_of(worktree, relpath, environ)
        try:
            if filtered:
                worktree_changes = _filtered_worktree(worktree, found, path, filtered, environ)
            else:
                worktree_changes = _migrate_worktree(manager, path, describe(doc.data, new))
        except ConfigError as exc:
            say(f"commit stopped: the staged {relpath} needs migrating to {CURRENT_VERSION_NAME}, "
                "but the unstaged edits of the working-tree file cannot be migrated with it:")
            say_problems(exc.problems, relpath)
            say(f"nothing was changed. Finish or undo those edits (`git diff {relpath}` shows them), "
                "then commit again.")
            return 1
        sha = repo.stage_blob(worktree, relpath, staged.mode, blob, environ)
        migrated = judge.judge(new, blob.decode("utf-8-sig"))
        if not migrated.problems and not migrated.pending:
            memo.remember(_memo_path(worktree), sha)  # the blob this commit carries: post-commit knows it
        real_index = _partial_commit_index(worktree, environ)
        if real_index is not None:
            repo.stage_blob(worktree, relpath, staged.mode, blob, {**environ, "GIT_INDEX_FILE": real_index})
        if filtered and worktree_changes is not None:
            manager.write_bytes(repo.smudged(worktree, relpath, sha, environ))
    say(f"migrated the staged {relpath} to {CURRENT_VERSION_NAME}; this commit carries the migrated file:")
    staged_changes = describe(doc.data, new)
    for change in staged_changes:
        say_item(change)
    if filtered:
        if worktree_changes is not None:
            say(f"the working-tree file (through the git filter {filtered!r}) now holds the migrated version")
    elif worktree_changes:
        own = [c for c in worktree_changes if c not in staged_changes]
        say("the working-tree file was migrated too" + (", with its unstaged edits:" if own else ""))
        for change in own:
            say_item(change)
    elif os.path.lexists(path):
        say("the working-tree file needed no migration; left as it is")
    return 0


_LOSSES = ("dropped ", "removed ")


def _migrate_worktree(manager: ConfigManager, path: str, staged_changes: List[str]) -> List[str]:
    """Migrate the working-tree file on its own terms: it keeps its own line endings
    and its unstaged edits. One that needs nothing (already migrated by hand, or
    gone) is left as it is. A migration that would drop a value the staged file does
    not lose (an unstaged edit) is refused: nothing may vanish from the user's file."""
    if not os.path.lexists(path):
        return []
    planned = manager.migrate_file(write=False)
    if planned.verdict.pending and planned.after is None:
        raise ConfigError(planned.verdict.problems)
    lost = [c for c in planned.changes if c.startswith(_LOSSES) and c not in staged_changes]
    if lost:
        raise ConfigError([Problem("", f"its migration would drop a value the staged file keeps: {change}")
                           for change in lost])
    return manager.migrate_file().changes


def _filtered_worktree(worktree: Worktree, found: Staged, path: str, name: str,
                       environ: Mapping[str, str]) -> Optional[List[str]]:
    """A config behind a clean/smudge filter: its working form need not be JSON, so it
    is judged as git stages it (cleaned). Unchanged since it was staged, it gets the
    migrated version (smudged); None when there is no working file to update."""
    if not os.path.lexists(path):
        return None
    if repo.cleaned_id(worktree, found.relpath, path, environ) != found.change.sha:
        raise ConfigError([Problem("", f"it goes through the git filter {name!r} and has unstaged edits; "
                                       f"only the staged version is checked. Stage them (`git add {found.relpath}`) "
                                       "or stash them")])
    return []


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
    say_problems(exc.problems, CONFIG)
    say(f"resolve the conflict, then run `{ops.fix_command(CONFIG, environ, default=True)}` and commit the file")
    return 0


def _index_only(worktree: Worktree, environ: Mapping[str, str]) -> bool:
    """A config behind a clean/smudge filter: its working form is the filter's, so
    the hooks judge it only as staged, at commit. Say so rather than misjudge it."""
    name = repo.filter_of(worktree, CONFIG, environ) if os.path.lexists(os.path.join(worktree.root, CONFIG)) else None
    if name:
        say(f"{CONFIG} goes through the git filter {name!r}: it is checked only as staged, when you commit it")
    return bool(name)


def after_update(event: str, environ: Mapping[str, str], cwd: Optional[str] = None, ask: bool = False) -> int:
    """After a merge or rebase: migrate a pulled legacy file in the working tree (``ask``:
    whether the pull changed it is for git to say here, not already said by the script)."""
    worktree = repo.hook_worktree(cwd, environ)
    if (ask or ops.framework(environ)) and repo.unchanged_since(worktree, "ORIG_HEAD", CONFIG, environ):
        # The native script asks git this before starting Python; the framework starts
        # us after every pull, and a pull that did not touch the config is none of ours.
        return 0
    if _index_only(worktree, environ):
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
        say_problems(problems, CONFIG)
        check = (f"pre-commit run --files {CONFIG}" if ops.framework(environ) else "codequery-gitcfg validate")
        say(f"fix it (`{check}` checks it) and commit it")
        return 0
    if migration.changes and waiting:
        say(f"{CONFIG} needs migrating to {CURRENT_VERSION_NAME}, but git has yet to re-apply your autostash: "
            "the migration waits, so that the stash applies cleanly; left untouched")
        say("once git has put your changes back (`git stash pop` if it kept the stash), run `codequery-gitcfg migrate` "
            f"and commit {CONFIG}")
    elif migration.changes:
        say(f"migrated {CONFIG} to {CURRENT_VERSION_NAME} after the {event}:")
        for change in migration.changes:
            say_item(change)
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
    later = "(or a new commit, once a cherry-pick, revert, rebase or am is done)"
    try:
        found = _committed_config(worktree, environ)
    except ConfigError as exc:
        say(f"warning: {_head_title(worktree, environ)} carries a {CONFIG} that cannot be read; "
            "git ran no pre-commit check for it:")
        say_problems(exc.problems, None)
        say(f"fix the links, then `git commit --amend` {later}")
        return 0
    memo_path = _memo_path(worktree)
    if found is None or memo.passed(memo_path, found[1]):
        return 0
    relpath, blob = found
    raw = repo.read_blob(worktree, blob, environ)
    name = _head_title(worktree, environ)
    fix = f"`git commit --amend -- {relpath}` {later}"
    carried = CONFIG if relpath == CONFIG else f"{CONFIG} (a symlink to {relpath})"
    verdict: Optional[judge.Verdict] = None
    try:
        doc = Document.parse(raw, relpath)
        verdict = judge.judge(doc.data, doc.text)
        problems = verdict.problems
    except ConfigError as exc:
        problems = list(exc.problems)
    if problems:
        say(f"warning: {name} carries a {carried} that is not valid; git ran no pre-commit check for it:")
        say_problems(problems, relpath)
        say(f"fix it (`codequery-gitcfg validate` checks it), then {fix}")
    elif verdict is not None and verdict.pending:
        if _rebasing(worktree):
            return 0  # post-rewrite migrates the rebased file once the rebase is done
        say(f"warning: {name} carries a {carried} in an old schema (legacy keys: {', '.join(verdict.markers)})")
        say(f"migrate it with `codequery-gitcfg migrate`, then {fix}")
    else:
        memo.remember(memo_path, blob)
    return 0


def _head_title(worktree: Worktree, environ: Mapping[str, str]) -> str:
    short, subject = repo.head_name(worktree, environ)
    return f"commit {short} ({subject})"  # say() escapes it


def _committed_config(worktree: Worktree, environ: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """(path, blob) of what HEAD carries as the config, as ``_staged_config`` finds it in the
    index: the file the symlinks HEAD carries lead to (judged whenever it or a link on the
    way changes), or CONFIG itself when there is no link; None: nothing to judge."""
    root = worktree.root
    if not (os.path.islink(os.path.join(root, CONFIG_DIR)) or os.path.islink(os.path.join(root, CONFIG))):
        blob = repo.blob_at(worktree, "HEAD", CONFIG, environ)
        return None if blob is None else (CONFIG, blob)
    target, links = repo.committed_path(worktree, CONFIG, environ, rev="HEAD")
    if not repo.head_changes(worktree, [CONFIG, *links, *([target] if target else [])], environ):
        return None
    if target is None:
        raise OutsideWorktreeError([Problem("", f"the symlinks it carries for {CONFIG} ({', '.join(links)}) "
                                                "lead outside the worktree or loop")])
    entry = repo.tree_entries(worktree, "HEAD", [target], environ).get(target)
    if entry is None or entry[0] not in ("100644", "100755"):
        if entry is None and not links:
            return None  # the config itself deleted
        raise ConfigError([Problem("", f"{CONFIG} is a symlink to {target}, which the commit does not contain "
                                       "as a file")])
    return target, entry[1]


def after_checkout(environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """After a branch checkout: say what needs doing; a checkout is no time to edit files."""
    worktree = repo.hook_worktree(cwd, environ)
    if _rebasing(worktree):
        if _nothing_to_replay(worktree):
            # A rebase that only fast-forwards rewrites nothing: no post-rewrite follows.
            return after_update("rebase", environ, cwd)
        return 0  # a rebase checking out its base: post-rewrite deals with the result
    if _index_only(worktree, environ):
        return 0
    try:
        _, problems, pending = _working_config(worktree)
    except ConflictError as exc:
        return _conflicted(exc, environ)
    if problems:
        say(f"warning: {CONFIG} on this branch is not valid:")
        say_problems(problems, CONFIG)
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
