"""The native pre-push hook (installed by ``install`` by default, README: "Native hooks"), and
the pre-commit framework's pre-push stage, through real ``git push`` to a local bare repository."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support.history import BAD_BATCH, BATCH_LINE, CONFIG, commit
from support.hooks import cli, git_env, install, project_snapshot, run_git
from support.readme import block
from support.repos import LEGACY_AUTO, VALID, git

REFUSED = f"codequery-gitcfg: push refused: 1 of the pushed commits carries a {CONFIG} that needs fixing:"


def ours(proc: subprocess.CompletedProcess[str]) -> List[str]:
    """Our hook's lines: ``codequery-gitcfg: ...`` and the findings under them."""
    return [line for line in proc.stderr.splitlines()
            if line.startswith("codequery-gitcfg:") or re.match(r"  [0-9a-f]{7,}:", line)]


def push(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_git(repo, "push", "origin", *args, check=False, **env)


@pytest.fixture
def origin(repo: Path, tmp_path: Path) -> Path:
    """A bare origin (no hooks of its own) that ``repo``, with our hooks installed, pushes to."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    out = install(repo)
    assert "pre-push: installed" in out
    return bare


def test_a_no_verify_commit_is_refused_at_push(repo: Path, origin: Path) -> None:
    bad = commit(repo, BAD_BATCH, "bad config")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert ours(proc) == [
        REFUSED,
        f"codequery-gitcfg: commit {bad} (bad config):",
        f"  {bad}:{CONFIG}:{BATCH_LINE}",
        "codequery-gitcfg: every commit counts, not only the last one: fix each commit named where it is "
        f"(`git rebase -i {bad}^`, mark each `edit`, fix the file, `git commit --amend -- {CONFIG}`, "
        "`git rebase --continue`), then push again",
    ]
    assert "error: failed to push some refs" in proc.stderr
    assert git(origin, "rev-parse", "main").stdout == git(repo, "rev-parse", "HEAD~1").stdout


def test_a_bad_commit_followed_by_its_fix_is_still_refused(repo: Path, origin: Path) -> None:
    commit(repo, VALID, "valid")
    bad = commit(repo, BAD_BATCH, "bad config")
    commit(repo, VALID, "fixed")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert ours(proc)[1:3] == [f"codequery-gitcfg: commit {bad} (bad config):", f"  {bad}:{CONFIG}:{BATCH_LINE}"]


def test_only_what_the_remote_lacks_is_checked(repo: Path, origin: Path) -> None:
    commit(repo, BAD_BATCH, "bad, already on the remote")
    assert run_git(repo, "push", "-q", "--no-verify", "origin", "main").returncode == 0
    commit(repo, VALID, "fixed")
    proc = push(repo, "main")
    assert (proc.returncode, ours(proc)) == (0, [])


def test_new_branch_tags_and_deletions_pass(repo: Path, origin: Path) -> None:
    commit(repo, VALID, "valid")
    assert push(repo, "main").returncode == 0
    git(repo, "checkout", "-qb", "feature")
    commit(repo, {**VALID, "model": "sonnet"}, "feature")
    proc = push(repo, "feature")
    assert (proc.returncode, ours(proc)) == (0, [])
    git(repo, "tag", "-a", "-m", "release", "v1")
    proc = push(repo, "v1")
    assert (proc.returncode, ours(proc)) == (0, [])
    proc = push(repo, "--delete", "feature")
    assert (proc.returncode, ours(proc)) == (0, [])


def test_a_branch_ending_at_a_legacy_config_is_refused(repo: Path, origin: Path) -> None:
    legacy = commit(repo, LEGACY_AUTO, "legacy")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert ours(proc)[1:3] == [
        f"codequery-gitcfg: refs/heads/main would end at commit {legacy} (legacy):",
        f"  {legacy}:{CONFIG}:1:1: pending migration to schema version 2 (legacy keys: auto_process); "
        "run `codequery-gitcfg migrate` to fix it",
    ]
    assert cli(repo, "migrate")[0] == 0
    git(repo, "commit", "-qam", "migrated")  # pre-commit passes (and remembers) the migrated file
    proc = push(repo, "main")
    assert (proc.returncode, ours(proc)) == (0, [])


def test_config_untouched_costs_one_git_call_and_no_python(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    worktree = worktree_by_gitpython(str(repo), os.environ)
    assert worktree is not None
    # A Python that does not exist: the push goes through only if the script never needs it.
    assert installer.install(worktree, ["pre-push"], str(tmp_path / "gone" / "python"), os.environ, driver=False) == 0
    trace = tmp_path / "trace.log"
    (repo / "other.txt").write_text("x\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "not the config")
    proc = push(repo, "main", GIT_TRACE=str(trace))
    assert proc.returncode == 0, proc.stderr
    # what git ran between starting the hook and packing the objects: the hook's git calls
    lines = trace.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "run_command: .git/hooks/pre-push" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "pack-objects" in line)
    calls = [line.split("trace: built-in: ", 1)[1] for line in lines[start:end] if "trace: built-in: " in line]
    assert len(calls) == 1 and calls[0].startswith("git rev-list -n 1 --full-history --ignore-missing "), calls
    commit(repo, BAD_BATCH, "bad config")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert f"codequery-gitcfg: push refused: the pushed commits change {CONFIG} and cannot be checked" in proc.stderr


def test_a_pre_push_hook_already_there_still_runs_with_git_s_lines(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text('#!/bin/sh\necho "$@" > .git/theirs.log\ncat >> .git/theirs.log\n')
    hook.chmod(0o755)
    install(repo)
    commit(repo, VALID, "valid")
    proc = push(repo, "main")
    assert proc.returncode == 0, proc.stderr
    sha = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert (repo / ".git" / "theirs.log").read_text() == (
        f"origin {bare}\nrefs/heads/main {sha} refs/heads/main {'0' * 40}\n")


def test_skip_variable_skips_it(repo: Path, origin: Path) -> None:
    commit(repo, BAD_BATCH, "bad config")
    proc = push(repo, "main", CODEQUERY_GITCFG_SKIP="1")
    assert (proc.returncode, ours(proc)) == (0, [])


@pytest.mark.slow
def test_the_framework_s_pre_push_stage_checks_the_pushed_commits(repo: Path, tmp_path: Path) -> None:
    """The real pre-commit framework: its pre-push stage refuses a bad commit that is pushed while
    the working tree is clean and valid (a later commit fixed the file)."""
    hook_repo = project_snapshot(tmp_path / "hook-repo")
    rev = git(hook_repo, "rev-parse", "HEAD").stdout.strip()
    import yaml

    # The README's hook entry, in a repo entry for a snapshot of this project.
    hooks = yaml.safe_load(textwrap.dedent(block("yaml", "stages: [pre-push]")))
    assert [hook["id"] for hook in hooks] == ["codequery-config-validate"]
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": hooks}]}))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-qm", "pre-commit config")
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    env = {**os.environ, **git_env()}
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push",
                           "--install-hooks"], cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = commit(repo, BAD_BATCH, "bad config")
    commit(repo, {**VALID, "model": "sonnet"}, "fixed")
    assert git(repo, "status", "--porcelain").stdout == ""
    proc = push(repo, "main")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"commit {bad} (bad config):\n{bad}:{CONFIG}:{BATCH_LINE}" in proc.stdout + proc.stderr
    commit(repo, VALID, "valid")
    git(repo, "reset", "-q", "--hard", "HEAD~3")
    commit(repo, VALID, "valid at once")
    proc = push(repo, "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_install_adds_pre_push_by_default_and_doctor_names_it(repo: Path) -> None:
    install(repo, "-t", "pre-commit", "-t", "post-merge", "-t", "post-rewrite")
    _, out, _ = cli(repo, "doctor")
    assert re.search(r"^  pre-push +ok  not installed \(optional: it checks the commits a push would add\)$", out, re.M)
    out = install(repo)
    assert "  pre-push: installed" in out.splitlines()
    assert re.search(r"^  pre-push +ok  ours, current; runs ", cli(repo, "doctor")[1], re.M)
