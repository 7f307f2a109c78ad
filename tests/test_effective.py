"""effective_config(): the effective config of a worktree, found from a path or the current folder."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, effective_config

from support.repos import LEGACY_AUTO, VALID, git

# -- effective_config -------------------------------------------------------------------


def test_effective_config_from_a_subdirectory(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    (repo / "src" / "deep").mkdir(parents=True)
    config = effective_config(repo / "src" / "deep", environ={})
    assert config["dataset_name"] == "project" and config["processing"]["queue_timeout"] == 30

def test_effective_config_uses_cwd_by_default(in_repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    assert effective_config(environ={})["dataset_name"] == "project"

def test_effective_config_legacy_file_drives_auto_without_rewrite(repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(LEGACY_AUTO)
    before = path.read_bytes()
    assert effective_config(repo, environ={})["processing"]["mode"] == "auto"
    assert path.read_bytes() == before

def test_effective_config_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not inside a git worktree"):
        effective_config(tmp_path, environ={})

def test_effective_config_in_linked_worktree(repo: Path, write_config: Callable[..., Path], tmp_path: Path) -> None:
    write_config(VALID)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "c")
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature")
    config = effective_config(tmp_path / "wt", environ={})
    assert config["dataset_name"] == "project"
    m = ConfigManager(tmp_path / "wt" / ".code-query" / "config.json")
    assert "/.git/worktrees/wt/" in m.lock_path
