"""The exception root for every user-facing failure, and the warning category."""
from __future__ import annotations

import functools
import re
from typing import Iterable, List, NamedTuple, Optional, Sequence

# What a terminal may act on: C0 controls, DEL, C1 controls (U+009B is CSI), lone
# surrogates (undecodable bytes of a file name, or text no output can encode),
# the bidirectional overrides of "Trojan source" and the Unicode line separators.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_UNSAFE_OUTPUT = ("\r(?!\n)|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029"
                  "\u202a-\u202e\u2066-\u2069]")
_UNSAFE_JSON = "[\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]"


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    # Compiled on first use: these classes of code points take milliseconds to compile,
    # more than a whole cached read, and most processes that import this print nothing.
    return re.compile(source)


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with everything a terminal could act on shown as a backslash escape.

    The one escaping function for user-controlled strings (keys, values, paths,
    git output): a collaborator's key must not erase or fake our messages.
    """
    return _pattern(_UNSAFE).sub(lambda m: _escaped(m.group(0)), text)


def escape_output(text: str) -> str:
    """``escape`` for whole lines of output: our own line breaks and tabs stay."""
    return _pattern(_UNSAFE_OUTPUT).sub(lambda m: _escaped(m.group(0)), text)


def escape_json(text: str) -> str:
    """JSON text (``ensure_ascii=False``) with the characters ``escape`` shows as
    JSON escapes; JSON already escapes C0, and the result still parses the same."""
    return _pattern(_UNSAFE_JSON).sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


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
        return escape(": ".join(parts + [self.message]))


class KeyProblem(Problem):
    """A problem of a key, not of its value (an unknown key, a missing required one): its
    ``path`` names the key, and the instance that fails is the object holding it
    (check-jsonschema's ``path`` is that object's: ``$`` for a top-level key)."""

    @property
    def instance(self) -> str:
        return self.path.rpartition(".")[0] if "." in self.path else ""


def sort_by_position(problems: Iterable[Problem]) -> List[Problem]:
    """Problems in the order of the file: unpositioned ones (the whole document) first."""
    return sorted(problems, key=lambda p: (p.line or 0, p.col or 0))


REPORT_LIMIT = 50  # problems printed in full; a hostile file can hold hundreds of thousands


def capped(problems: Sequence[Problem], filename: Optional[str] = None, limit: int = REPORT_LIMIT) -> List[str]:
    """The rendered problems, the first ``limit`` of them, then how many more there are."""
    lines = [p.render(filename) for p in problems[:limit]]
    if len(problems) > limit:
        more = len(problems) - limit
        lines.append(f"... and {more} more problem{'s' if more > 1 else ''}")
    return lines


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
        return "\n".join(capped(self.problems, self.filename))


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


class GitBusyError(LockTimeoutError):
    """A git command held the index lock for too long: a write now could be overwritten."""


class GitError(ConfigError):
    """git could not answer (not a repository, git missing, ...)."""


class UnknownKeyWarning(UserWarning):
    """A key the schema does not know; kept at run time, refused at the gate."""


class AliasMismatchWarning(UserWarning):
    """A legacy key kept for Code Query's readers disagrees with its canonical twin."""


class UnknownModelWarning(UserWarning):
    """A syntactically valid model name that is not in the known list."""


EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
