"""The file operations that the CLI and the hooks share.

``codequery-gitcfg validate`` / ``migrate`` and the pre-commit framework's
fixer hook run the same functions here; neither drives the other.
"""
from __future__ import annotations

import difflib
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from ..core import fmt, judge, schema
from ..core.errors import EXIT_FAIL, EXIT_OK, REPORT_LIMIT, ConfigError, GitError, Problem, ReadError, escape
from ..core.reader import MAX_BYTES
from ..store import files
from ..store.manager import ConfigManager, migration_of
from ..store.paths import Worktree, contain
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
            self._worktree["wt"] = repo.locate(self.cwd, self.environ)
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
            if not _inside(os.path.abspath(joined), worktree.root) and not _inside(real, worktree.root):
                return real
        return contain(joined, worktree)

    def locate(self, folder: str) -> Optional[Worktree]:
        """The worktree a file's folder is really in (a submodule's, seen from the superproject)."""
        return repo.located(folder, self.environ)

    def open(self, path: str) -> ConfigManager:
        # The worktree already found: one answer for the containment check and the
        # manager's own; the lock follows the worktree the file is really in.
        return ConfigManager(path, worktree=self.worktree, finder=self.locate)

    def manager(self, name: Optional[str]) -> Tuple[ConfigManager, str]:
        label, path = self.targets([name] if name is not None else [])[0]
        self.contained(path)
        return self.open(os.path.join(self.cwd, label)), label


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


STDIN = "-"
STDIN_LABEL = "<stdin>"


class Output:
    """Where ``validate`` and ``migrate`` report: text on stderr, one problem a line.

    The CLI passes other forms (``--format json`` / ``github``); the hooks use this one.
    """

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream

    def _write(self, line: str) -> None:
        print(escape(line), file=self.stream or sys.stderr)

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        for problem in problems[:REPORT_LIMIT]:
            self._write(self.render(problem, label))
        more = len(problems) - REPORT_LIMIT
        if more > 0:  # a hostile file can hold hundreds of thousands
            self._write(f"... and {more} more problem{'s' if more > 1 else ''}")

    def render(self, problem: Problem, label: str) -> str:
        return problem.render(label)

    def passed(self, label: str) -> None:
        """``label`` is valid and current."""

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        """Worth a word, never a failure (an unknown model name)."""
        for note in notes:
            self._write(Problem("", f"note: {note.path}: {note.message}", note.line, note.col).render(label))

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        self._write(f"{label}: migration pending (run `{fix}`):")
        for change in changes:
            self._write(f"  - {change}")

    def migrated(self, label: str, changes: Sequence[str], done: str = "migrated to schema version 2") -> None:
        self._write(f"{label}: {done}:")
        for change in changes:
            self._write(f"  - {change}")

    def finish(self) -> None:
        """Called once every file has been reported."""


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


def read_stdin() -> Tuple[str, Dict[str, Any], bytes]:
    """``-``: standard input, read as strictly as a file (text, data, bytes)."""
    raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ReadError([Problem("", f"config file is larger than {MAX_BYTES} bytes (1 MiB)")], STDIN_LABEL)
    text, data = judge.parse(raw, STDIN_LABEL)
    return text, data, raw


def validate_files(space: Workspace, names: Sequence[str], out: Optional[Output] = None) -> int:
    """Strict read + gate of each file; every problem reported, exit status returned."""
    out = out or Output()
    status = EXIT_OK
    for named, path in space.targets(names):
        label = STDIN_LABEL if path == STDIN else named
        unreadable = True
        notes: List[Problem] = []
        try:
            if path == STDIN:
                text, data, _ = read_stdin()
            else:
                doc = files.read(space.contained(path, read_only=True), label)
                text, data = doc.text, doc.data
            unreadable = False
            fix = fix_command(label, space.environ, default=not names)
            verdict = judge.judge(data, text)
            problems = verdict.gate_problems(fix=fix)
            notes = schema.with_positions([p for p in [schema.unknown_model(verdict.result.config)] if p], text)
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

    ``diff`` prints the unified diff, alone, on stdout; every report goes to ``out``.
    ``-`` migrates standard input to standard output.
    """
    out = out or Output()
    status = EXIT_OK
    for named, path in space.targets(names):
        label = STDIN_LABEL if path == STDIN else named
        try:
            if path == STDIN:
                text, data, raw = read_stdin()
                manager = None
                style = fmt.detect(text, bom=raw.startswith(b"\xef\xbb\xbf"))
                migration = migration_of(text, data, style, contract=contract)
            else:
                manager = space.open(space.contained(path, read_only=check))
                migration = manager.migrate_file(write=not check, contract=contract)
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
            sys.stdout.writelines(_diff(migration.before, migration.after, label))
        elif manager is None and not check:
            sys.stdout.write(migration.after.decode("utf-8"))
        if check:
            out.pending(label, migration.changes, fix_command(label, space.environ, default=not names))
            status = EXIT_FAIL
        elif migration.changes:
            done = "dropped the legacy keys" if contract and not verdict.pending else "migrated to schema version 2"
            out.migrated(label, migration.changes, done)
    out.finish()
    return status


def _diff(old_text: str, new: bytes, label: str) -> List[str]:
    new_text = new.decode("utf-8").lstrip("\ufeff")
    return list(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), f"a/{label}", f"b/{label}"))
