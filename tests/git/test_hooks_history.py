"""Checks where git offers a hook: pre-merge-commit, post-commit after cherry-pick / revert /
a rebase's commits, and autostash (post-merge, post-rewrite wait for the stash)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Tuple

import pytest
from codequery_gitcfg.core.migrate import CURRENT_VERSION_NAME

from support.hooks import CONFIG, cli, commit_skipping_hooks, install, run_git, status
from support.repos import LEGACY_AUTO, VALID, git


def write(repo: Path, content: Any) -> None:
    target = repo / CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")


def head(repo: Path) -> str:
    return git(repo, "log", "-1", "--format=%h").stdout.strip()


@pytest.fixture
def hooked(repo: Path) -> Path:
    write(repo, VALID)
    commit_skipping_hooks(repo, "valid config")
    install(repo)
    return repo


# -- pre-merge-commit -------------------------------------------------------------------
def test_pre_merge_commit_blocks_an_invalid_merge_result(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "side")
    write(hooked, {**VALID, "bach_size": 5})
    commit_skipping_hooks(hooked, "side: a typo")
    git(hooked, "checkout", "-q", "main")
    before = head(hooked)
    proc = run_git(hooked, "merge", "--no-ff", "--no-edit", "side", check=False)
    assert proc.returncode == 1
    assert f"codequery-gitcfg: commit stopped: the staged {CONFIG} is not valid:" in proc.stderr
    assert "bach_size" in proc.stderr
    assert f"codequery-gitcfg: fix it, `git add {CONFIG}` and commit again" in proc.stderr
    assert head(hooked) == before  # no merge commit
    assert (hooked / ".git" / "MERGE_HEAD").exists()


def test_pre_merge_commit_lets_a_valid_merge_through(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "side")
    write(hooked, {**VALID, "model": "sonnet"})
    commit_skipping_hooks(hooked, "side: model")
    git(hooked, "checkout", "-q", "main")
    proc = run_git(hooked, "merge", "--no-ff", "--no-edit", "side")
    assert "codequery-gitcfg" not in proc.stderr
    assert git(hooked, "log", "-1", "--format=%p").stdout.count(" ") == 1  # a merge commit


# -- post-commit: commits git makes without pre-commit ------------------------------------------
def side_commit(repo: Path, content: Any, message: str) -> str:
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, content)
    commit_skipping_hooks(repo, message)
    sha = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "main")
    return sha


def test_cherry_pick_of_an_invalid_config_is_named(hooked: Path) -> None:
    sha = side_commit(hooked, {"dataset_name": "bad name!"}, "teammate: rename")
    proc = run_git(hooked, "cherry-pick", sha)
    commit = head(hooked)
    assert (f"codequery-gitcfg: warning: commit {commit} (teammate: rename) carries a {CONFIG} that is not valid; "
            "git ran no pre-commit check for it:") in proc.stderr
    assert "dataset_name" in proc.stderr
    assert (f"codequery-gitcfg: fix it (`codequery-gitcfg validate` checks it), then `git commit --amend -- {CONFIG}` "
            "(or a new commit, once a cherry-pick, revert, rebase or am is done)") in proc.stderr


def test_revert_of_a_migration_is_named(repo: Path) -> None:
    write(repo, LEGACY_AUTO)
    commit_skipping_hooks(repo, "legacy config")
    install(repo)
    assert cli(repo, "migrate")[0] == 0
    run_git(repo, "commit", "-qam", "migrate the config")
    proc = run_git(repo, "revert", "--no-edit", "HEAD")
    assert (f'codequery-gitcfg: warning: commit {head(repo)} (Revert "migrate the config") carries a {CONFIG} '
            "in an old schema (legacy keys: auto_process)") in proc.stderr
    assert (f"codequery-gitcfg: migrate it with `codequery-gitcfg migrate`, then `git commit --amend -- {CONFIG}` "
            "(or a new commit, once a cherry-pick, revert, rebase or am is done)") in proc.stderr


def test_a_checked_commit_costs_no_second_check(hooked: Path) -> None:
    write(hooked, {**VALID, "model": "sonnet"})
    proc = run_git(hooked, "commit", "-qam", "model")
    assert proc.stderr == ""
    # what pre-commit passed, post-commit finds in the memo (an unparsable memo entry would warn)


def test_rebase_continue_after_a_conflict_names_an_invalid_commit(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "side")
    write(hooked, {**VALID, "processing": {"mode": "manual", "batch_size": 7}})
    commit_skipping_hooks(hooked, "side: batch 7")
    git(hooked, "checkout", "-q", "main")
    write(hooked, {**VALID, "processing": {"mode": "manual", "batch_size": 9}})
    commit_skipping_hooks(hooked, "main: batch 9")
    git(hooked, "checkout", "-q", "side")
    proc = run_git(hooked, "rebase", "main", check=False)
    assert proc.returncode == 1
    assert "at processing.batch_size: ours 9, theirs 7" in proc.stderr
    write(hooked, '{"dataset_name": "project",}\n')  # a bad resolution
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "rebase", "--continue", GIT_EDITOR="true")
    commit = head(hooked)
    # post-commit does nothing during a rebase; post-rewrite names the commit, once, at its end
    assert "git ran no pre-commit check for it:" not in proc.stderr
    assert (f"codequery-gitcfg: warning: after the rebase, 1 rewritten commit carries a {CONFIG} that is not valid "
            "or uses an old schema (git ran no pre-commit check for them):") in proc.stderr
    assert proc.stderr.count(f"commit {commit} (side: batch 7)") == 1
    assert "Invalid JSON in config file" in proc.stderr


def test_code_query_s_own_post_commit_hook_keeps_running(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text("#!/bin/sh\necho huey >> .git/huey-ran\n")
    hook.chmod(0o755)
    write(repo, VALID)
    commit_skipping_hooks(repo, "valid config")
    install(repo)
    sha = side_commit(repo, {"dataset_name": "bad name!"}, "bad")
    proc = run_git(repo, "cherry-pick", sha)
    assert "carries a" in proc.stderr
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    # the first commit, the side commit, the cherry-pick, the empty commit
    assert (repo / ".git" / "huey-ran").read_text() == "huey\n" * 4


# -- autostash ---------------------------------------------------------------------------
@pytest.fixture
def autostash_clones(clones: Tuple[Path, Path]) -> Tuple[Path, Path]:
    """(mine, with our hooks, a local commit and a dirty config; theirs, which pushes a legacy file)."""
    mine, theirs = clones
    write(theirs, {**VALID, "auto_process": False, "model": "sonnet"})
    commit_skipping_hooks(theirs, "teammate: legacy model")
    git(theirs, "push", "-q", "origin", "main")
    (mine / "mine.txt").write_text("local work\n")
    git(mine, "add", "mine.txt")
    run_git(mine, "commit", "-qm", "local work")
    return mine, theirs


WAITS = (f"codequery-gitcfg: {CONFIG} needs migrating to {CURRENT_VERSION_NAME}, but git has yet to re-apply your "
         "autostash: the migration waits, so that the stash applies cleanly; left untouched\n"
         "codequery-gitcfg: once git has put your changes back (`git stash pop` if it kept the stash), "
         f"run `codequery-gitcfg migrate` and commit {CONFIG}\n")


@pytest.mark.parametrize("how", [("pull", "--no-rebase", "--autostash", "--no-edit"),
                                 ("pull", "--rebase", "--autostash"),
                                 ("-c", "rebase.autoStash=true", "pull", "--rebase")],
                         ids=["pull --autostash", "pull --rebase --autostash", "rebase.autoStash"])
def test_the_migration_waits_for_the_autostash(autostash_clones: Tuple[Path, Path], how: Tuple[str, ...]) -> None:
    mine, _ = autostash_clones
    write(mine, '{\n  "dataset_name": "project",\n  "processing": {"mode": "manual", "batch_size": 3}\n}\n')
    proc = run_git(mine, *how)
    assert WAITS in proc.stderr
    assert "migrated" not in proc.stderr
    assert git(mine, "stash", "list").stdout == ""  # the stash came back
    data = json.loads((mine / CONFIG).read_text())
    assert data["processing"]["batch_size"] == 3
    assert data["model"] == "sonnet"
    code, _, err = cli(mine, "migrate")
    assert code == 0, err
    assert status(mine) == f" M {CONFIG}\n"
    assert cli(mine, "validate")[0] == 0


# -- the other ways a config enters the working tree ---------------------------------------
def legacy_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "old")
    write(repo, LEGACY_AUTO)
    commit_skipping_hooks(repo, "legacy")
    git(repo, "checkout", "-q", "main")


OLD_SCHEMA = (f"codequery-gitcfg: warning: {CONFIG} on this branch uses an old schema; "
              "`codequery-gitcfg migrate` migrates it (then commit it)\n")


def test_switch_to_a_legacy_branch_warns(hooked: Path) -> None:
    legacy_branch(hooked)
    proc = run_git(hooked, "switch", "-q", "old")
    assert proc.stderr == OLD_SCHEMA
    assert json.loads((hooked / CONFIG).read_text()) == LEGACY_AUTO


def test_worktree_add_of_a_legacy_branch_warns(hooked: Path, tmp_path: Path) -> None:
    legacy_branch(hooked)
    proc = run_git(hooked, "worktree", "add", "-q", str(tmp_path / "linked"), "old")
    assert OLD_SCHEMA in proc.stderr
    assert json.loads((tmp_path / "linked" / CONFIG).read_text()) == LEGACY_AUTO


def test_am_of_a_patch_carrying_an_invalid_config_is_named(hooked: Path, tmp_path: Path) -> None:
    sha = side_commit(hooked, {"dataset_name": "bad name!"}, "teammate: rename")
    git(hooked, "format-patch", "-q", "-1", sha, "-o", str(tmp_path / "patches"))
    proc = run_git(hooked, "am", "-q", *map(str, sorted((tmp_path / "patches").iterdir())))
    assert (f"codequery-gitcfg: warning: commit {head(hooked)} (teammate: rename) carries a {CONFIG} "
            "that is not valid; git ran no pre-commit check for it:") in proc.stderr


def test_a_rebase_that_only_fast_forwards_migrates_like_a_pull(repo: Path, tmp_path: Path) -> None:
    """`git fetch && git rebase origin/main` with no local commit: no post-rewrite, post-checkout acts."""
    write(repo, VALID)
    commit_skipping_hooks(repo, "valid config")
    mine = tmp_path / "mine"
    git(tmp_path, "clone", "-q", str(repo), str(mine))
    install(mine)
    write(repo, LEGACY_AUTO)
    commit_skipping_hooks(repo, "legacy")
    git(mine, "fetch", "-q")
    proc = run_git(mine, "rebase", "origin/main")
    assert f"codequery-gitcfg: migrated {CONFIG} to {CURRENT_VERSION_NAME} after the rebase:" in proc.stderr
    assert json.loads((mine / CONFIG).read_text())["processing"] == {"mode": "auto"}
    assert status(mine) == f" M {CONFIG}\n"
