"""The README's examples, run as written, so that they cannot rot."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Tuple

import pytest
import yaml
from codequery_gitcfg.cli.main import main

from support.hooks import git_env, project_snapshot
from support.readme import HOOKS_FILE, block, blocks
from support.repos import VALID


def run(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_command_examples_run(in_repo: Path) -> None:
    lines = block("sh", "codequery-gitcfg set processing.batch_size").strip().splitlines()
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "codequery-gitcfg"
        code, _, err = run(words[1:])
        assert (code, err) == (0, ""), f"README: `{line}` exited {code}: {err}"
    data = json.loads((in_repo / ".code-query" / "config.json").read_text())
    assert data["dataset_name"] == "my-project"
    assert data["exclude_patterns"] == ["dist/*", "*.min.js"]
    assert data["processing"] == {"mode": "auto"}  # set replaced the object; unset removed max_retries


def test_error_example_is_what_validate_prints(in_repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(block("json", '"modle"'))
    expected = next(b for b in blocks("") if "did you mean 'model'" in b)
    code, _, err = run(["validate"])
    assert code == 1
    assert err == expected


def test_python_api_example_runs(in_repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    exec(compile(block("python", "manager = ConfigManager("), "README.md", "exec"), {})
    assert json.loads((in_repo / ".code-query" / "config.json").read_text())["processing"]["mode"] == "auto"


@pytest.mark.parametrize("containing", ["repo: /path/to/codequery-gitcfg", "repo: local"])
def test_pre_commit_snippets_name_real_hooks(containing: str) -> None:
    ours = {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}
    config = yaml.safe_load(block("yaml", containing))
    [repo] = config["repos"]
    ids = [hook["id"] for hook in repo["hooks"]]
    assert set(ids) <= set(ours)
    assert not {"codequery-config-validate", "codequery-config-migrate"} <= set(ids)  # one of them, not both
    if repo["repo"] == "local":
        for hook in repo["hooks"]:
            for key in ("entry", "files"):
                assert hook[key] == ours[hook["id"]][key]
    else:
        assert "OWNER" not in repo["repo"]
        assert "placeholder" not in block("yaml", containing)


@pytest.mark.slow
def test_set_up_command_works_verbatim_on_a_fresh_clone(repo: Path, tmp_path: Path) -> None:
    """The README's first set-up command, run from a fresh copy of the project."""
    command = block("sh", "codequery-gitcfg init && codequery-gitcfg install").strip()
    assert "/path/to/your/repo" in command
    clone = project_snapshot(tmp_path / "clone")
    env = {**os.environ, **git_env()}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env["PATH"]])  # python3
    proc = subprocess.run(["bash", "-c", command.replace("/path/to/your/repo", shlex.quote(str(repo)))],
                          cwd=clone, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "doctor: all good" in proc.stdout
    assert (repo / ".code-query" / "config.json").exists()
