"""post-merge and post-rewrite through real pulls from a bare origin."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Tuple

from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME

from support.hooks import CONFIG, cli, commit_skipping_hooks, run_git, status
from support.repos import LEGACY_CAMEL, git

# `clones` (tests/conftest.py): mine, with our hooks; theirs, a teammate without hooks.


def push(theirs: Path, content: Any, message: str = "teammate's config") -> bytes:
    target = theirs / CONFIG
    target.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")
    commit_skipping_hooks(theirs, message)
    git(theirs, "push", "-q", "origin", "main")
    return target.read_bytes()


def local_commit(mine: Path) -> None:
    (mine / "mine.txt").write_text("local work\n")
    git(mine, "add", "mine.txt")
    run_git(mine, "commit", "-qm", "local work")


def assert_migrated_in_worktree(mine: Path, said: str) -> None:
    data = json.loads((mine / CONFIG).read_text())
    assert data["schema_version"] == CURRENT_SCHEMA_VERSION and data["dataset_name"] == "project" and "datasetName" not in data
    assert f"migrated {CONFIG} to {CURRENT_VERSION_NAME}" in said and "commit it" in said
    assert status(mine) == f" M {CONFIG}\n"


def test_pull_merge_migrates_a_pulled_legacy_file(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    push(theirs, LEGACY_CAMEL)
    local_commit(mine)  # a real merge, not a fast-forward
    proc = run_git(mine, "pull", "-q", "--no-rebase", "--no-edit")
    assert_migrated_in_worktree(mine, proc.stderr)
    assert "after the merge" in proc.stderr


def test_pull_fast_forward_migrates_a_pulled_legacy_file(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    push(theirs, LEGACY_CAMEL)
    proc = run_git(mine, "pull", "-q", "--ff-only")
    assert_migrated_in_worktree(mine, proc.stderr)


def test_pull_rebase_migrates_through_post_rewrite(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    push(theirs, LEGACY_CAMEL)
    local_commit(mine)  # something to replay: a real rebase, which runs post-rewrite, not post-merge
    proc = run_git(mine, "pull", "-q", "--rebase")
    assert_migrated_in_worktree(mine, proc.stderr)
    assert "after the rebase" in proc.stderr
    assert "old schema" not in proc.stderr  # post-checkout keeps quiet while the rebase runs
    assert git(mine, "log", "-1", "--format=%s").stdout.strip() == "local work"


def test_pull_rebase_fast_forward_migrates_too(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    push(theirs, LEGACY_CAMEL)
    proc = run_git(mine, "pull", "-q", "--rebase")  # git fast-forwards: post-merge runs
    assert_migrated_in_worktree(mine, proc.stderr)


def test_pull_bringing_an_invalid_file_warns_and_touches_nothing(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    pushed = push(theirs, {"datasetName": "project", "processing": {"batch_size": "5"}})
    proc = run_git(mine, "pull", "-q", "--ff-only")
    assert proc.returncode == 0
    assert "warning" in proc.stderr and "not valid; left untouched" in proc.stderr
    assert "processing.batch_size" in proc.stderr
    assert (mine / CONFIG).read_bytes() == pushed
    assert status(mine) == ""


def test_pull_bringing_conflict_markers_warns_and_touches_nothing(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    pushed = push(theirs, '{\n<<<<<<< HEAD\n  "datasetName": "a"\n=======\n  "datasetName": "b"\n>>>>>>> x\n}\n')
    proc = run_git(mine, "pull", "-q", "--rebase")
    assert "merge conflict" in proc.stderr and "left untouched" in proc.stderr
    assert (mine / CONFIG).read_bytes() == pushed


def test_pull_that_does_not_touch_the_config_says_nothing(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones
    (theirs / "other.txt").write_text("x\n")
    commit_skipping_hooks(theirs, "other", "other.txt")
    git(theirs, "push", "-q", "origin", "main")
    proc = run_git(mine, "pull", "-q", "--ff-only")
    assert proc.stderr == ""


def test_post_hooks_never_fail(tmp_path: Path) -> None:
    # Outside any repository: the hook cannot even find the worktree.
    for argv in (["post-merge", "0"], ["post-rewrite", "rebase"], ["post-checkout", "a", "b", "1"]):
        code, _, err = cli(tmp_path, "hook", *argv)
        assert code == 0
        assert "warning" in err


def test_post_rewrite_after_amend_does_nothing(repo: Path) -> None:
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text(json.dumps(LEGACY_CAMEL))
    code, _, err = cli(repo, "hook", "post-rewrite", "amend")
    assert (code, err) == (0, "")
    assert json.loads((repo / CONFIG).read_text()) == LEGACY_CAMEL


def test_checkout_of_a_legacy_branch_only_warns(clones: Tuple[Path, Path]) -> None:
    mine, _ = clones
    git(mine, "checkout", "-qb", "old")
    (mine / CONFIG).write_text(json.dumps(LEGACY_CAMEL, indent=2) + "\n")
    commit_skipping_hooks(mine, "legacy")
    git(mine, "checkout", "-q", "main")
    proc = run_git(mine, "checkout", "-q", "old")
    assert "uses an old schema" in proc.stderr and "codequery-gitcfg migrate" in proc.stderr
    assert json.loads((mine / CONFIG).read_text()) == LEGACY_CAMEL
    assert status(mine) == ""
