"""Unit tests of the migration's pieces: each step's own report, the file form of the
expand phase (to_file) and the user-facing change report (describe)."""
from __future__ import annotations

from typing import Any, Dict

import pytest
from codequery_gitcfg import ConfigMigrator
from codequery_gitcfg.core.migrate import (
    describe,
    kept_aliases,
    migrate,
    mismatches,
    step,
    to_file,
    twin_value,
)


# -- each step of the table: the shape it produces (describe() is the one report of changes) ------
@pytest.mark.parametrize(("config", "expected", "changes"), [
    ({"datasetName": "a"}, {"dataset_name": "a", "auto_process": False},
     ["renamed datasetName to dataset_name", "added auto_process: false"]),
    ({"excludePatterns": ["x"], "dataset_name": "a"}, {"exclude_patterns": ["x"], "dataset_name": "a", "auto_process": False},
     ["renamed excludePatterns to exclude_patterns", "added auto_process: false"]),
    # the twin after the alias: the alias goes, and a different value is reported
    ({"datasetName": "a", "dataset_name": "b", "auto_process": True},
     {"dataset_name": "b", "auto_process": True}, ["dropped datasetName ('a'): dataset_name is already set"]),
    # the twin before the alias, equal: nothing to report
    ({"dataset_name": "a", "datasetName": "a", "auto_process": True},
     {"dataset_name": "a", "auto_process": True}, []),
    ({"mainDatasetName": "m", "datasetName": "d"}, {"dataset_name": "m", "auto_process": False},
     ["dropped datasetName ('d'): mainDatasetName wins", "renamed mainDatasetName to dataset_name",
      "added auto_process: false"]),
    ({"worktreeInfo": {"isWorktree": True, "datasetNote": "n"}, "version": "1.0", "auto_process": False},
     {"worktree": {"is_worktree": True}, "auto_process": False},
     ["renamed worktreeInfo to worktree", "dropped worktreeInfo.datasetNote (derived text)",
      "renamed worktree.isWorktree to worktree.is_worktree", "dropped version '1.0' (replaced by schema_version)"]),
    # worktreeInfo beside an equal worktree: dropped silently; a different one is reported
    ({"worktreeInfo": {"isWorktree": True}, "worktree": {"is_worktree": True}, "auto_process": True},
     {"worktree": {"is_worktree": True}, "auto_process": True}, []),
    ({"worktreeInfo": {"isWorktree": False}, "worktree": {"is_worktree": True}, "auto_process": True},
     {"worktree": {"is_worktree": True}, "auto_process": True},
     ["dropped worktreeInfo ({'isWorktree': False}): worktree is already set"]),
])
def test_v0_step(config: Dict[str, Any], expected: Dict[str, Any], changes: list[str]) -> None:
    assert step(0, config) == expected
    assert ConfigMigrator._migrate_v0_to_v1(config) == expected
    # The step reports nothing itself: whatever it changed, describe() says.
    assert describe(config, expected) or not changes


@pytest.mark.parametrize(("config", "expected", "changes"), [
    ({"auto_process": True, "dataset_name": "a"}, {"processing": {"mode": "auto"}, "dataset_name": "a"},
     ["moved auto_process: true to processing.mode 'auto'"]),
    ({"auto_process": False, "processing": {"batch_size": 2}}, {"processing": {"batch_size": 2, "mode": "manual"}},
     ["moved auto_process: false to processing.mode 'manual'"]),
    ({"auto_process": True, "processing": {"mode": "manual"}}, {"processing": {"mode": "manual"}},
     ["removed auto_process: true; kept processing.mode 'manual', which wins"]),
    ({"auto_process": True, "processing": {"mode": "auto"}}, {"processing": {"mode": "auto"}},
     ["removed auto_process: true (processing.mode is already 'auto')"]),
    ({"dataset_name": "a"}, {"dataset_name": "a"}, []),
])
def test_v1_step(config: Dict[str, Any], expected: Dict[str, Any], changes: list[str]) -> None:
    assert step(1, config) == expected
    assert ConfigMigrator._migrate_v1_to_v2(config) == expected
    assert describe(config, expected) or not changes


def test_the_migrator_passes_from_version_through() -> None:
    config = {"dataset_name": "x", "processing": {"mode": "auto"}}
    assert "schema_version" not in ConfigMigrator.migrate_config(config)
    assert ConfigMigrator.migrate_config(config, from_version=1)["schema_version"] == 2
    assert ConfigMigrator.migrate_with_changes(config, from_version=1).from_version == 1
    assert ConfigMigrator.migrate_with_changes(config).from_version == 2


# -- the file form ---------------------------------------------------------------------------------
def test_to_file_puts_a_kept_alias_before_its_new_twin() -> None:
    previous = {"datasetName": "a", "other": 1}
    canonical = {"schema_version": 2, "dataset_name": "a", "other": 1}
    assert list(to_file(canonical, previous)) == ["schema_version", "datasetName", "dataset_name", "other"]


def test_to_file_keeps_the_order_of_a_pair_already_in_the_file() -> None:
    previous = {"dataset_name": "a", "x": 1, "datasetName": "a"}
    canonical = {"dataset_name": "b", "x": 1}
    out = to_file(canonical, previous)
    assert list(out) == ["dataset_name", "datasetName", "x"]
    assert out["datasetName"] == out["dataset_name"] == "b"  # the alias follows its twin's new value


def test_to_file_drops_an_alias_whose_twin_is_gone_and_contract_drops_all() -> None:
    previous = {"dataset_name": "a", "datasetName": "a", "createdAt": "t", "created_at": "t"}
    canonical = {"dataset_name": "a"}
    assert to_file(canonical, previous) == {"datasetName": "a", "dataset_name": "a"}
    assert to_file(canonical, previous, contract=True) == {"dataset_name": "a"}
    assert to_file(canonical, None) == {"dataset_name": "a"}
    nested = {"worktree": {"branch": "b"}}
    copied = to_file(nested, None)
    copied["worktree"]["branch"] = "changed"
    assert nested == {"worktree": {"branch": "b"}}  # never shares a mutable value


def test_to_file_keeps_only_the_dataset_alias_readers_resolve() -> None:
    previous = {"mainDatasetName": "m", "datasetName": "d"}
    assert kept_aliases(previous) == ["mainDatasetName"]
    assert to_file({"dataset_name": "m"}, previous) == {"mainDatasetName": "m", "dataset_name": "m"}


def test_worktree_info_keeps_its_spelling_and_note_and_follows_its_twin() -> None:
    previous = {"worktreeInfo": {"isWorktree": True, "branch": "old", "gone": 1, "datasetNote": "derived"}}
    canonical = {"worktree": {"is_worktree": False, "branch": "new", "main_dataset_name": "m"}}
    out = to_file(canonical, previous)
    assert out["worktreeInfo"] == {"isWorktree": False, "branch": "new", "datasetNote": "derived",
                                   "mainDatasetName": "m"}
    assert list(out) == ["worktreeInfo", "worktree"]
    assert twin_value("worktreeInfo", out["worktreeInfo"]) == canonical["worktree"]
    # a worktreeInfo that is not an object is kept as its twin's value
    assert to_file({"worktree": "x"}, {"worktreeInfo": "x"}) == {"worktreeInfo": "x", "worktree": "x"}


def test_mismatches_compare_the_alias_in_the_canonical_spelling() -> None:
    assert mismatches({"worktreeInfo": {"isWorktree": True, "datasetNote": "n"}, "worktree": {"is_worktree": True}}) == []
    found = mismatches({"excludePatterns": ["a"], "exclude_patterns": ["b"], "createdAt": "t", "created_at": "t"})
    assert [(m.alias, m.canonical, m.alias_value, m.canonical_value) for m in found] == [
        ("excludePatterns", "exclude_patterns", ["a"], ["b"])]
    assert mismatches({"datasetName": 1, "dataset_name": True}) != []  # JSON values: 1 is not true


# -- the change report ----------------------------------------------------------------------------
def test_describe_reports_what_changed_in_the_file() -> None:
    before = {"mainDatasetName": "m", "datasetName": "d", "version": "1.0", "auto_process": True,
              "model": "opus", "processing": {"batch_size": 3, "queue_timeout": 5}, "gone": 1}
    after = {"schema_version": 2, "mainDatasetName": "m", "dataset_name": "m", "model": "sonnet",
             "processing": {"batch_size": 4, "mode": "auto", "delay_seconds": 1}, "new": "é"}
    assert describe(before, after) == [
        "dropped datasetName ('d'): mainDatasetName wins (Code Query's readers resolve it first)",
        "dropped version '1.0' (replaced by schema_version)",
        "moved auto_process: true to processing.mode 'auto'",
        'changed model: "opus" -> "sonnet"',
        "changed processing.batch_size: 3 -> 4",
        "removed processing.queue_timeout",
        "added processing.delay_seconds: 1",
        "removed gone",
        "set schema_version to 2",
        "added dataset_name, the current name of mainDatasetName (kept beside it for Code Query's readers)",
        'added new: "é"',
    ]


def test_describe_says_which_mode_won() -> None:
    before = {"auto_process": True, "processing": {"mode": "manual"}}
    assert describe(before, {"processing": {"mode": "manual"}}) == [
        "removed auto_process: true; kept processing.mode 'manual', which wins"]
    assert describe({"auto_process": False}, {"processing": "odd"}) == [
        "removed auto_process: false; kept processing.mode None, which wins"]
    assert describe({"createdAt": "a", "created_at": "b"}, {"created_at": "b"}) == [
        "dropped createdAt ('a'): created_at is already set ('b')"]


def test_describe_of_an_in_memory_migration() -> None:
    result = migrate({"schema_version": 1, "excludePatterns": ["a"], "worktreeInfo": {"datasetNote": "n"},
                      "auto_process": False, "createdAt": "t", "created_at": "t"})
    assert result.changes == [
        "set schema_version to 2",
        "renamed excludePatterns to exclude_patterns",
        "renamed worktreeInfo to worktree; dropped worktreeInfo.datasetNote (derived text)",
        "moved auto_process: false to processing.mode 'manual'",
        "left out createdAt, the legacy twin of created_at (a file keeps it for Code Query's readers)",
    ]
    assert migrate({"dataset_name": "x"}).changes == [
        "set schema_version to 2", "added processing.mode 'manual' (the default of a file without auto_process)"]
    assert migrate({"dataset_name": "x", "processing": {"batch_size": 1}, "auto_process": True}).changes == [
        "moved auto_process: true to processing.mode 'auto'", "set schema_version to 2"]
