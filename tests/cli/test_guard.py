"""Exit codes in one place: user errors are exit 1, a bug is exit 3 in one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.cli import guard
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.errors import EXIT_INTERNAL, ConfigError

from support.hooks import CONFIG, install, run_git


def _boom() -> int:
    raise RuntimeError("something broke")


def test_an_unexpected_exception_is_exit_3_in_one_line(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(guard.DEBUG_VAR, raising=False)
    assert guard.guarded(_boom) == EXIT_INTERNAL == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "internal error: RuntimeError: something broke" in err
    assert "CODEQUERY_GITCFG_DEBUG=1" in err and "Traceback" not in err


def test_the_traceback_only_with_the_debug_variable(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(guard.DEBUG_VAR, "1")
    assert guard.guarded(_boom) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: something broke" in err


def test_user_errors_stay_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    def user_error() -> int:
        raise ConfigError("bad value")

    assert guard.guarded(user_error) == 1
    assert capsys.readouterr().err == "bad value\n"


def test_a_missing_jsonschema_is_one_line_and_exit_3(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"dataset_name": "x", "processing": {"batch_size": 0}}))
    code = ("import sys; sys.modules['jsonschema'] = None\n"
            "from codequery_gitcfg.cli.main import main\n"
            f"sys.exit(main(['validate', {str(config)!r}]))")
    env = {k: v for k, v in os.environ.items() if k != guard.DEBUG_VAR}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "ModuleNotFoundError" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_malformed_staged_answer_is_ignored_and_git_asked(
        repo: Path, write_config: Callable[..., Path]) -> None:
    install(repo)
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    run_git(repo, "add", CONFIG)
    # The hook script hands Python git's answer; a garbled one must not crash the hook
    # (nor let an invalid file through): Python asks git itself.
    code = ("import sys\nfrom codequery_gitcfg.cli.hook import main\nsys.exit(main(['pre-commit']))")
    env = {**os.environ, "CODEQUERY_GITCFG_STAGED": "garbage\tline\n:1 2 3\t.code-query/config.json"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "batch_size must be a positive integer" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_main_is_guarded(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import codequery_gitcfg.cli.main as cli

    monkeypatch.setattr(cli, "schema_text", lambda: 1 / 0)
    assert main(["schema"]) == 3
    assert "internal error: ZeroDivisionError" in capsys.readouterr().err
