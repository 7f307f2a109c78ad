"""What the post-* hooks say when the worktree is not as Code Query lays it out (issue 22,
row 8): a user-facing message, never the wording kept for our own bugs ("failed
unexpectedly"), and the hooks still never fail git."""
from __future__ import annotations

from pathlib import Path

import pytest

from support.hooks import CONFIG, install, run_git
from support.repos import VALID, git


@pytest.fixture
def file_branch(repo: Path, write_config: object) -> Path:
    """main holds the config; branch ``flat`` replaces the folder .code-query with a file."""
    assert callable(write_config)
    write_config(VALID)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "config")
    install(repo)
    git(repo, "checkout", "-qb", "flat")
    git(repo, "rm", "-rq", ".code-query")
    (repo / ".code-query").write_text("a file where the folder should be\n")
    git(repo, "add", ".code-query")
    git(repo, "commit", "-qm", "flat", "--no-verify")
    git(repo, "checkout", "-q", "main")
    return repo


def assert_told(stderr: str, hook: str) -> None:
    assert "failed unexpectedly" not in stderr
    assert "NotADirectoryError" not in stderr and "Traceback" not in stderr
    assert ".code-query is not a folder" in stderr, stderr
    assert f"the {hook} hook" in stderr


def test_post_checkout_says_that_code_query_is_not_a_folder(file_branch: Path) -> None:
    proc = run_git(file_branch, "checkout", "flat")
    assert proc.returncode == 0
    assert_told(proc.stderr, "post-checkout")
    assert (file_branch / ".code-query").is_file()  # left as git made it


def test_post_merge_says_that_code_query_is_not_a_folder(file_branch: Path) -> None:
    proc = run_git(file_branch, "merge", "-q", "flat")
    assert proc.returncode == 0
    assert_told(proc.stderr, "post-merge")
    assert (file_branch / ".code-query").read_text() == "a file where the folder should be\n"
