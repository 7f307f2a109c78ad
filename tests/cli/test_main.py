"""The command line (README: "Command line"): commands, exit codes, output format."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION

from support.repos import LEGACY_AUTO, VALID, git

Capture = pytest.CaptureFixture[str]


def test_validate_valid_invalid_and_garbage(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(VALID)
    assert main(["validate"]) == 0
    assert capsys.readouterr().err == ""
    write_config('{\n  "dataset_name": "project",\n  "processing": {"batch_size": true}\n}\n')
    assert main(["validate"]) == 1
    assert capsys.readouterr().err == (".code-query/config.json:3:32: processing.batch_size: "
                                       "batch_size must be a positive integer (1 to 1000); expected an integer, got the boolean true\n")
    write_config(os.urandom(2000))
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(".code-query/config.json:") and "Traceback" not in err


def test_validate_several_files_reports_all(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(VALID, "a.json")
    write_config({"dataset_name": ""}, "b.json")
    os.symlink("/etc/hostname", in_repo / "out.json")  # inside the worktree, leading out
    assert main(["validate", "a.json", "out.json", "b.json", "missing.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("out.json: ") and "out.json resolves to /etc/hostname, outside the worktree" in err
    assert "b.json:2:19: dataset_name: dataset_name cannot be empty" in err
    assert "missing.json: file not found" in err
    assert "a.json" not in err


def test_usage_errors_exit_2(capsys: Capture) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["migrate", "--bogus"]) == 2
    assert main(["set", "onlykey"]) == 2
    capsys.readouterr()


def test_help_exits_0(capsys: Capture) -> None:
    assert main(["--help"]) == 0
    assert "validate" in capsys.readouterr().out


def test_outside_a_repository_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    assert "not inside a git worktree" in capsys.readouterr().err


def test_schema_prints_the_packaged_schema(capsys: Capture) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert printed["properties"]["processing"]["properties"]["batch_size"]["maximum"] == 1000


def test_init(in_repo: Path, capsys: Capture) -> None:
    assert main(["init", "--dataset-name", "my.data_set-1"]) == 0
    data = json.loads((in_repo / ".code-query" / "config.json").read_text())
    assert data["dataset_name"] == "my.data_set-1" and data["schema_version"] == CURRENT_SCHEMA_VERSION
    assert main(["validate"]) == 0
    assert main(["init"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_init_refuses_bad_name(in_repo: Path, capsys: Capture) -> None:
    assert main(["init", "--dataset-name", "bad name"]) == 1
    assert "dataset_name" in capsys.readouterr().err
    assert not (in_repo / ".code-query" / "config.json").exists()


def test_init_default_name(in_repo: Path) -> None:
    assert main(["init"]) == 0
    assert json.loads((in_repo / ".code-query" / "config.json").read_text())["dataset_name"] == "project"


def test_set_and_unset(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    path = write_config(VALID)
    assert main(["set", "processing.batch_size", "12"]) == 0
    assert main(["set", "processing.fallback_to_sync", "off"]) == 0
    assert main(["set", "model", "claude-3-haiku-20240307"]) == 0
    assert main(["set", "exclude_patterns", '["dist/*"]']) == 0
    data = json.loads(path.read_text())
    assert data["processing"]["batch_size"] == 12 and data["processing"]["fallback_to_sync"] is False
    assert data["model"] == "claude-3-haiku-20240307" and data["exclude_patterns"] == ["dist/*"]
    assert main(["unset", "model"]) == 0
    assert "model" not in json.loads(path.read_text())
    capsys.readouterr()


@pytest.mark.parametrize("args,needle", [
    (["set", "processing.batch_size", "0"], "processing.batch_size: batch_size must be a positive integer"),
    (["set", "processing.batch_size", "many"],
     "processing.batch_size: invalid value 'many': batch_size must be a positive integer (1 to 1000); "
     'expected an integer, got the string "many"\n'),
    (["set", "processing.batch_size", "1" * 30],
     "processing.batch_size: batch_size must be a positive integer (1 to 1000)"),
    (["set", "processing.bach_size", "3"],
     "processing.bach_size: unknown key 'bach_size'; did you mean 'batch_size'?\n"),
    (["set", "processing.retry_delay", "3"], "processing.retry_delay: unknown key 'retry_delay'\n"),
    (["set", "processing.retry_attempts", "3"], "processing.retry_attempts: unknown key 'retry_attempts'\n"),
    (["set", "schema_version", "3"], "schema_version: schema_version is written by migration: it can only be 2, "
     "the version this codequery-gitcfg writes (`codequery-gitcfg migrate` migrates an older file)\n"),
    (["set", "model.name", "x"], "model.name: model is not an object, so model.name cannot be set\n"),
    (["set", "processing", '{"mode": "fast"}'], "processing.mode: Invalid processing mode"),
    (["set", "exclude_patterns", "dist/*"], "exclude_patterns must be a list"),
    (["set", "exclude_patterns", '["/abs"]'], "must be relative"),
    (["unset", "dataset_name"], "dataset_name is required"),
    (["unset", "nonsense"], "unknown key 'nonsense'"),
])
def test_set_refusals_leave_file_untouched(in_repo: Path, write_config: Callable[..., Path], capsys: Capture,
                                           args: list[str], needle: str) -> None:
    path = write_config(VALID)
    before = path.read_bytes()
    assert main(args) == 1
    assert needle in capsys.readouterr().err
    assert path.read_bytes() == before


def test_set_without_file(in_repo: Path, capsys: Capture) -> None:
    assert main(["set", "model", "x"]) == 1
    assert "codequery-gitcfg init" in capsys.readouterr().err


def test_set_migrates_legacy_file(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(LEGACY_AUTO)
    assert main(["set", "processing.batch_size", "3"]) == 0
    data = json.loads(path.read_text())
    assert data["processing"] == {"mode": "auto", "batch_size": 3} and "auto_process" not in data


def test_show_file_values(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(VALID)
    assert main(["show"]) == 0
    assert capsys.readouterr().out == ('dataset_name = "project"\nprocessing.mode = "manual"\n'
                                       "processing.batch_size = 5\n")
    assert main(["show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == VALID


def test_show_effective_with_origin(in_repo: Path, write_config: Callable[..., Path], capsys: Capture,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(VALID)
    monkeypatch.setenv("CODEQUERY_PROCESSING_DELAY_SECONDS", "7")
    assert main(["show", "--effective", "--origin"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'dataset_name = "project"    (.code-query/config.json:2)' in lines
    assert "processing.batch_size = 5    (.code-query/config.json:5)" in lines
    assert "processing.delay_seconds = 7    (env CODEQUERY_PROCESSING_DELAY_SECONDS)" in lines
    assert "processing.max_retries = 2    (default)" in lines
    assert main(["show", "--effective", "--origin", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["processing.delay_seconds"] == {"value": 7, "origin": "env CODEQUERY_PROCESSING_DELAY_SECONDS"}
    assert data["model"]["origin"] == "default"


def test_show_invalid_file_fails_cleanly(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config("{oops")
    assert main(["show"]) == 1
    assert "Invalid JSON in config file" in capsys.readouterr().err


def test_console_script_runs_as_a_process(in_repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": -3}})
    proc = subprocess.run([sys.executable, "-m", "codequery_gitcfg", "validate"], capture_output=True, text=True)
    assert proc.returncode == 1 and "batch_size" in proc.stderr and "Traceback" not in proc.stderr


def test_set_never_overwrites_a_non_object_parent(in_repo: Path, write_config: Callable[..., Path],
                                                  capsys: Capture) -> None:
    path = write_config('{"dataset_name": "x", "processing": [1, 2]}')
    assert main(["set", "processing.batch_size", "3"]) == 1
    assert "processing: processing must be an object" in capsys.readouterr().err
    assert path.read_text() == '{"dataset_name": "x", "processing": [1, 2]}'


def test_hook_fixer_in_two_repositories_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: Capture) -> None:
    # The CLI remembers the worktree it found per folder; a second repository in the
    # same process (the fixer called without cli.main) must not be judged by the first.
    from codequery_gitcfg.cli import hook as githooks

    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        git(root, "init", "-q")
        (root / ".code-query").mkdir()
        (root / ".code-query" / "config.json").write_text(json.dumps(LEGACY_AUTO))
        monkeypatch.chdir(root)
        assert githooks.main(["migrate", ".code-query/config.json"]) == 1  # rewrote it
        assert "outside the worktree" not in capsys.readouterr().err
        assert json.loads((root / ".code-query" / "config.json").read_text())["processing"] == {"mode": "auto"}
