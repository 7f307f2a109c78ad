"""Framework-only users register the merge driver and run doctor through the framework's own
environment (issue 21, row 2; README: "The pre-commit framework"): no second install, and
`codequery-gitcfg` is not on PATH. Builds the framework's environment, hence slow."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.hooks import CONFIG, bare_path, commit_skipping_hooks, project_snapshot
from support.readme import HOOKS_FILE, block
from support.repos import VALID, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_snapshot(tmp_path_factory.mktemp("hook-repo"))


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The framework, but not our console script, on PATH: a user who installed pre-commit only.
    env = {**os.environ, "PATH": bare_path()}
    assert shutil.which("codequery-gitcfg", path=env["PATH"]) is None
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


def test_the_manual_ids_are_declared_for_the_manual_stage() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS_FILE.read_text())}
    for hook_id, entry in (("codequery-config-merge-driver", "codequery-gitcfg install --merge-driver-only"),
                           ("codequery-config-doctor", "codequery-gitcfg doctor")):
        assert hooks[hook_id]["stages"] == ["manual"]
        assert hooks[hook_id]["entry"] == entry
        assert hooks[hook_id]["always_run"] is True and hooks[hook_id]["pass_filenames"] is False
    said = block("sh", "--hook-stage manual")
    assert "pre-commit run codequery-config-merge-driver --hook-stage manual" in said
    assert "pre-commit run codequery-config-doctor --hook-stage manual" in said
    assert "codequery-gitcfg install --merge-driver-only" not in said


def test_register_the_merge_driver_and_run_doctor_through_the_framework(repo: Path, hook_repo: Path,
                                                                       write_config: object) -> None:
    rev = git(hook_repo, "rev-parse", "HEAD").stdout.strip()
    snippet = block("yaml", "repo: /path/to/codequery-gitcfg")
    (repo / ".pre-commit-config.yaml").write_text(
        snippet.replace("/path/to/codequery-gitcfg", str(hook_repo)).replace("rev: COMMIT", f"rev: {rev}"))
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text(json.dumps(VALID, indent=2) + "\n")
    commit_skipping_hooks(repo, "config and pre-commit config", CONFIG, ".pre-commit-config.yaml")
    proc = pre_commit(repo, "install", "--hook-type", "pre-commit", "--hook-type", "post-merge",
                      "--hook-type", "post-rewrite", "--install-hooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # Before: doctor (run by the framework) says the driver is missing and names the framework's command.
    proc = pre_commit(repo, "run", "codequery-config-doctor", "--hook-stage", "manual")
    out = proc.stdout
    assert "pre-commit run codequery-config-merge-driver --hook-stage manual` registers it" in out, out
    assert "the pre-commit framework's hook, which runs codequery-config-migrate" in out

    proc = pre_commit(repo, "run", "codequery-config-merge-driver", "--hook-stage", "manual")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "merge driver: registered" in proc.stdout
    command = git(repo, "config", "--get", "merge.codequery-config.driver").stdout
    python = command.split("'")[1]
    assert os.access(python, os.X_OK) and str(Path(sys.executable).parent) not in python  # the framework's env
    assert f"{CONFIG} merge=codequery-config" in (repo / ".git" / "info" / "attributes").read_text()

    proc = pre_commit(repo, "run", "codequery-config-doctor", "--hook-stage", "manual")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "merge driver     ok  registered; runs" in proc.stdout
    assert "doctor: 2 things to fix" not in proc.stdout and "doctor: all good" in proc.stdout

    # The registered driver merges, from a PATH without our script.
    git(repo, "checkout", "-qb", "theirs")
    (repo / CONFIG).write_text(json.dumps({**VALID, "model": "sonnet"}, indent=2) + "\n")
    commit_skipping_hooks(repo, "theirs")
    git(repo, "checkout", "-q", "main")
    (repo / CONFIG).write_text(json.dumps({**VALID, "processing": {"mode": "auto"}}, indent=2) + "\n")
    commit_skipping_hooks(repo, "ours")
    proc = subprocess.run(["git", "merge", "-q", "--no-edit", "--no-verify", "theirs"], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, "PATH": bare_path()})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = json.loads((repo / CONFIG).read_text())
    assert merged["model"] == "sonnet" and merged["processing"] == {"mode": "auto"}
