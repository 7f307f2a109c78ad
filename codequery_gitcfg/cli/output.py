"""The report forms of ``validate``, ``migrate`` and ``doctor``: ``--format text|json|github``.

``json`` has the shape of check-jsonschema's ``-o json`` (``status``, ``successes``,
``errors``, ``parse_errors``), plus each problem's ``line`` and ``column``;
``github`` prints GitHub Actions workflow commands (``::error file=…,line=…,col=…::``).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO

from ..core.errors import Problem
from ..git.ops import Output

FORMATS = ("text", "json", "github")


def colour_wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org)."""
    if environ.get("NO_COLOR", "") != "":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class TextOutput(Output):
    """One ``FILE:LINE:COL: path: message`` line a problem, on stderr; bold and red on a TTY."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def render(self, problem: Problem, label: str) -> str:
        if not self.colour:
            return problem.render(label)
        where = Problem("", "", problem.line, problem.col).render(label)[: -len(": ")]
        path = f"\x1b[31m{problem.path}\x1b[0m: " if problem.path else ""
        return f"\x1b[1m{where}\x1b[0m: {path}{problem.message}"


def json_path(path: str) -> str:
    """Our dotted path as check-jsonschema writes it: ``$.processing.batch_size``."""
    if not path:
        return "$"
    return "$" + ("" if path.startswith("[") else ".") + path


class JsonOutput(Output):
    """Everything collected, then one JSON document on stdout."""

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        super().__init__()
        self.out = stream
        self.successes: List[str] = []
        self.errors: List[Dict[str, Any]] = []
        self.parse_errors: List[Dict[str, Any]] = []
        self.migrated_files: List[Dict[str, Any]] = []
        self.notes_found: List[Dict[str, Any]] = []

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        for problem in problems:
            where = {"line": problem.line, "column": problem.col}
            if unreadable:
                message = f"{problem.path}: {problem.message}" if problem.path else problem.message
                self.parse_errors.append({"filename": label, "message": message, **where})
            else:
                self.errors.append({"filename": label, "path": json_path(problem.path), "message": problem.message,
                                    "has_sub_errors": False, **where})

    def passed(self, label: str) -> None:
        self.successes.append(label)

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        self.notes_found += [{"filename": label, "path": json_path(n.path), "message": n.message,
                              "line": n.line, "column": n.col} for n in notes]

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        self.errors.append({"filename": label, "path": "$", "message": f"migration pending; run `{fix}`",
                            "has_sub_errors": False, "line": 1, "column": 1, "changes": list(changes)})

    def migrated(self, label: str, changes: Sequence[str], done: str = "migrated to schema version 2") -> None:
        self.migrated_files.append({"filename": label, "done": done, "changes": list(changes)})

    def finish(self) -> None:
        report: Dict[str, Any] = {
            "status": "fail" if self.errors or self.parse_errors else "ok",
            "successes": self.successes,
            "errors": self.errors,
            "parse_errors": self.parse_errors,
        }
        if self.notes_found:
            report["notes"] = self.notes_found
        if self.migrated_files:
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

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        super().__init__()
        self.out = stream

    def _emit(self, line: str) -> None:
        print(line, file=self.out or sys.stdout)

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None:
        for problem in problems:
            self._emit(annotation("error", label, problem))

    def notes(self, label: str, notes: Sequence[Problem]) -> None:
        for note in notes:
            self._emit(annotation("notice", label, note))

    def pending(self, label: str, changes: Sequence[str], fix: str) -> None:
        detail = "".join(f"\n- {change}" for change in changes)
        self._emit(annotation("error", label, Problem("", f"migration pending; run `{fix}`{detail}", 1, 1)))

    def migrated(self, label: str, changes: Sequence[str], done: str = "migrated to schema version 2") -> None:
        detail = "".join(f"\n- {change}" for change in changes)
        self._emit(annotation("notice", label, Problem("", f"{done}{detail}")))


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (FILE:LINE:COL lines on stderr), json (check-jsonschema's -o json shape, "
                        "on stdout) or github (GitHub Actions annotations on stdout)")


def make(form: str, environ: Mapping[str, str]) -> Output:
    if form == "json":
        return JsonOutput()
    if form == "github":
        return GithubOutput()
    return TextOutput(colour_wanted(sys.stderr, environ))


__all__ = ["FORMATS", "GithubOutput", "JsonOutput", "TextOutput", "add_format", "annotation", "colour_wanted",
           "json_path", "make"]
