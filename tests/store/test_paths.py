"""store.paths: containment in the worktree."""
from __future__ import annotations

from pathlib import Path

import pytest
from codequery_gitcfg.core.errors import OutsideWorktreeError
from codequery_gitcfg.git.repo import worktree_by_gitpython
from codequery_gitcfg.store.paths import contain


@pytest.mark.parametrize("target", ["../outside.json", ".git/config", ".GIT/config"])
def test_contain_refuses(repo: Path, target: str) -> None:
    (repo.parent / "outside.json").write_text("{}")
    worktree = worktree_by_gitpython(str(repo))
    assert worktree is not None
    with pytest.raises(OutsideWorktreeError):
        contain(str(repo / target), worktree)
