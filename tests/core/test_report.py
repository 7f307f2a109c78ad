"""core.report: the one reporter module of the hooks and the CLI (ARCHITECTURE.md)."""
from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

import pytest
from codequery_gitcfg.cli.main import build_parser
from codequery_gitcfg.core import report
from codequery_gitcfg.core.errors import REPORT_LIMIT, Problem

Capture = pytest.CaptureFixture[str]
PROBLEM = Problem("processing.batch_size", "0 is less than the minimum of 1", 3, 19)


def _subcommands(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands: Dict[str, argparse.ArgumentParser] = sub.choices
    return commands


@pytest.mark.parametrize("command", ["validate", "migrate", "doctor"])
def test_format_offers_exactly_the_registered_reporters(command: str) -> None:
    parser = _subcommands(build_parser())[command]
    [option] = [a for a in parser._actions if "--format" in a.option_strings]
    assert list(option.choices or []) == list(report.REPORTER_BY_NAME) == ["text", "json", "github"]
    assert option.default == "text"


def test_make_builds_each_registered_reporter() -> None:
    for name, cls in report.REPORTER_BY_NAME.items():
        assert type(report.make(name, {})) is cls
    assert isinstance(report.make("text", {}), report.Output)


def test_text_reports_one_problem_a_line_on_stderr(capsys: Capture) -> None:
    out = report.make("text", {"NO_COLOR": "1"})
    out.problems("c.json", [PROBLEM])
    out.finish()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "c.json:3:19: processing.batch_size: 0 is less than the minimum of 1\n"


def test_text_caps_a_flood_of_problems(capsys: Capture) -> None:
    report.Output().problems("c.json", [Problem("", f"bad {i}") for i in range(REPORT_LIMIT + 2)])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == REPORT_LIMIT + 1 and lines[-1] == "... and 2 more problems"


def test_json_reports_one_document_on_stdout(capsys: Capture) -> None:
    out = report.make("json", {}, verbosity=2)  # -v: check-jsonschema's successes too
    out.problems("c.json", [PROBLEM])
    out.passed("other.json")
    out.finish()
    captured = capsys.readouterr()
    assert captured.err == ""
    document: Dict[str, Any] = json.loads(captured.out)
    errors: List[Dict[str, Any]] = document["errors"]
    assert document["status"] == "fail" and document["successes"] == ["other.json"]
    assert errors == [{"filename": "c.json", "path": "$.processing.batch_size",
                       "message": "0 is less than the minimum of 1", "has_sub_errors": False,
                       "line": 3, "column": 19}]
    assert document["parse_errors"] == []
    assert captured.out == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_github_reports_one_annotation_on_stdout(capsys: Capture) -> None:
    out = report.make("github", {})
    out.problems("dir,x/c.json", [PROBLEM])
    out.finish()
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ("::error file=dir%2Cx/c.json,line=3,col=19::"
                            "processing.batch_size: 0 is less than the minimum of 1\n")


def test_json_path_and_annotation_helpers() -> None:
    assert report.json_path("") == "$"
    assert report.json_path("processing.mode") == "$.processing.mode"
    assert report.json_path("[0]") == "$[0]"
    assert report.annotation("warning", "", Problem("", "50%\nmore")) == "::warning::50%25%0Amore"


def test_the_hook_lines_carry_our_name_and_escape_what_they_quote(capsys: Capture) -> None:
    report.say("commit stopped: \x1b[2Jgone")
    report.say_problems([PROBLEM], "c.json")
    report.say_item("renamed mainDatasetName\x07")
    assert capsys.readouterr().err == (
        "codequery-gitcfg: commit stopped: \\x1b[2Jgone\n"
        "  c.json:3:19: processing.batch_size: 0 is less than the minimum of 1\n"
        "  - renamed mainDatasetName\\x07\n"
    )
