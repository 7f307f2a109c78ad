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
        # Only the success line may be said on stderr (migrate's report goes there).
        assert code == 0 and all(said.startswith("ok -- ") for said in err.splitlines()), \
            f"README: `{line}` exited {code}: {err}"
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


def _set_up(containing: str) -> str:
    command = block("sh", containing).strip()
    assert "/path/to/your/repo" in command and "/path/to/codequery-gitcfg" in command
    assert "codequery-gitcfg init && codequery-gitcfg install" in command
    return command


def test_set_up_says_first_to_install_outside_the_checkout() -> None:
    """Everyday installs go to an environment of their own (a venv outside the checkout, which a
    fresh machine with only Python can make, or pipx), said before the editable one for working
    on the tool."""
    pipx, venv = _set_up("pipx install"), _set_up("python3 -m venv ~/")
    everyday = [b for b in blocks("sh") if "codequery-gitcfg init && codequery-gitcfg install" in b]
    assert everyday[:2] == [venv + "\n", pipx + "\n"]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert readme.index(venv) < readme.index(pipx) < readme.index('pip install -e ".[test]"')
    assert " .venv" not in pipx + venv and "-e " not in pipx + venv  # nothing inside the checkout, nothing editable


@pytest.mark.slow
@pytest.mark.parametrize("containing", ["python3 -m venv ~/", "pipx install"])
def test_set_up_command_works_verbatim_on_a_fresh_clone(repo: Path, tmp_path: Path, containing: str) -> None:
    """The README's set-up commands, run as written (HOME is a temporary folder) from
    outside a fresh copy of the project: the hooks run the new environment's Python."""
    command = _set_up(containing)
    env = {**os.environ, **git_env()}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env["PATH"]])  # python3, and pipx if there
    if containing.startswith("pipx") and subprocess.run(["bash", "-c", "command -v pipx"], env=env,
                                                          capture_output=True).returncode != 0:
        pytest.skip("pipx is not installed")
    env["PIPX_HOME"], env["PIPX_BIN_DIR"] = str(tmp_path / "pipx"), str(tmp_path / "pipx-bin")
    env["PATH"] = os.pathsep.join([env["PIPX_BIN_DIR"], env["PATH"]])
    clone = project_snapshot(tmp_path / "clone")
    script = (command.replace("/path/to/your/repo", shlex.quote(str(repo)))
              .replace("/path/to/codequery-gitcfg", shlex.quote(str(clone))))
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "doctor: all good" in proc.stdout
    assert (repo / ".code-query" / "config.json").exists()
    hook = (repo / ".git" / "hooks" / "pre-commit").read_text()
    assert str(clone) not in hook and str(Path(sys.executable).parent) not in hook  # its own environment
