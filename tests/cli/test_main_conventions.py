"""The command line as check-jsonschema and pre-commit users expect it (issue 14)."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest
from codequery_gitcfg import ConfigManager
from codequery_gitcfg.cli.main import build_parser, main
from codequery_gitcfg.core import report
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME
from codequery_gitcfg.git import hooks

from support.repos import LEGACY_AUTO, LEGACY_CAMEL, VALID, git

Capture = pytest.CaptureFixture[str]
CONFIG = ".code-query/config.json"

CAMEL_FILE = """{
  "datasetName": "project_feature",
  "mainDatasetName": "project",
  "excludePatterns": ["*.test.js", "node_modules/*"],
  "createdAt": "2024-05-01T10:00:00",
  "version": "1.1.0",
  "worktreeInfo": {
    "isWorktree": true,
    "branch": "feature",
    "mainDatasetName": "project",
    "datasetNote": "Worktree dataset derived from project"
  }
}
"""


# -- show --origin -------------------------------------------------------------------
def test_origin_of_migrated_values_is_the_legacy_key(in_repo: Path, write_config: Callable[..., Path],
                                                     capsys: Capture) -> None:
    write_config(CAMEL_FILE)
    assert main(["show", "--effective", "--origin"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f'dataset_name = "project"    ({CONFIG}:3 (from mainDatasetName))',
        'model = "claude-3-5-sonnet-20240620"    (default)',
        'processing.mode = "manual"    (default)',
        "processing.fallback_to_sync = true    (default)",
        "processing.batch_size = 5    (default)",
        "processing.delay_seconds = 300    (default)",
        "processing.max_retries = 2    (default)",
        "processing.worker_check_interval = 5    (default)",
        "processing.queue_timeout = 30    (default)",
        f'exclude_patterns = ["*.test.js", "node_modules/*"]    ({CONFIG}:4 (from excludePatterns))',
        "schema_version = 2    (added by migration)",
        f'created_at = "2024-05-01T10:00:00"    ({CONFIG}:5 (from createdAt))',
        f"worktree.is_worktree = true    ({CONFIG}:8 (from worktreeInfo.isWorktree))",
        f'worktree.branch = "feature"    ({CONFIG}:9 (from worktreeInfo.branch))',
        f'worktree.main_dataset_name = "project"    ({CONFIG}:10 (from worktreeInfo.mainDatasetName))',
    ]


def test_origin_of_mode_from_auto_process(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(LEGACY_AUTO)
    assert main(["show", "--effective", "--origin", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["processing.mode"] == {"value": "auto", "origin": f"{CONFIG}:4 (from auto_process)"}
    assert data["dataset_name"] == {"value": "project", "origin": f"{CONFIG}:2"}
    write_config({**LEGACY_AUTO, "auto_process": False})
    assert main(["show", "--effective", "--origin"]) == 0
    assert f'processing.mode = "manual"    ({CONFIG}:4 (from auto_process))' in capsys.readouterr().out


def test_show_effective_warns_about_misspelt_variables(in_repo: Path, write_config: Callable[..., Path],
                                                       capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(VALID)
    monkeypatch.setenv("CODEQUERY_PROCESSING_BATCHSIZE", "9")
    monkeypatch.setenv("CODEQUERY_GITCFG_DEBUG", "0")  # ours, not a field
    assert main(["show", "--effective"]) == 0
    assert capsys.readouterr().err == ("warning: CODEQUERY_PROCESSING_BATCHSIZE sets no config field and is ignored; "
                                       "did you mean CODEQUERY_PROCESSING_BATCH_SIZE?\n")


# -- save_config ---------------------------------------------------------------------
def test_save_of_load_keeps_key_order_and_list_layout(in_repo: Path, write_config: Callable[..., Path]) -> None:
    text = ('{\n  "schema_version": 2,\n  "dataset_name": "project",\n  "exclude_patterns": [\n'
            '    "a/*", "b/*",\n    "c/*"\n  ],\n  "processing": {\n    "mode": "auto"\n  }\n}\n')
    path = write_config(text)
    manager = ConfigManager(path)
    manager.save_config(manager.load_config())
    written = path.read_text()
    assert written.startswith('{\n  "schema_version": 2,\n  "dataset_name": "project",\n  "exclude_patterns": [\n'
                              '    "a/*", "b/*",\n    "c/*"\n  ],\n  "processing": {\n    "mode": "auto",\n')
    assert list(json.loads(written)) == ["schema_version", "dataset_name", "exclude_patterns", "processing", "model"]


def test_save_keeps_layout_with_crlf(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(b'{\r\n  "dataset_name": "p",\r\n  "exclude_patterns": [\r\n    "a/*", "b/*"\r\n  ]\r\n}\r\n')
    manager = ConfigManager(path)
    manager.save_config({"dataset_name": "p", "exclude_patterns": ["a/*", "b/*"]})
    assert path.read_bytes() == (b'{\r\n  "schema_version": 2,\r\n  "dataset_name": "p",\r\n'
                                 b'  "exclude_patterns": [\r\n    "a/*", "b/*"\r\n  ],\r\n'
                                 b'  "processing": {\r\n    "mode": "manual"\r\n  }\r\n}\r\n')


# -- set / unset ---------------------------------------------------------------------
def test_set_and_unset_real_keys(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    path = write_config({"schema_version": 2, "dataset_name": "project", "processing": {"mode": "manual"},
                         "worktree": {"branch": "main"}})
    assert main(["set", "processing", '{"mode": "auto"}']) == 0
    assert json.loads(path.read_text())["processing"] == {"mode": "auto"}
    assert main(["set", "processing.delay_seconds", "1e3"]) == 0
    assert '"delay_seconds": 1000\n' in path.read_text()
    assert main(["set", "schema_version", "2"]) == 0
    assert main(["unset", "worktree.branch"]) == 0
    assert "worktree" not in json.loads(path.read_text())  # the emptied object goes too
    write_config({"dataset_name": "project", "worktree": {"branch": "main", "is_worktree": True}})
    assert main(["unset", "worktree"]) == 0
    assert json.loads(path.read_text()) == {"dataset_name": "project"}
    assert capsys.readouterr().err == ""


def test_set_on_a_legacy_file_says_it_migrated_it(in_repo: Path, write_config: Callable[..., Path],
                                                  capsys: Capture) -> None:
    path = write_config(LEGACY_AUTO)
    assert main(["set", "processing.batch_size", "3"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"{CONFIG}: migrated to {CURRENT_VERSION_NAME} first (to set processing.batch_size):\n  - ")
    assert json.loads(path.read_text())["processing"] == {"mode": "auto", "batch_size": 3}
    assert main(["set", "processing.batch_size", "4"]) == 0
    assert capsys.readouterr().err == ""  # current now: nothing to say


# -- migrate --diff, files outside the worktree --------------------------------------------
def test_migrate_diff_alone_on_stdout(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(LEGACY_AUTO)
    assert main(["migrate", "--check", "--diff"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"--- {CONFIG}\t") and f"\n+++ {CONFIG}\t" in out and "\n@@ " in out
    assert all(line[:1] in " +-@" for line in out.splitlines())
    assert err.startswith(f"{CONFIG}: migration pending (run `codequery-gitcfg migrate`):\n")


def test_read_only_commands_read_a_file_named_outside(in_repo: Path, tmp_path: Path, write_config: Callable[..., Path],
                                                      capsys: Capture) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(LEGACY_AUTO))
    assert main(["validate", str(outside)]) == 1
    assert capsys.readouterr().err == (
        f"{outside}:1:1: pending migration to {CURRENT_VERSION_NAME} (legacy keys: auto_process); "
        f"run `codequery-gitcfg migrate {outside}` to fix it\n")
    assert main(["show", "--file", str(outside)]) == 0
    assert "auto_process = true" in capsys.readouterr().out
    before = outside.read_bytes()
    assert main(["migrate", str(outside)]) == 1  # a write: refused
    assert "outside the worktree" in capsys.readouterr().err
    assert outside.read_bytes() == before
    os.symlink(outside, in_repo / "link.json")  # inside the worktree, leading out: refused
    assert main(["validate", "link.json"]) == 1
    assert "outside the worktree" in capsys.readouterr().err


# -- conventions ----------------------------------------------------------------------
def test_help_is_plain_and_every_option_has_help(capsys: Capture) -> None:
    assert main(["--help"]) == 0
    assert "``" not in capsys.readouterr().out
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    for name, sub in subparsers.choices.items():  # type: ignore[union-attr]
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"


def test_hook_usage_does_not_claim_args(capsys: Capture) -> None:
    assert main(["hook", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: codequery-gitcfg hook [-h] NAME [ARGS...]\n")


def test_a_subcommand_error_shows_its_usage(capsys: Capture) -> None:
    assert main(["migrate", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: codequery-gitcfg migrate [-h]")
    assert err.endswith("codequery-gitcfg migrate: error: unrecognized arguments: --bogus\n")


def test_file_as_operand_or_option(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(VALID, "a.json")
    write_config({"dataset_name": ""}, "b.json")
    assert main(["validate", "a.json", "--file", "b.json"]) == 1
    assert capsys.readouterr().err == "b.json:2:19: dataset_name: dataset_name cannot be empty\n"
    assert main(["show", "a.json"]) == main(["show", "--file", "a.json"]) == 0
    out = capsys.readouterr().out
    assert out == 2 * 'dataset_name = "project"\nprocessing.mode = "manual"\nprocessing.batch_size = 5\n'
    assert main(["init", "c.json", "--dataset-name", "c"]) == 0
    assert json.loads((in_repo / "c.json").read_text())["dataset_name"] == "c"


def test_format_json_like_check_jsonschema(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(VALID, "a.json")
    write_config('{\n  "dataset_name": "x",\n  "processing": {"batch_size": 0}\n}\n', "b.json")
    write_config("{oops", "c.json")
    assert main(["validate", "--format", "json", "a.json", "b.json", "c.json"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out) == {
        "status": "fail",
        "errors": [{"filename": "b.json", "path": "$.processing.batch_size",
                    "message": "batch_size must be a positive integer (1 to 1000); got 0", "has_sub_errors": False,
                    "line": 3, "column": 32}],
        "parse_errors": [{"filename": "c.json", "line": 1, "column": 2,
                          "message": "Invalid JSON in config file: Expecting property name enclosed in double quotes"}],
    }
    assert main(["validate", "--format", "json", "-v", "a.json", "b.json"]) == 1
    assert json.loads(capsys.readouterr().out)["successes"] == ["a.json"]  # check-jsonschema's -v key
    assert main(["validate", "--format", "json", "a.json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"status": "ok", "errors": []}


def test_format_github_annotations(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config('{\n  "dataset_name": "x",\n  "processing": {"batch_size": 0}\n}\n', "b,1.json")
    assert main(["validate", "--format", "github", "b,1.json"]) == 1
    assert capsys.readouterr().out == ("::error file=b%2C1.json,line=3,col=32::processing.batch_size: "
                                       "batch_size must be a positive integer (1 to 1000); got 0\n")
    write_config(LEGACY_AUTO)
    assert main(["migrate", "--check", "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"::error file={CONFIG},line=1,col=1::migration pending; run `codequery-gitcfg migrate`%0A- ")


def test_migrate_check_format_json(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config(LEGACY_AUTO)
    assert main(["migrate", "--check", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "fail"
    assert "successes" not in report  # check-jsonschema's -v key
    [error] = report["errors"]
    assert error["filename"] == CONFIG
    assert error["message"] == "migration pending; run `codequery-gitcfg migrate`"
    assert error["changes"]


def test_doctor_formats(repo: Path, write_config: Callable[..., Path], capsys: Capture,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('{\n  "dataset_name": ""\n}\n')
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CODEQUERY_MODLE", "x")
    assert main(["doctor", "--format", "github"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "::error::pre-commit hook: missing: run `codequery-gitcfg install`",
        "::error::post-merge hook: missing: run `codequery-gitcfg install`",
        "::error::post-rewrite hook: missing: run `codequery-gitcfg install`",
        f"::error file={CONFIG},line=2,col=19::dataset_name: dataset_name cannot be empty",
        "::warning::CODEQUERY_MODLE sets no config field and is ignored; did you mean CODEQUERY_MODEL?",
    ]
    assert main(["doctor", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "fail"
    assert report["hooks"]["post-checkout"]["ok"] is True
    assert report["fixes"][-1] == {"filename": CONFIG, "path": "$.dataset_name",
                                   "message": "dataset_name cannot be empty", "line": 2, "column": 19}
    assert report["warnings"] == ["CODEQUERY_MODLE sets no config field and is ignored; did you mean CODEQUERY_MODEL?"]
    assert main(["doctor"]) == 1
    assert ("environment: warning: CODEQUERY_MODLE sets no config field and is ignored; "
            "did you mean CODEQUERY_MODEL?\n") in capsys.readouterr().out


class _Stdin(io.TextIOWrapper):
    def fileno(self) -> int:
        raise io.UnsupportedOperation


def test_dash_reads_standard_input(in_repo: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    def feed(data: Any) -> None:
        raw = (data if isinstance(data, str) else json.dumps(data)).encode()
        monkeypatch.setattr("sys.stdin", _Stdin(io.BytesIO(raw)))

    feed(VALID)
    assert main(["validate", "-"]) == 0
    feed('{"dataset_name": "x",}')
    assert main(["validate", "-"]) == 1
    assert capsys.readouterr().err == ("<stdin>:1:21: Invalid JSON in config file: trailing comma "
                                       "(JSON allows none before } or ])\n")
    feed(LEGACY_AUTO)
    assert main(["validate", "-"]) == 1
    assert "run `codequery-gitcfg migrate -` to fix it" in capsys.readouterr().err
    feed(LEGACY_AUTO)
    assert main(["migrate", "-"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "project",
                               "model": "claude-3-5-sonnet-20240620", "processing": {"mode": "auto"}}
    assert err.startswith(f"<stdin>: migrated to {CURRENT_VERSION_NAME}:\n")
    feed(LEGACY_AUTO)
    assert main(["show", "--effective", "--origin", "-"]) == 0
    assert 'processing.mode = "auto"    (<stdin>:1 (from auto_process))\n' in capsys.readouterr().out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_and_never_with_no_color() -> None:
    assert report.colour_wanted(_Tty(), {}) is True
    assert report.colour_wanted(_Tty(), {"NO_COLOR": "1"}) is False
    assert report.colour_wanted(io.StringIO(), {}) is False
    from codequery_gitcfg.core.errors import Problem

    line = report.TextOutput(colour=True).render(Problem("model", "bad", 3, 12), "c.json")
    assert line == "\x1b[1mc.json:3:12\x1b[0m: \x1b[31mmodel\x1b[0m: bad"
    assert report.TextOutput().render(Problem("model", "bad", 3, 12), "c.json") == "c.json:3:12: model: bad"


# -- messages -------------------------------------------------------------------------
def test_code_query_retry_keys_get_no_did_you_mean(in_repo: Path, write_config: Callable[..., Path],
                                                   capsys: Capture) -> None:
    write_config('{\n  "dataset_name": "x",\n  "processing": {"retry_attempts": 3, "retry_delay": 2},\n'
                 '  "retry_attempts": 3\n}\n')
    assert main(["validate"]) == 1
    assert capsys.readouterr().err == (  # in the order of the file
        f"{CONFIG}:3:36: processing.retry_attempts: unknown key 'retry_attempts'\n"
        f"{CONFIG}:3:54: processing.retry_delay: unknown key 'retry_delay'\n"
        f"{CONFIG}:4:21: retry_attempts: unknown key 'retry_attempts'\n")


# -- the pre-commit framework -----------------------------------------------------------
def test_under_the_framework_validate_names_the_fixer_hook(in_repo: Path, write_config: Callable[..., Path],
                                                          capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(LEGACY_AUTO)
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert main(["validate", CONFIG]) == 1
    assert capsys.readouterr().err == (
        f"{CONFIG}:1:1: pending migration to {CURRENT_VERSION_NAME} (legacy keys: auto_process); "
        f"run `pre-commit run codequery-config-migrate --files {CONFIG}` to fix it\n")


def test_framework_post_merge_acts_only_when_the_pull_touched_the_config(
        repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    path = write_config(LEGACY_AUTO)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "legacy config")
    git(repo, "update-ref", "ORIG_HEAD", "HEAD")
    (repo / "README").write_text("changed\n")
    git(repo, "commit", "-qam", "a pull that touched only README")
    before = path.read_bytes()
    assert hooks.run("post-merge", [], {**os.environ, "PRE_COMMIT": "1"}, str(repo)) == 0
    assert path.read_bytes() == before  # the framework would call this "files were modified"
    assert capsys.readouterr().err == ""
    git(repo, "update-ref", "ORIG_HEAD", "HEAD~2")  # this pull brought the config
    assert hooks.run("post-merge", [], {**os.environ, "PRE_COMMIT": "1"}, str(repo)) == 0
    assert json.loads(path.read_text())["processing"] == {"mode": "auto"}
    assert f"migrated .code-query/config.json to {CURRENT_VERSION_NAME} after the merge" in capsys.readouterr().err


def test_legacy_camel_fixture_is_what_the_origin_test_reads() -> None:
    assert json.loads(CAMEL_FILE) == LEGACY_CAMEL


def test_unknown_model_note_in_every_format(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config('{\n  "dataset_name": "x",\n  "model": "my-model"\n}\n')
    assert main(["validate", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok"
    assert report["notes"] == [{"filename": CONFIG, "path": "$.model",
                                "message": "'my-model' is not a known model name", "line": 3, "column": 12}]
    assert main(["validate", "--format", "github"]) == 0
    assert capsys.readouterr().out == (f"::notice file={CONFIG},line=3,col=12::model: "
                                       "'my-model' is not a known model name\n")
