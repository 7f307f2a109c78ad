"""``repo.worktree_of``: the worktree for a new process without GitPython, and without starting
git at all in the plain layout. Its answer must be git's in every case (issue 13)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional

import pytest
from codequery_gitcfg.core.errors import GitError
from codequery_gitcfg.git import repo as repo_mod
from codequery_gitcfg.git.repo import _from_files, worktree_by_gitpython, worktree_from_git, worktree_of
from codequery_gitcfg.store.paths import Worktree

from support.repos import git


def env(**extra: str) -> Dict[str, str]:
    return {**os.environ, **extra}


def answers(start: Path, environ: Optional[Dict[str, str]] = None) -> tuple:  # type: ignore[type-arg]
    environ = env() if environ is None else environ
    repo_mod._located.clear()
    return worktree_of(str(start), environ), worktree_from_git(str(start), environ), worktree_by_gitpython(str(start), environ)


def test_the_plain_layout_is_read_from_the_file_system_and_agrees_with_git(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "a" / "b").mkdir(parents=True)
    calls = []
    real = repo_mod.worktree_from_git
    monkeypatch.setattr(repo_mod, "worktree_from_git", lambda *a: calls.append(a) or real(*a))
    expected = Worktree(str(repo.resolve()), str((repo / ".git").resolve()), str((repo / ".git").resolve()))
    for start in (repo, repo / "a" / "b"):
        fast, by_git, by_gitpython = answers(start)
        assert fast == by_git == by_gitpython == expected
    assert worktree_of(str(repo / "a" / "b" / "missing.json"), env()) == expected
    assert calls == []  # worktree_of never started git (the comparisons call their own)


def test_a_linked_worktree_is_asked_of_git(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature")
    assert _from_files(str(tmp_path / "wt"), env()) is None
    fast, by_git, by_gitpython = answers(tmp_path / "wt")
    assert fast == by_git == by_gitpython and fast is not None and fast.git_dir != fast.common_dir


@pytest.mark.parametrize("setting", [
    ("core.worktree", "{other}"), ("core.bare", "true"), ("include.path", "{other}/extra"),
])
def test_a_config_that_may_move_the_worktree_is_asked_of_git(repo: Path, tmp_path: Path,
                                                            setting: tuple) -> None:  # type: ignore[type-arg]
    other = tmp_path / "other"
    other.mkdir()
    git(repo, "config", setting[0], setting[1].format(other=other))
    assert _from_files(str(repo), env()) is None
    fast, by_git, _ = answers(repo)
    assert fast == by_git


@pytest.mark.parametrize("name", ["GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_PARAMETERS", "GIT_CEILING_DIRECTORIES"])
def test_git_variables_send_the_question_to_git(repo: Path, name: str) -> None:
    assert _from_files(str(repo), env(**{name: str(repo / ".git")})) is None


def test_a_repository_of_another_user_is_git_s_to_refuse(repo: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository away")
    os.chown(repo / ".git", 12345, 12345)
    os.chown(repo, 12345, 12345)
    assert _from_files(str(repo), env()) is None
    # git's reason is passed on (issue 12), not taken for "no repository here".
    repo_mod._located.clear()
    for ask in (worktree_of, worktree_from_git):
        with pytest.raises(GitError, match="git refuses this repository: detected dubious ownership"):
            ask(str(repo), env())


def test_from_inside_the_git_directory_or_a_symlinked_folder_the_repository_is_still_found(
        repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "a").mkdir(parents=True)
    (repo / "link").symlink_to(outside)
    for start in (repo / ".git" / "refs", repo / "link" / "a"):
        assert answers(start)[0] == Worktree(str(repo.resolve()), str((repo / ".git").resolve()),
                                             str((repo / ".git").resolve()))
