"""The file operations that the CLI and the hooks share.

``codequery-gitcfg validate`` / ``migrate`` and the pre-commit framework's
fixer hook run the same functions here; neither drives the other.
"""
from __future__ import annotations

import difflib
import os
import sys
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..core import judge, schema
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, GitError, Problem
from ..store import files
from ..store.manager import ConfigManager
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
        # git rev-parse, not GitPython: validate and migrate run as hooks of the
        # pre-commit framework, where GitPython's import would dominate the run.
        if "wt" not in self._worktree:
            self._worktree["wt"] = repo.discover(self.cwd, self.environ)
        return self._worktree["wt"]

    def label(self, path: str) -> str:
        rel = os.path.relpath(path, self.cwd)
        return path if rel.startswith("..") else rel

    def targets(self, names: Sequence[str]) -> List[Tuple[str, str]]:
        """(label, path) for each FILE, or the default one.

        Containment is checked when each file is opened (``contained``), so one
        refused FILE does not hide the problems of the others.
        """
        if names:
            return [(name, name) for name in names]
        worktree = self.worktree
        if worktree is None:
            raise GitError("not inside a git worktree: run this in a repository or name the FILE")
        return [(self.label(worktree.default_config), worktree.default_config)]

    def contained(self, path: str) -> str:
        # Joined, not abspath()'d: collapsing "link/.." by hand would skip the symlink
        # that realpath must follow to see where the path really goes.
        joined = os.path.join(self.cwd, path)
        worktree = self.worktree
        return contain(joined, worktree) if worktree else os.path.realpath(joined)

    def manager(self, name: Optional[str]) -> Tuple[ConfigManager, str]:
        label, path = self.targets([name] if name else [])[0]
        self.contained(path)
        # The worktree already found: one answer for the check above and for the
        # manager's own containment and lock path.
        return ConfigManager(os.path.join(self.cwd, label), worktree=self.worktree), label


def _print(problems: Sequence[Problem], label: Optional[str]) -> None:
    for problem in problems:
        print(problem.render(label), file=sys.stderr)


def validate_files(space: Workspace, names: Sequence[str]) -> int:
    """Strict read + gate of each file; every problem printed, exit status returned."""
    status = EXIT_OK
    for label, path in space.targets(names):
        notes: List[Problem] = []
        try:
            doc = files.read(space.contained(path), label)
            verdict = judge.judge(doc.data, doc.text)
            problems = verdict.gate_problems()
            notes = schema.with_positions([p for p in [schema.unknown_model(verdict.result.config)] if p], doc.text)
        except FileNotFoundError:
            problems = [Problem("", "file not found")]
        except ConfigError as exc:
            problems = list(exc.problems)
        _print(problems, label)
        # An unknown model name may be a model newer than this tool: said, never a failure.
        for note in notes:
            print(Problem("", f"note: {note.path}: {note.message}", note.line, note.col).render(label), file=sys.stderr)
        if problems:
            status = EXIT_FAIL
    return status


def migrate_files(space: Workspace, names: Sequence[str], *, check: bool = False, diff: bool = False,
                  contract: bool = False) -> int:
    """Migrate each legacy file in place (``check``: change nothing, fail if pending;
    ``contract``: also drop the legacy keys kept for Code Query's readers)."""
    status = EXIT_OK
    for label, path in space.targets(names):
        try:
            manager = ConfigManager(space.contained(path), worktree=space.worktree)
            migration = manager.migrate_file(write=not check, contract=contract)
        except FileNotFoundError:
            print(f"{label}: file not found", file=sys.stderr)
            status = EXIT_FAIL
            continue
        except ConfigError as exc:
            _print(exc.problems, label)
            status = EXIT_FAIL
            continue
        verdict = migration.verdict
        if verdict.problems:
            _print(verdict.problems, label)
            if verdict.pending:
                print(f"{label}: not migrated: the migrated file would not be valid", file=sys.stderr)
            status = EXIT_FAIL
            continue
        if migration.after is None:
            continue  # nothing pending
        if diff:
            sys.stdout.writelines(_diff(migration.before, migration.after, label))
        if check:
            print(f"{label}: migration pending (run `codequery-gitcfg migrate`):", file=sys.stderr)
            for change in migration.changes:
                print(f"  - {change}", file=sys.stderr)
            status = EXIT_FAIL
        elif migration.changes:
            done = "dropped the legacy keys" if contract and not verdict.pending else "migrated to schema version 2"
            print(f"{label}: {done}:")
            for change in migration.changes:
                print(f"  - {change}")
    return status


def _diff(old_text: str, new: bytes, label: str) -> List[str]:
    new_text = new.decode("utf-8").lstrip("\ufeff")
    return list(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), f"a/{label}", f"b/{label}"))
