"""The git layer: GitPython (API, CLI) and plain git (hot paths) must agree."""
from __future__ import annotations

import os
from pathlib import Path

from codequery_gitcfg.git.repo import worktree_by_gitpython, worktree_from_git
from codequery_gitcfg.store.paths import Worktree

from support.repos import git


def _both(start: Path, environ: dict[str, str]) -> tuple[Worktree | None, Worktree | None]:
    return worktree_by_gitpython(str(start), environ), worktree_from_git(str(start), environ)

def test_plain_repository_and_subfolder(repo: Path) -> None:
    (repo / "a" / "b").mkdir(parents=True)
    for start in (repo, repo / "a" / "b"):
        slow, fast = _both(start, {})
        assert slow == fast == Worktree(str(repo.resolve()), str((repo / ".git").resolve()),
                                        str((repo / ".git").resolve()))

def test_linked_worktree(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature")
    slow, fast = _both(tmp_path / "wt", {})
    assert slow == fast
    assert slow is not None and slow.git_dir.endswith(os.path.join(".git", "worktrees", "wt"))
    assert slow.common_dir == str((repo / ".git").resolve())

def test_git_dir_set_as_in_a_hook(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature")
    gitdir = str((repo / ".git" / "worktrees" / "wt").resolve())
    slow, fast = _both(tmp_path / "wt", {"GIT_DIR": gitdir})
    assert slow == fast and slow is not None and slow.root == str((tmp_path / "wt").resolve())

def test_outside_any_repository(tmp_path: Path) -> None:
    assert _both(tmp_path, {}) == (None, None)

def test_bare_repository_has_no_worktree(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "b.git")
    assert _both(tmp_path / "b.git", {}) == (None, None)
