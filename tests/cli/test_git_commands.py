"""The ``hook`` command as the pre-commit framework and people call it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.core.migrate import CURRENT_VERSION_NAME

from support.hooks import CONFIG, cli
from support.repos import LEGACY_AUTO, VALID


def test_migrate_fixer_exits_1_when_it_rewrote(repo: Path, write_config: Callable[..., Path]) -> None:
    target = write_config(LEGACY_AUTO)
    code, out, err = cli(repo, "hook", "migrate", CONFIG)
    assert code == 1
    assert out == ""
    assert f"migrated to {CURRENT_VERSION_NAME}" in err
    assert json.loads(target.read_text())["processing"] == {"mode": "auto"}
    assert cli(repo, "hook", "migrate", CONFIG)[:2] == (0, "")  # nothing left to do


def test_migrate_fixer_fails_on_invalid_files_and_changes_nothing(repo: Path, write_config: Callable[..., Path]) -> None:
    target = write_config({"datasetName": "", "version": "1"})
    before = target.read_bytes()
    code, _, err = cli(repo, "hook", "migrate", CONFIG)
    assert code == 1 and "dataset_name" in err
    assert target.read_bytes() == before


def test_migrate_fixer_with_a_valid_file(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    assert cli(repo, "hook", "migrate", CONFIG) == (0, "", "")


def test_skip_variable_covers_every_hook_command(repo: Path, write_config: Callable[..., Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = write_config(LEGACY_AUTO)
    monkeypatch.setenv("CODEQUERY_GITCFG_SKIP", "1")
    for argv in (["migrate", CONFIG], ["post-merge", "0"], ["pre-commit"]):
        assert cli(repo, "hook", *argv) == (0, "", "")
    assert json.loads(target.read_text()) == LEGACY_AUTO


def test_unknown_hook_is_a_usage_error(repo: Path) -> None:
    code, _, err = cli(repo, "hook", "pre-rebase")
    assert code == 2 and "invalid choice" in err


def test_pre_commit_outside_a_repository_fails_cleanly(tmp_path: Path) -> None:
    code, _, err = cli(tmp_path, "hook", "pre-commit")
    assert code == 1
    assert "not a git repository" in err and "Traceback" not in err


def test_post_merge_started_by_hand_from_a_subfolder(repo: Path, write_config: Callable[..., Path]) -> None:
    target = write_config(LEGACY_AUTO)
    (repo / "sub").mkdir()
    code, _, err = cli(repo / "sub", "hook", "post-merge", "0")
    assert code == 0 and "migrated" in err
    assert json.loads(target.read_text())["processing"] == {"mode": "auto"}


def test_post_merge_refuses_a_config_outside_the_worktree(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(LEGACY_AUTO))
    (repo / ".code-query").mkdir()
    (repo / CONFIG).symlink_to(outside)
    code, _, err = cli(repo, "hook", "post-merge", "0")
    assert code == 0 and "warning" in err and "outside the worktree" in err
    assert json.loads(outside.read_text()) == LEGACY_AUTO
