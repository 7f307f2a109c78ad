"""The exception root for every user-facing failure, and the warning category."""
from __future__ import annotations

from typing import Iterable, NamedTuple, Optional


class Problem(NamedTuple):
    """One thing wrong with a config, positioned when the position is known."""

    path: str  # dotted field path; "" for the whole document
    message: str
    line: Optional[int] = None
    col: Optional[int] = None

    def render(self, filename: str | None = None) -> str:
        where = []
        if filename:
            where.append(filename)
            if self.line is not None:
                where.append(str(self.line))
                if self.col is not None:
                    where.append(str(self.col))
        prefix = ":".join(where)
        parts = [p for p in (prefix, self.path) if p]
        return ": ".join(parts + [self.message])


class ConfigError(ValueError):
    """Root of every failure a user can cause; the CLI turns it into exit code 1.

    It is a ValueError so that callers of Code Query's old config module, which
    caught ValueError, keep working.
    """

    def __init__(self, problems: Iterable[Problem] | str, filename: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.filename = filename
        super().__init__(self.render())

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.problems if p.path)

    @property
    def path(self) -> str:
        return self.paths[0] if self.paths else ""

    def render(self) -> str:
        return "\n".join(p.render(self.filename) for p in self.problems)


class ReadError(ConfigError):
    """The file cannot be read as a strict JSON object."""


class ConflictError(ReadError):
    """Unresolved merge-conflict markers."""


class OutsideWorktreeError(ConfigError):
    """A path resolves outside the worktree."""


class NewerVersionError(ConfigError):
    """Written by a newer tool; never touched."""


class EnvOverrideError(ConfigError):
    """A CODEQUERY_* environment variable holds a bad value."""


class LockTimeoutError(ConfigError):
    """Another process held the config lock for too long."""


class GitError(ConfigError):
    """git could not answer (not a repository, git missing, ...)."""


class UnknownKeyWarning(UserWarning):
    """A key the schema does not know; kept at run time, refused at the gate."""


class AliasMismatchWarning(UserWarning):
    """A legacy key kept for Code Query's readers disagrees with its canonical twin."""


class UnknownModelWarning(UserWarning):
    """A syntactically valid model name that is not in the known list."""


EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
