"""The file operations that the CLI and the hooks share.

``codequery-gitcfg validate`` / ``migrate`` and the pre-commit framework's
fixer hook run the same functions here; neither drives the other.
"""
from __future__ import annotations

import difflib
import os
import sys
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..core import judge, schema
from ..core.document import Document
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, GitError, Problem, ReadError
from ..core.report import MIGRATED, Output
from ..store import files
from ..store.manager import ConfigManager, migration_of
from ..store.paths import Worktree, contain, inside
from . import repo


class Workspace:
    """Where the command runs: the worktree (asked of git once) and the files named."""

    def __init__(self, cwd: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> None:
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.environ = os.environ if environ is None else environ
        self._worktree: Dict[str, Optional[Worktree]] = {}

    @property
    def worktree(self) -> Optional[Worktree]:
        # Not GitPython: validate and migrate run as hooks of the pre-commit framework,
        # where its import would dominate the run; the plain layout starts no git at all.
        if "wt" not in self._worktree:
            self._worktree["wt"] = repo.worktree_of(self.cwd, self.environ)
        return self._worktree["wt"]

    def label(self, path: str) -> str:
        rel = os.path.relpath(path, self.cwd)
        return path if rel.startswith("..") else rel

    def targets(self, names: Sequence[str]) -> List[Tuple[str, str]]:
        """(label, path) for each FILE, or the default one.

        Containment is checked when each file is opened (``contained``), so one
        refused FILE does not hide the problems of the others.
        """
        if "" in names:
            # An empty name would be the current folder once joined to it, or the default file.
            raise ConfigError([Problem("", "'' is not a file name: name the FILE, or give none for the default one")])
        if names:
            return [(name, name) for name in names]
        worktree = self.worktree
        if worktree is None:
            raise GitError("not inside a git worktree: run this in a repository or name the FILE")
        return [(self.label(worktree.default_config), worktree.default_config)]

    def contained(self, path: str, *, read_only: bool = False) -> str:
        """The real path of FILE, refused outside the worktree.

        ``read_only``: a file the user named outside the worktree may be read
        (as check-jsonschema reads any file); a path inside it that leads out
        through a symlink stays refused, as does every write.
        """
        # Joined, not abspath()'d: collapsing "link/.." by hand would skip the symlink
        # that realpath must follow to see where the path really goes.
        joined = os.path.join(self.cwd, path)
        worktree = self.worktree
        if worktree is None:
            return os.path.realpath(joined)
        if read_only:
            real = os.path.realpath(joined)
            if not inside(os.path.abspath(joined), worktree.root) and not inside(real, worktree.root):
                return real
        return contain(joined, worktree)

    def worktree_of(self, folder: str) -> Optional[Worktree]:
        """The worktree a file's folder is really in (a submodule's, seen from the superproject)."""
        return repo.worktree_of_folder(folder, self.environ)

    def open(self, path: str) -> ConfigManager:
        # The worktree already found: one answer for the containment check and the
        # manager's own; the lock follows the worktree the file is really in.
        return ConfigManager(path, worktree=self.worktree, finder=self.worktree_of)

    def manager(self, name: Optional[str]) -> Tuple[ConfigManager, str]:
        label, path = self.targets([name] if name is not None else [])[0]
        self.contained(path)
        return self.open(os.path.join(self.cwd, label)), label


STDIN = "-"
STDIN_LABEL = "<stdin>"


def framework(environ: Mapping[str, str]) -> bool:
    """Run by the pre-commit framework, which sets PRE_COMMIT=1 for its hooks."""
    return environ.get("PRE_COMMIT") == "1"


def fix_command(label: str, environ: Mapping[str, str], default: bool = False) -> str:
    """The command that migrates ``label`` where it is judged.

    Under the pre-commit framework (which sets PRE_COMMIT=1) our console script
    may not be on PATH: the framework's fixer hook is the fix there.
    """
    if label == STDIN_LABEL:
        return "codequery-gitcfg migrate -"
    if framework(environ):
        return f"pre-commit run codequery-config-migrate --files {label}"
    return "codequery-gitcfg migrate" + ("" if default else f" {label}")


def read_stdin() -> Document:
    """``-``: standard input, read as strictly as a file."""
    return Document.from_stream(sys.stdin.buffer, STDIN_LABEL)


def validate_files(space: Workspace, names: Sequence[str], out: Optional[Output] = None) -> int:
    """Strict read + gate of each file; every problem reported, exit status returned."""
    out = out or Output()
    status = EXIT_OK
    for named, path in space.targets(names):
        label = STDIN_LABEL if path == STDIN else named
        unreadable = True
        notes: List[Problem] = []
        try:
            doc = read_stdin() if path == STDIN else files.read(space.contained(path, read_only=True), label)
            unreadable = False
            fix = fix_command(label, space.environ, default=not names)
            verdict = judge.judge(doc.data, doc.text)
            problems = verdict.gate_problems(fix=fix)
            notes = schema.with_positions([p for p in [schema.unknown_model(verdict.result.config)] if p], doc.text)
        except FileNotFoundError:
            problems = [Problem("", "file not found")]
        except ConfigError as exc:
            problems = list(exc.problems)
        if problems:
            out.problems(label, problems, unreadable=unreadable)
            status = EXIT_FAIL
        else:
            out.passed(label)
        # An unknown model name may be a model newer than this tool: said, never a failure.
        out.notes(label, notes)
    out.finish()
    return status


def migrate_files(space: Workspace, names: Sequence[str], *, check: bool = False, diff: bool = False,
                  contract: bool = False, out: Optional[Output] = None) -> int:
    """Migrate each legacy file in place (``check``: change nothing, fail if pending;
    ``contract``: also drop the legacy keys kept for Code Query's readers).

    ``diff`` is a dry run, as black's and ruff's: the unified diff, alone, on stdout, and
    nothing written (with ``check``, a pending migration still fails). Every report goes to
    ``out``. ``-`` migrates standard input to standard output.
    """
    out = out or Output()
    status = EXIT_OK
    migrated = False
    for named, path in space.targets(names):
        label = STDIN_LABEL if path == STDIN else named
        try:
            if path == STDIN:
                manager, real = None, None
                migration = migration_of(read_stdin(), contract=contract)
            else:
                real = space.contained(path, read_only=check or diff)
                manager = space.open(real)
                migration = manager.migrate_file(write=not (check or diff), contract=contract)
        except FileNotFoundError:
            out.problems(label, [Problem("", "file not found")], unreadable=True)
            status = EXIT_FAIL
            continue
        except ConfigError as exc:
            out.problems(label, exc.problems, unreadable=isinstance(exc, ReadError))
            status = EXIT_FAIL
            continue
        verdict = migration.verdict
        if verdict.problems:
            note = [Problem("", "not migrated: the migrated file would not be valid")] if verdict.pending else []
            out.problems(label, list(verdict.problems) + note)
            status = EXIT_FAIL
            continue
        if migration.after is None:
            out.passed(label)
            continue  # nothing pending
        if diff:
            sys.stdout.writelines(_diff(migration.before, migration.after, label, real))
        elif manager is None and not check:
            sys.stdout.write(migration.after.decode("utf-8"))
        if check:
            out.pending(label, migration.changes, fix_command(label, space.environ, default=not names))
            status = EXIT_FAIL
        elif migration.changes:
            done = "dropped the legacy keys" if contract and not verdict.pending else MIGRATED
            out.migrated(label, migration.changes, done, written=not diff)
            migrated = True
    out.success_on_stderr = True
    out.done = ("no migration pending" if check else "nothing written (--diff is a dry run)" if diff
                else "migration done" if migrated else "nothing to migrate")
    out.finish()
    return status


def _stamp(seconds: float) -> str:
    """A time as ``diff -u`` writes it in a header: ``2024-05-01 10:00:00.123456000 +0200``."""
    import datetime  # noqa: PLC0415 -- only for --diff: the hooks' path never pays for it

    local = datetime.datetime.fromtimestamp(seconds).astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S.%f000 %z")


def _diff(old_text: str, new: bytes, label: str, path: Optional[str] = None) -> List[str]:
    """The headers are ``diff -u``'s: the file's name as given (``patch -p0`` applies it), its
    modification time, and now for the migrated text."""
    new_text = new.decode("utf-8").lstrip("\ufeff")
    now = time.time()
    try:
        before = os.stat(path).st_mtime if path is not None else now
    except OSError:
        before = now
    return list(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), label, label,
                                     _stamp(before), _stamp(now)))
