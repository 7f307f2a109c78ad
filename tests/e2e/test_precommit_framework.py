"""The hooks of .pre-commit-hooks.yaml through the real pre-commit framework.

Each run builds the framework's virtual environment from a snapshot of this
project (pip, with dependencies from the package index), hence slow.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME

from support.hooks import CONFIG, commit_skipping_hooks, git_env, project_snapshot, run_git, status
from support.readme import block
from support.repos import LEGACY_AUTO, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_snapshot(tmp_path_factory.mktemp("hook-repo"))


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **git_env()})


def try_repo(repo: Path, hook_repo: Path, hook_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    return pre_commit(repo, "try-repo", str(hook_repo), hook_id, *args)


def test_try_repo_all_three_ids(repo: Path, hook_repo: Path, write_config: Callable[..., Path]) -> None:
    target = write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    legacy = target.read_bytes()

    proc = try_repo(repo, hook_repo, "codequery-config-validate", "--files", CONFIG)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The framework's users may not have our console script on PATH: the fix named is the fixer hook.
    assert f"run `pre-commit run codequery-config-migrate --files {CONFIG}` to fix it" in proc.stdout
    assert target.read_bytes() == legacy  # never modifies

    proc = try_repo(repo, hook_repo, "codequery-config-migrate", "--files", CONFIG)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "files were modified by this hook" in proc.stdout
    assert json.loads(target.read_text())["processing"] == {"mode": "auto"}

    git(repo, "add", CONFIG)
    proc = pre_commit(repo, "try-repo", str(hook_repo), "--files", CONFIG)  # every id of the pre-commit stage
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("Passed") == 2

    write_config(LEGACY_AUTO)
    commit_skipping_hooks(repo, "legacy, as a pull would bring it")  # the framework stashes unstaged edits
    proc = try_repo(repo, hook_repo, "codequery-config-post-merge", "--hook-stage", "post-merge",
                    "--is-squash-merge", "0")
    # The framework labels any hook that changed a file "Failed"; git ignores post-merge's status.
    assert "files were modified by this hook" in proc.stdout, proc.stdout + proc.stderr
    assert f"migrated {CONFIG} to {CURRENT_VERSION_NAME} after the merge" in proc.stdout
    assert json.loads(target.read_text())["schema_version"] == CURRENT_SCHEMA_VERSION
    git(repo, "commit", "-qam", "migrated")
    proc = try_repo(repo, hook_repo, "codequery-config-post-merge", "--hook-stage", "post-rewrite",
                    "--rewrite-command", "rebase")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_try_repo_post_commit_names_a_commit_with_a_bad_config(repo: Path, hook_repo: Path,
                                                               write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "bad name!"})
    commit_skipping_hooks(repo, "cherry-picked, say")
    proc = try_repo(repo, hook_repo, "codequery-config-post-commit", "--hook-stage", "post-commit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    short = git(repo, "log", "-1", "--format=%h").stdout.strip()
    assert (f"codequery-gitcfg: warning: commit {short} (cherry-picked, say) carries a {CONFIG} that is not valid"
            in proc.stdout), proc.stdout + proc.stderr


def test_installed_framework_on_commit_and_pull(repo: Path, hook_repo: Path, tmp_path: Path) -> None:
    """The README's configuration, installed with `pre-commit install`, through real commits and pulls."""
    rev = git(hook_repo, "rev-parse", "HEAD").stdout.strip()
    snippet = block("yaml", "repo: /path/to/codequery-gitcfg")
    (repo / ".pre-commit-config.yaml").write_text(
        snippet.replace("/path/to/codequery-gitcfg", str(hook_repo)).replace("rev: COMMIT", f"rev: {rev}"))
    commit_skipping_hooks(repo, "pre-commit config", ".pre-commit-config.yaml")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for clone in (mine, theirs):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    proc = pre_commit(mine, "install", "--hook-type", "pre-commit", "--hook-type", "post-merge",
                      "--hook-type", "post-rewrite", "--install-hooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # commit: the fixer migrates and fails; staging its result lets the commit through
    (mine / ".code-query").mkdir()
    (mine / CONFIG).write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(mine, "add", CONFIG)
    proc = run_git(mine, "commit", "-qm", "legacy", check=False)
    assert proc.returncode != 0 and "files were modified by this hook" in proc.stderr
    git(mine, "add", CONFIG)
    run_git(mine, "commit", "-qm", "migrated")
    assert json.loads(git(mine, "show", f"HEAD:{CONFIG}").stdout)["processing"] == {"mode": "auto"}
    run_git(mine, "push", "-q", "origin", "main")

    # pull (merge, then rebase): the post-merge id migrates what a teammate without hooks pushed
    for legacy, pull in ((LEGACY_AUTO, "--no-rebase"), ({**LEGACY_AUTO, "auto_process": False}, "--rebase")):
        run_git(theirs, "pull", "-q", "--ff-only")
        (theirs / CONFIG).write_text(json.dumps(legacy, indent=2) + "\n")
        commit_skipping_hooks(theirs, "teammate's legacy config")
        git(theirs, "push", "-q", "origin", "main")
        (mine / f"local{pull}.txt").write_text("local\n")
        git(mine, "add", f"local{pull}.txt")
        run_git(mine, "commit", "-qm", "local work")
        proc = run_git(mine, "pull", "-q", pull, "--no-edit")
        event = "merge" if pull == "--no-rebase" else "rebase"
        said = proc.stdout + proc.stderr
        assert f"migrated {CONFIG} to {CURRENT_VERSION_NAME} after the {event}" in said, said
        assert status(mine) == f" M {CONFIG}\n"
        git(mine, "commit", "-qam", "migrate the pulled config", "--no-verify")
        run_git(mine, "push", "-q", "origin", "main")
    assert json.loads((mine / CONFIG).read_text()) == {
        "schema_version": 2, "dataset_name": "project", "model": LEGACY_AUTO["model"], "processing": {"mode": "manual"}}

    # A pull that does not touch the config: the post-merge hook stays out of it, even with a
    # legacy file in the working tree (the framework would call a rewrite "Failed").
    (mine / CONFIG).write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(mine, "commit", "-qam", "legacy again", "--no-verify")
    run_git(theirs, "pull", "-q", "--ff-only")
    (theirs / "README").write_text("only the README\n")
    git(theirs, "commit", "-qam", "readme")
    git(theirs, "push", "-q", "origin", "main")
    proc = run_git(mine, "pull", "-q", "--no-rebase", "--no-edit")
    said = proc.stdout + proc.stderr
    assert "files were modified" not in said and "migrated" not in said, said
    assert status(mine) == ""
