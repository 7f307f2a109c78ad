"""Every report we print: the hooks' ``codequery-gitcfg:`` lines and the forms of
``validate``, ``migrate`` and ``doctor`` (``--format text|json|github``).

``text`` is one ``FILE:LINE:COL: path: message`` line a problem, on stderr (what the
hooks use too), then ``ok -- validation done`` when all passed, as check-jsonschema says it;
``json`` has the keys of check-jsonschema's ``-o json`` at the same verbosity (``status``,
``errors``, ``parse_errors``; ``checked_paths`` or ``successes`` with ``-v``), and our extras
(each problem's ``line`` and ``column``, ``notes``, ``migrated``, a pending migration's
``changes``); ``github`` prints GitHub Actions workflow commands (``::error file=…,line=…,col=…::``).
``REPORTER_BY_NAME`` is the one list of forms: ``--format`` offers its keys.

Verbosity is check-jsonschema's: 1 by default, ``-v`` adds one, ``-q`` takes one away.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Type

from .errors import REPORT_LIMIT, KeyProblem, Problem, capped, escape
from .migrate import CURRENT_VERSION_NAME

MIGRATED = f"migrated to {CURRENT_VERSION_NAME}"  # what a migration did, said once

PREFIX = "codequery-gitcfg: "


# -- the hooks' lines ---------------------------------------------------------------
def say(message: str) -> None:
    """One line of a hook's report on stderr, under our name."""
    print(f"{PREFIX}{escape(message)}", file=sys.stderr)


def say_problems(problems: Sequence[Problem], label: Optional[str]) -> None:
    """The problems under a ``say`` line, indented, the first ``REPORT_LIMIT`` of them."""
    for line in capped(problems, label):
        print(f"  {line}", file=sys.stderr)


def say_item(text: str) -> None:
    """One ``  - change`` line of a list under a ``say`` line."""
    print(f"  - {escape(text)}", file=sys.stderr)


# -- the forms of validate, migrate and doctor ---------------------------------------
def dry_run(done: str) -> str:
    """``migrate --diff``'s report of what it did not write."""
    return f"would have {done} (nothing written: --diff is a dry run)"


class Output:
    """Where ``validate`` and ``migrate`` report: text on stderr, one problem a line.

    The CLI passes other forms (``--format json`` / ``github``); the hooks use this one.
    """

    def __init__(self, stream: Optional[TextIO] = None, *, verbosity: int = 1) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self.failed = False
        self.checked: List[str] = []
        self.done = "validation done"  # what the success line says (``ok -- validation done``)
        # Where it goes: stdout, as check-jsonschema's, unless the command's data is there
        # (``migrate`` reports on stderr, beside the diff or the migrated file on stdout).
        self.success_on_stderr = False

    @classmethod
    def for_environ(cls, environ: Mapping[str, str], *, verbosity: int = 1, colour: str = "auto") -> Output:
        """The form ``--format`` names, for a run in ``environ``."""
        return cls(verbosity=verbosity)

    def _write(self, line: str) -> None:
        print(escape(line), file=self.stream or sys.stderr)

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        self.failed = True
        if self.verbosity < 0:
            return
        for problem in problems[:REPORT_LIMIT]:
            self._put(self.render(problem, label))
        more = len(problems) - REPORT_LIMIT
        if more > 0:  # a hostile file can hold hundreds of thousands
            self._write(f"... and {more} more problem{'s' if more > 1 else ''}")

    def render(self, problem: Problem, label: str) -> str:
        """One problem's line, escaped (a colour form adds its own codes)."""
        return problem.render(label)

    def _put(self, line: str, stream: Optional[TextIO] = None) -> None:
        """A line already escaped, which may carry our colour codes: a stream that escapes
        what it writes (the CLI's) takes them through ``write_styled``."""
        stream = stream or self.stream or sys.stderr
        write = getattr(stream, "write_styled", None)
        if write is None:
            print(line, file=stream)
        else:
            write(line + "\n")

    def passed(self, label: str) -> None:
        """``label`` is valid and current."""
        self.checked.append(label)

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        """Worth a word, never a failure (an unknown model name)."""
        if self.verbosity < 1:
            return
        for note in notes:
            self._write(Problem("", f"note: {note.path}: {note.message}", note.line, note.col).render(label))

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        self.failed = True
        if self.verbosity < 0:
            return
        self._write(f"{label}: migration pending (run `{fix}`):")
        for change in changes:
            self._write(f"  - {change}")

    def migrated(self, label: str, changes: Sequence[str], done: str = MIGRATED, *, written: bool = True) -> None:
        """What a migration did (``written=False``: what ``migrate --diff`` would do)."""
        if self.verbosity < 1:
            return
        self._write(f"{label}: {done}:" if written else f"{label}: {dry_run(done)}:")
        for change in changes:
            self._write(f"  - {change}")

    def finish(self) -> None:
        """Called once every file has been reported (the hooks' form says nothing on success)."""


COLOUR_CHOICES = ("auto", "always", "never")  # --color, as pre-commit and check-jsonschema spell it


def colour_wanted(stream: TextIO, environ: Mapping[str, str], setting: str = "auto") -> bool:
    """``--color always|never`` decide; ``auto``: never with NO_COLOR set (https://no-color.org),
    always with FORCE_COLOR set (https://force-color.org), else only on a terminal that is not dumb."""
    if setting != "auto":
        return setting == "always"
    if environ.get("NO_COLOR", "") != "":
        return False
    if environ.get("FORCE_COLOR", "") != "":
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


GREEN, RED, BOLD, RESET = "\x1b[32m", "\x1b[31m", "\x1b[1m", "\x1b[0m"


class TextOutput(Output):
    """One ``FILE:LINE:COL: path: message`` line a problem, on stderr; bold and red in colour;
    ``ok -- validation done`` when everything passed (``-q`` leaves it out, ``-v`` lists the files)."""

    def __init__(self, colour: bool = False, *, verbosity: int = 1) -> None:
        super().__init__(verbosity=verbosity)
        self.colour = colour

    @classmethod
    def for_environ(cls, environ: Mapping[str, str], *, verbosity: int = 1, colour: str = "auto") -> Output:
        return cls(colour_wanted(sys.stderr, environ, colour), verbosity=verbosity)

    def finish(self) -> None:
        if self.failed or self.verbosity < 1:
            return
        ok = f"{GREEN}ok{RESET}" if self.colour else "ok"
        stream = sys.stderr if self.success_on_stderr else sys.stdout
        self._put(f"{ok} -- {escape(self.done)}", stream)
        if self.verbosity > 1 and self.checked:
            self._put("The following files were checked:", stream)
            for label in self.checked:
                self._put(f"  {escape(label)}", stream)

    def render(self, problem: Problem, label: str) -> str:
        if not self.colour:
            return problem.render(label)
        where = Problem("", "", problem.line, problem.col).render(label)[: -len(": ")]
        path = f"{RED}{escape(problem.path)}{RESET}: " if problem.path else ""
        return f"{BOLD}{escape(where)}{RESET}: {path}{escape(problem.message)}"


def json_path(path: str) -> str:
    """Our dotted path as check-jsonschema writes it: ``$.processing.batch_size``."""
    if not path:
        return "$"
    return "$" + ("" if path.startswith("[") else ".") + path


def instance_path(problem: Problem) -> str:
    """check-jsonschema's ``path``: the instance that fails, which for a key's problem (an
    unknown key, a missing required one) is the object holding it (``$``, ``$.processing``)."""
    return json_path(problem.instance if isinstance(problem, KeyProblem) else problem.path)


class JsonOutput(Output):
    """Everything collected, then one JSON document on stdout."""

    def __init__(self, stream: Optional[TextIO] = None, *, verbosity: int = 1) -> None:
        super().__init__(verbosity=verbosity)
        self.out = stream
        self.successes: List[str] = []
        self.errors: List[Dict[str, Any]] = []
        self.parse_errors: List[Dict[str, Any]] = []
        self.migrated_files: List[Dict[str, Any]] = []
        self.notes_found: List[Dict[str, Any]] = []

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        self.failed = True
        for problem in problems:
            where = {"line": problem.line, "column": problem.col}
            if unreadable:
                message = f"{problem.path}: {problem.message}" if problem.path else problem.message
                self.parse_errors.append({"filename": label, "message": message, **where})
            else:
                self.errors.append({"filename": label, "path": instance_path(problem), "message": problem.message,
                                    "has_sub_errors": False, **where})

    def passed(self, label: str) -> None:
        self.successes.append(label)

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        self.notes_found += [{"filename": label, "path": json_path(n.path), "message": n.message,
                              "line": n.line, "column": n.col} for n in notes]

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        self.failed = True
        self.errors.append({"filename": label, "path": "$", "message": f"migration pending; run `{fix}`",
                            "has_sub_errors": False, "line": 1, "column": 1, "changes": list(changes)})

    def migrated(self, label: str, changes: Sequence[str], done: str = MIGRATED, *, written: bool = True) -> None:
        self.migrated_files.append({"filename": label, "done": done, "changes": list(changes), "written": written})

    def finish(self) -> None:
        """check-jsonschema's keys at its verbosity: ``{"status": "ok", "errors": []}`` by default,
        ``checked_paths`` (all passed) or ``successes`` (some failed) with ``-v``, ``status``
        alone with ``-q``; our extras after them."""
        failed = bool(self.errors or self.parse_errors)
        report: Dict[str, Any] = {"status": "fail" if failed else "ok"}
        if failed and self.verbosity > 1:
            report["successes"] = self.successes
        if self.verbosity > 0:
            report["errors"] = self.errors
            if failed:
                report["parse_errors"] = self.parse_errors
        if not failed and self.verbosity > 1:
            report["checked_paths"] = self.successes
        if self.notes_found and self.verbosity > 0:
            report["notes"] = self.notes_found
        if self.migrated_files and self.verbosity > 0:
            report["migrated"] = self.migrated_files
        print(json.dumps(report, indent=2, ensure_ascii=False), file=self.out or sys.stdout)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, label: str, problem: Problem) -> str:
    """``::error file=…,line=…,col=…::path: message`` (GitHub Actions workflow command)."""
    props = [f"file={_escape_property(label)}"] if label else []
    if problem.line is not None:
        props.append(f"line={problem.line}")
        if problem.col is not None:
            props.append(f"col={problem.col}")
    text = f"{problem.path}: {problem.message}" if problem.path else problem.message
    where = f" {','.join(props)}" if props else ""
    return f"::{kind}{where}::{_escape_data(text)}"


class GithubOutput(Output):
    """GitHub Actions annotations on stdout, where the runner reads workflow commands."""

    def __init__(self, stream: Optional[TextIO] = None, *, verbosity: int = 1) -> None:
        super().__init__(verbosity=verbosity)
        self.out = stream

    def _emit(self, line: str) -> None:
        print(line, file=self.out or sys.stdout)

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        self.failed = True
        for problem in problems:
            self._emit(annotation("error", label, problem))

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        for note in notes:
            self._emit(annotation("notice", label, note))

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        self.failed = True
        detail = "".join(f"\n- {change}" for change in changes)
        self._emit(annotation("error", label, Problem("", f"migration pending; run `{fix}`{detail}", 1, 1)))

    def migrated(self, label: str, changes: Sequence[str], done: str = MIGRATED, *, written: bool = True) -> None:
        detail = "".join(f"\n- {change}" for change in changes)
        said = done if written else dry_run(done)
        self._emit(annotation("notice", label, Problem("", f"{said}{detail}")))


# The forms ``--format`` offers, by name; the first is the default.
REPORTER_BY_NAME: Dict[str, Type[Output]] = {"text": TextOutput, "json": JsonOutput, "github": GithubOutput}


def make(name: str, environ: Mapping[str, str], *, verbosity: int = 1, colour: str = "auto") -> Output:
    """The reporter ``--format NAME`` asks for, at check-jsonschema's ``verbosity`` (1 by
    default), coloured as ``--color`` says (text only)."""
    return REPORTER_BY_NAME[name].for_environ(environ, verbosity=verbosity, colour=colour)


__all__ = ["COLOUR_CHOICES", "PREFIX", "REPORTER_BY_NAME", "GithubOutput", "JsonOutput", "Output", "TextOutput",
           "annotation", "colour_wanted", "instance_path", "json_path", "make", "say", "say_item", "say_problems"]
