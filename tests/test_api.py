"""codequery_gitcfg.api: one public ConfigManager, the one the CLI and the hooks build too."""
from __future__ import annotations

from pathlib import Path

import codequery_gitcfg
from codequery_gitcfg.git import ops
from codequery_gitcfg.store import manager

from support.repos import git


def test_the_public_manager_is_the_one_every_caller_builds(tmp_path: Path) -> None:
    assert codequery_gitcfg.ConfigManager is manager.ConfigManager
    git(tmp_path, "init", "-q")
    config = tmp_path / ".code-query" / "config.json"
    config.parent.mkdir()
    config.write_text('{"dataset_name": "x"}\n')
    built = ops.Workspace(cwd=str(tmp_path)).open(str(config))
    assert type(built) is codequery_gitcfg.ConfigManager
    # Given no worktree, it asks the git layer (wired in by the API) where the file is.
    found = codequery_gitcfg.ConfigManager(config).worktree
    assert found is not None and found.root == str(tmp_path.resolve())
    assert manager.ConfigManager(config, finder=None).worktree is None
