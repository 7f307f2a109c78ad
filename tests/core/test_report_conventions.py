"""--format json has check-jsonschema's keys, in their meaning, at each verbosity (issue 21,
row 7; README: "Command line"); our extras come after them and are documented as extras."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core import report
from codequery_gitcfg.core.errors import KeyProblem, Problem
from codequery_gitcfg.core.schema import schema_text

Capture = pytest.CaptureFixture[str]
OURS_ONLY = {"line", "column", "changes"}  # extras in an error (README: Command line)
EXTRA_TOP = {"notes", "migrated"}

FILES = {
    "ok.json": '{"dataset_name": "demo"}\n',
    "unknown.json": '{\n  "dataset_name": "demo",\n  "modle": "x"\n}\n',
    "nested.json": '{\n  "dataset_name": "demo",\n  "processing": {"retry": 1}\n}\n',
    "range.json": '{\n  "dataset_name": "demo",\n  "processing": {"batch_size": 5000}\n}\n',
    "missing.json": '{\n  "model": "sonnet"\n}\n',
}


def ours(tmp_path: Path, capsys: Capture, names: List[str], *flags: str) -> Dict[str, Any]:
    os.chdir(tmp_path)
    main(["validate", "--format", "json", *flags, *names])
    document: Dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def check_jsonschema() -> Optional[str]:
    found = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    return found if os.access(found, os.X_OK) else None


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "schema.json").write_text(schema_text())
    return tmp_path


@pytest.mark.parametrize("flags,ok_keys,fail_keys", [
    ((), ["status", "errors"], ["status", "errors", "parse_errors"]),
    (("-v",), ["status", "errors", "checked_paths"], ["status", "successes", "errors", "parse_errors"]),
    (("-q",), ["status"], ["status"]),
])
def test_keys_at_each_verbosity_are_check_jsonschema_s(files: Path, capsys: Capture, flags: tuple[str, ...],
                                                      ok_keys: List[str], fail_keys: List[str]) -> None:
    assert list(ours(files, capsys, ["ok.json"], *flags)) == ok_keys
    assert list(ours(files, capsys, ["ok.json", "unknown.json"], *flags)) == fail_keys


def test_the_ok_case_is_check_jsonschema_s_document(files: Path, capsys: Capture) -> None:
    assert ours(files, capsys, ["ok.json"]) == {"status": "ok", "errors": []}
    assert ours(files, capsys, ["ok.json"], "-v") == {"status": "ok", "errors": [], "checked_paths": ["ok.json"]}


def test_paths_name_the_failing_instance(files: Path, capsys: Capture) -> None:
    found = ours(files, capsys, ["unknown.json", "nested.json", "range.json", "missing.json"])
    assert [(e["filename"], e["path"]) for e in found["errors"]] == [
        ("unknown.json", "$"), ("nested.json", "$.processing"), ("range.json", "$.processing.batch_size"),
        ("missing.json", "$")]
    for error in found["errors"]:
        assert set(error) - {"filename", "path", "message", "has_sub_errors"} <= OURS_ONLY
    # The text form still names the key itself.
    main(["validate", "unknown.json"])
    assert capsys.readouterr().err == "unknown.json:3:12: modle: unknown key 'modle'; did you mean 'model'?\n"


def test_reporter_units() -> None:
    assert report.instance_path(KeyProblem("modle", "unknown key")) == "$"
    assert report.instance_path(KeyProblem("processing.retry", "unknown key")) == "$.processing"
    assert report.instance_path(KeyProblem("exclude_patterns[0].x", "unknown key")) == "$.exclude_patterns[0]"
    assert report.instance_path(Problem("processing.batch_size", "bad")) == "$.processing.batch_size"
    assert report.colour_wanted(sys.stderr, {}, "always") is True
    assert report.colour_wanted(sys.stderr, {"FORCE_COLOR": "1"}, "never") is False
    assert report.colour_wanted(sys.stderr, {"FORCE_COLOR": "1"}) is True
    assert report.colour_wanted(sys.stderr, {"FORCE_COLOR": "1", "NO_COLOR": "1"}) is False


@pytest.mark.parametrize("flags", [(), ("-v",), ("-q",)])
def test_same_keys_and_paths_as_the_real_check_jsonschema(files: Path, capsys: Capture,
                                                         flags: tuple[str, ...]) -> None:
    """check-jsonschema itself, with our schema, on the same files: the same keys in the same
    order, the same verdicts, the same paths (our messages are ours)."""
    tool = check_jsonschema()
    if tool is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    for names in (["ok.json"], ["ok.json", "unknown.json", "nested.json"]):
        proc = subprocess.run([tool, "-o", "json", *flags, "--schemafile", "schema.json", *names],
                              cwd=files, capture_output=True, text=True)
        theirs = json.loads(proc.stdout)
        mine = ours(files, capsys, names, *flags)
        assert [k for k in mine if k not in EXTRA_TOP] == list(theirs), (mine, theirs)
        assert mine["status"] == theirs["status"]
        for key in ("successes", "checked_paths"):
            assert mine.get(key) == theirs.get(key)
        mine_paths = [(e["filename"], e["path"]) for e in mine.get("errors", [])]
        assert mine_paths == [(e["filename"], e["path"]) for e in theirs.get("errors", [])]
        for m, t in zip(mine.get("errors", []), theirs.get("errors", [])):
            assert set(t) <= set(m) and set(m) - set(t) <= OURS_ONLY


def test_text_success_line_is_check_jsonschema_s(files: Path, capsys: Capture) -> None:
    main(["validate", "ok.json"])
    mine = capsys.readouterr().out
    tool = check_jsonschema()
    if tool is not None:
        proc = subprocess.run([tool, "--color", "never", "--schemafile", "schema.json", "ok.json"], cwd=files,
                              capture_output=True, text=True)
        assert proc.stdout == mine
    assert mine == "ok -- validation done\n"


def test_json_written_by_make_with_each_verbosity(capsys: Capture) -> None:
    for verbosity, keys in ((0, ["status"]), (1, ["status", "errors"]), (2, ["status", "errors", "checked_paths"])):
        out = report.make("json", {}, verbosity=verbosity)
        out.passed("a.json")
        out.finish()
        assert list(json.loads(capsys.readouterr().out)) == keys
