"""pre-commit through real ``git commit`` runs: the staged blob is judged and migrated."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME

from support.hooks import CONFIG, cli, commit_skipping_hooks, committed, install, run_git, staged, status
from support.repos import LEGACY_AUTO, LEGACY_CAMEL, VALID, git


@pytest.fixture
def hooked(repo: Path) -> Path:
    install(repo)
    return repo


def assert_migrated(data: Any, dataset: str = "project") -> None:
    """Migrated, expanded: the current keys added, each legacy key that a deployed reader
    still uses kept beside its twin and equal to it; the dataset resolves the same for both."""
    assert data["schema_version"] == CURRENT_SCHEMA_VERSION
    assert data["dataset_name"] == dataset
    assert "processing" in data
    assert not {"auto_process", "version"} & set(data)
    assert (data.get("mainDatasetName") or data.get("datasetName", dataset)) == dataset  # jq's resolution
    assert not ("mainDatasetName" in data and "datasetName" in data)
    for alias, twin in (("excludePatterns", "exclude_patterns"), ("createdAt", "created_at")):
        if alias in data:
            assert data[alias] == data[twin]


def test_commit_of_a_legacy_file_carries_the_migrated_file(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_CAMEL)
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "add config")
    assert "migrated the staged .code-query/config.json" in proc.stderr
    data = committed(hooked)
    assert_migrated(data)
    assert data["worktree"] == {"is_worktree": True, "branch": "feature", "main_dataset_name": "project"}
    assert status(hooked) == ""
    # the working-tree file is the committed one, byte for byte
    assert (hooked / CONFIG).read_text() == git(hooked, "show", f"HEAD:{CONFIG}").stdout


def test_commit_keeps_the_style_of_the_staged_file(hooked: Path, write_config: Callable[..., Path]) -> None:
    text = json.dumps(LEGACY_AUTO, indent=4).replace("\n", "\r\n") + "\r\n"
    write_config(text.encode())
    git(hooked, "add", CONFIG)
    run_git(hooked, "commit", "-qm", "crlf")
    blob = subprocess.run(["git", "cat-file", "blob", f"HEAD:{CONFIG}"], cwd=hooked, capture_output=True).stdout
    assert b'\r\n    "processing": {\r\n        "mode": "auto"\r\n    }\r\n}\r\n' in blob
    assert status(hooked) == ""


def test_commit_all_migrates_through_the_temporary_index(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    commit_skipping_hooks(hooked, "valid config")
    write_config(LEGACY_AUTO)  # tracked, modified, not staged: `commit -a` stages it
    run_git(hooked, "commit", "-qam", "legacy edit")
    data = committed(hooked)
    assert_migrated(data)
    assert data["processing"] == {"mode": "auto"}
    assert status(hooked) == ""


def test_commit_only_path_keeps_other_staged_files_staged(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    commit_skipping_hooks(hooked, "valid config")
    (hooked / "other.txt").write_text("staged, not committed\n")
    git(hooked, "add", "other.txt")
    write_config(LEGACY_AUTO)
    run_git(hooked, "commit", "-qm", "only the config", "--", CONFIG)
    assert_migrated(committed(hooked))
    assert git(hooked, "ls-tree", "--name-only", "HEAD").stdout.split() == [".code-query", "README"]
    # The real index got the migrated entry too: the config is clean, other.txt still staged.
    assert status(hooked) == "A  other.txt\n"


def test_partial_staging_migrates_both_and_keeps_unstaged_edits(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    git(hooked, "add", CONFIG)
    write_config({**LEGACY_AUTO, "exclude_patterns": ["dist/*"]})  # an unstaged edit, still legacy
    proc = run_git(hooked, "commit", "-qm", "partial")
    assert "working-tree file was migrated too" in proc.stderr
    head = committed(hooked)
    assert_migrated(head)
    assert "exclude_patterns" not in head
    worktree = json.loads((hooked / CONFIG).read_text())
    assert_migrated(worktree)
    assert worktree["exclude_patterns"] == ["dist/*"]
    assert status(hooked) == " M .code-query/config.json\n"
    diff = git(hooked, "diff", "--", CONFIG).stdout
    changed = [line for line in diff.splitlines()[4:] if line[:1] in "+-"]
    assert changed == ["-  }", "+  },", '+  "exclude_patterns": [', '+    "dist/*"', "+  ]"]  # only the unstaged edit


def test_partial_staging_with_a_hand_migrated_working_tree_only_migrates_the_index(
        hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    git(hooked, "add", CONFIG)
    manual = {"dataset_name": "project", "processing": {"mode": "auto"}, "model": "claude-3-5-sonnet-20240620"}
    target = write_config(manual)
    before = target.read_bytes()
    run_git(hooked, "commit", "-qm", "partial")
    assert_migrated(committed(hooked))
    assert target.read_bytes() == before


def test_partial_staging_refuses_when_unstaged_edits_cannot_be_migrated(
        hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    git(hooked, "add", CONFIG)
    blob = staged(hooked)
    half_done = '{\n  "dataset_name": "project",\n  "auto_process": tru\n'
    target = write_config(half_done)
    proc = run_git(hooked, "commit", "-qm", "partial", check=False)
    assert proc.returncode == 1
    assert "unstaged edits" in proc.stderr and f"git diff {CONFIG}" in proc.stderr
    assert target.read_text() == half_done
    assert staged(hooked) == blob
    assert git(hooked, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_merge_squash_then_commit(hooked: Path, write_config: Callable[..., Path]) -> None:
    git(hooked, "checkout", "-qb", "feature")
    write_config(LEGACY_CAMEL)
    commit_skipping_hooks(hooked, "legacy on a branch")
    git(hooked, "checkout", "-q", "main")
    merged = run_git(hooked, "merge", "--squash", "feature")
    assert "migrated .code-query/config.json" in merged.stderr  # post-merge, in the working tree
    run_git(hooked, "commit", "-qm", "squashed")
    assert_migrated(committed(hooked))
    assert status(hooked) == ""


def test_invalid_staged_file_blocks_even_with_a_valid_working_tree(
        hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "project", "processing": {"batch_size": 0}})
    git(hooked, "add", CONFIG)
    write_config(VALID)
    proc = run_git(hooked, "commit", "-qm", "bad", check=False)
    assert proc.returncode == 1
    assert ".code-query/config.json:4:" in proc.stderr
    assert "processing.batch_size: batch_size must be a positive integer" in proc.stderr
    assert f"git show :{CONFIG}" in proc.stderr  # the positions are the staged file's
    assert git(hooked, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_invalid_json_staged_blocks_with_position(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config('{\n  "dataset_name": "project",\n}\n')
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "bad", check=False)
    assert proc.returncode == 1
    assert (".code-query/config.json:2:28: Invalid JSON in config file: trailing comma (JSON allows none before } or ])"
            in proc.stderr)


def test_legacy_file_whose_migration_is_invalid_blocks(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config({"datasetName": "bad name!", "version": "1.0"})
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "bad", check=False)
    assert proc.returncode == 1
    assert "dataset_name" in proc.stderr and "not migrated" in proc.stderr
    assert json.loads(staged(hooked))["datasetName"] == "bad name!"


def test_invalid_unstaged_edits_do_not_block(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    git(hooked, "add", CONFIG)
    write_config("{ not json")
    run_git(hooked, "commit", "-qm", "valid staged")
    assert committed(hooked) == VALID
    (hooked / "notes.txt").write_text("x\n")
    git(hooked, "add", "notes.txt")
    run_git(hooked, "commit", "-qm", "config not staged")
    assert (hooked / CONFIG).read_text() == "{ not json"


def test_staged_deletion_is_not_checked(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    commit_skipping_hooks(hooked, "legacy")
    git(hooked, "rm", "-q", CONFIG)
    run_git(hooked, "commit", "-qm", "drop the config")
    assert status(hooked) == ""


def test_skip_variable_skips_the_hook(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "skipped", CODEQUERY_GITCFG_SKIP="1")
    assert proc.stderr == ""
    assert committed(hooked) == LEGACY_AUTO


def test_symlink_out_of_the_worktree_is_refused(hooked: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(VALID))
    (hooked / ".code-query").mkdir()
    os.symlink(outside, hooked / CONFIG)
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "link", check=False)
    assert proc.returncode == 1
    assert "outside the worktree" in proc.stderr


def test_symlink_inside_the_worktree_is_judged_by_its_target(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO, "shared/config.json")
    (hooked / ".code-query").mkdir()
    os.symlink("../shared/config.json", hooked / CONFIG)
    git(hooked, "add", CONFIG)
    proc = run_git(hooked, "commit", "-qm", "link", check=False)
    # The commit would carry a link to nothing (issue 12, item 14).
    assert proc.returncode == 1
    assert ("is a symlink to shared/config.json, which this commit does not contain; "
            "`git add shared/config.json` (or remove the link)") in proc.stderr
    git(hooked, "add", "shared/config.json")
    proc = run_git(hooked, "commit", "-qm", "link", check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"migrated the staged shared/config.json to {CURRENT_VERSION_NAME}" in proc.stderr
    assert json.loads(git(hooked, "show", "HEAD:shared/config.json").stdout)["processing"] == {"mode": "auto"}


def test_hook_started_by_hand_from_a_subfolder(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    (repo / "sub" / "deeper").mkdir(parents=True)
    code, _, err = cli(repo / "sub" / "deeper", "hook", "pre-commit")
    assert code == 0, err
    assert json.loads(staged(repo))["processing"] == {"mode": "auto"}
    assert status(repo) == "A  .code-query/config.json\n"
