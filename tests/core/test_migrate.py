"""Migration (README: "Migration notes"): the version table, purity, idempotence, reports and rewrites."""
from __future__ import annotations

import copy
from typing import Any, Dict

import pytest
from codequery_gitcfg import CURRENT_SCHEMA_VERSION, ConfigManager, ConfigMigrator
from codequery_gitcfg.core import judge
from codequery_gitcfg.core import migrate as migrate_mod
from codequery_gitcfg.core.errors import (
    ConfigError,
    NewerVersionError,
    Problem,
)
from codequery_gitcfg.core.migrate import (
    describe,
    kept_aliases,
    legacy_markers,
    migrate,
    mismatches,
    step,
    to_file,
    twin_value,
)

from support.repos import LEGACY_AUTO, LEGACY_CAMEL


def test_current_version_is_2() -> None:
    assert CURRENT_SCHEMA_VERSION == 2 == ConfigMigrator.CURRENT_SCHEMA_VERSION

@pytest.mark.parametrize("config,version", [
    ({"dataset_name": "x"}, 0),
    (LEGACY_CAMEL, 0),
    ({"datasetName": "x", "processing": {"mode": "auto"}}, 0),
    ({"dataset_name": "x", "version": "1.1.0"}, 0),
    (LEGACY_AUTO, 1),
    ({"dataset_name": "x", "auto_process": False, "processing": {"batch_size": 2}}, 1),
    ({"dataset_name": "x", "processing": {}}, 2),
    ({"dataset_name": "x", "schema_version": 2}, 2),
    ({"dataset_name": "x", "schema_version": 2, "auto_process": True}, 2),  # explicit wins
    ({"dataset_name": "x", "schema_version": 1, "processing": {}}, 1),
    ({"dataset_name": "x", "schema_version": 0}, 0),
])
def test_detect_version(config: Dict[str, Any], version: int) -> None:
    assert ConfigMigrator.detect_version(config) == version
    assert ConfigMigrator._detect_version(config) == version

def test_minimal_file_is_version_0_and_migrates_per_table() -> None:
    assert ConfigMigrator.migrate_config({"dataset_name": "x"}) == {
        "schema_version": 2, "dataset_name": "x", "processing": {"mode": "manual"}}
    assert not legacy_markers({"dataset_name": "x"})

def test_camel_case_file_from_create_project_config() -> None:
    result = ConfigMigrator.migrate_with_changes(copy.deepcopy(LEGACY_CAMEL))
    assert result.config == {
        "schema_version": 2,
        "dataset_name": "project",  # mainDatasetName wins
        "exclude_patterns": ["*.test.js", "node_modules/*"],
        "created_at": "2024-05-01T10:00:00",
        "worktree": {"is_worktree": True, "branch": "feature", "main_dataset_name": "project"},
        "processing": {"mode": "manual"},
    }
    joined = "\n".join(result.changes)
    for needle in ["dropped datasetName ('project_feature'): mainDatasetName wins", "renamed excludePatterns",
                   "renamed createdAt", "renamed worktreeInfo to worktree", "datasetNote (derived text)",
                   "dropped version '1.1.0'", "processing.mode 'manual'", "set schema_version to 2"]:
        assert needle in joined
    ConfigManager("unused.json").validate_config(result.config)

def test_dataset_name_alone_when_no_main() -> None:
    assert migrate({"datasetName": "solo"}).config["dataset_name"] == "solo"

def test_snake_key_wins_over_camel_duplicate_and_is_reported() -> None:
    result = migrate({"dataset_name": "snake", "datasetName": "camel"})
    assert result.config["dataset_name"] == "snake"
    assert any("dropped datasetName ('camel')" in c for c in result.changes)

@pytest.mark.parametrize("auto,mode", [(True, "auto"), (False, "manual")])
def test_auto_process(auto: bool, mode: str) -> None:
    result = migrate({"dataset_name": "x", "auto_process": auto})
    assert result.config == {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "x", "processing": {"mode": mode}}
    assert f"moved auto_process: {str(auto).lower()} to processing.mode '{mode}'" in result.changes

def test_existing_processing_kept_and_explicit_mode_wins_reported() -> None:
    config = {"dataset_name": "x", "auto_process": True, "processing": {"mode": "manual", "batch_size": 9}}
    result = migrate(config)
    assert result.config["processing"] == {"mode": "manual", "batch_size": 9}
    assert "auto_process" not in result.config
    assert any("kept processing.mode 'manual', which wins" in c for c in result.changes)

def test_existing_processing_without_mode_gets_it() -> None:
    result = migrate({"dataset_name": "x", "auto_process": True, "processing": {"batch_size": 9}})
    assert result.config["processing"] == {"batch_size": 9, "mode": "auto"}

def test_non_boolean_auto_process_is_refused() -> None:
    with pytest.raises(ConfigError, match="auto_process must be a boolean"):
        migrate({"dataset_name": "x", "auto_process": "yes"})

@pytest.mark.parametrize("version", [3, 99])
def test_newer_version_is_refused(version: int) -> None:
    with pytest.raises(NewerVersionError, match="written by a newer codequery-gitcfg"):
        ConfigMigrator.migrate_config({"dataset_name": "x", "schema_version": version})

@pytest.mark.parametrize("config", [LEGACY_CAMEL, LEGACY_AUTO, {"dataset_name": "x"},
                                    {"dataset_name": "x", "auto_process": True, "processing": {"mode": "manual"}}])
def test_pure_and_idempotent(config: Dict[str, Any]) -> None:
    original = copy.deepcopy(config)
    once = migrate(config)
    assert config == original  # never mutates its input
    twice = migrate(once.config)
    assert twice.config == once.config and twice.changes == []
    once.config["x"] = 1
    assert "x" not in config

def test_step_functions_are_pure() -> None:
    from codequery_gitcfg.core.migrate import step

    config = {"datasetName": "a"}
    out = step(0, config)
    assert config == {"datasetName": "a"} and out == {"dataset_name": "a", "auto_process": False}
    out2 = step(1, out)
    assert out == {"dataset_name": "a", "auto_process": False}
    assert out2 == {"dataset_name": "a", "processing": {"mode": "manual"}}
    assert ConfigMigrator._migrate_v0_to_v1(config) == out
    assert ConfigMigrator._migrate_v1_to_v2(out) == out2

def test_from_version_argument_overrides_detection() -> None:
    # Detected as version 2 (a processing section): nothing to do...
    config = {"dataset_name": "x", "processing": {"mode": "auto"}}
    assert migrate(config).from_version == 2
    assert migrate(config).config == config and migrate(config).changes == []
    # ...but told it is version 1, the v1 step runs and the result is stamped as current.
    told = migrate(config, from_version=1)
    assert told.from_version == 1
    assert told.config == {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "x", "processing": {"mode": "auto"}}
    assert told.changes == ["set schema_version to 2"]
    # Told version 0 on a version-1 shape: the v0 step's default does not override the file's mode.
    legacy = {"dataset_name": "x", "auto_process": True}
    assert migrate(legacy).from_version == 1
    assert migrate(legacy, from_version=0).config["processing"] == {"mode": "auto"}
    assert migrate(legacy, from_version=0).from_version == 0
    assert ConfigMigrator.migrate_config(config, from_version=2) == config

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
    assert ConfigMigrator.migrate_config(config, from_version=1)["schema_version"] == CURRENT_SCHEMA_VERSION
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

def test_dollar_schema_stays_first_and_schema_version_follows_it() -> None:
    result = migrate({"$schema": "https://example.invalid/s.json", "datasetName": "a"})
    assert list(result.config)[:2] == ["$schema", "schema_version"]
    assert result.config["$schema"] == "https://example.invalid/s.json"

def test_camel_case_beside_auto_process_is_version_0_and_keeps_the_flag() -> None:
    result = migrate({"datasetName": "a", "auto_process": True})
    assert result.from_version == 0
    assert result.config["processing"] == {"mode": "auto"}  # the v0 step's default does not win
    assert "auto_process" not in result.config

def test_an_explicit_old_schema_version_is_a_legacy_marker() -> None:
    config = {"schema_version": 1, "dataset_name": "x", "processing": {"mode": "manual"}}
    assert legacy_markers(config) == ["schema_version"]
    verdict = judge.judge(config)
    assert verdict.pending and verdict.problems == []
    assert verdict.result.config["schema_version"] == CURRENT_SCHEMA_VERSION

# -- migrate -----------------------------------------------------------------------


def test_v0_step_leaves_an_existing_worktree_section_as_it_is() -> None:
    out = migrate_mod.step(0, {"datasetName": "x", "worktreeInfo": {"isWorktree": True},
                                       "worktree": {"isWorktree": False, "datasetNote": "n"}})
    assert out["worktree"] == {"isWorktree": False, "datasetNote": "n"}
    out = migrate_mod.step(0, {"datasetName": "x", "worktree": {"isWorktree": False}})
    assert out["worktree"] == {"isWorktree": False}

def test_describe_a_section_replaced_by_a_scalar() -> None:
    assert migrate_mod.describe({"processing": {"mode": "auto"}}, {"processing": 5}) == [
        'changed processing: {"mode": "auto"} -> 5',
    ]

def test_mismatches_compare_only_worktree_info_in_its_canonical_spelling() -> None:
    config = {"createdAt": {"isWorktree": 1}, "created_at": {"is_worktree": 1}}
    assert migrate_mod.mismatches(config) == [
        migrate_mod.Mismatch("createdAt", "created_at", {"isWorktree": 1}, {"is_worktree": 1}),
    ]

def test_to_file_keeps_worktree_info_after_its_twin_in_its_own_spelling() -> None:
    previous = {"dataset_name": "x", "worktree": {"is_worktree": True},
                "worktreeInfo": {"isWorktree": True, "datasetNote": "n"}}
    canonical = {"dataset_name": "x", "worktree": {"is_worktree": True, "branch": "b"}}
    out = migrate_mod.to_file(canonical, previous)
    assert out == {"dataset_name": "x", "worktree": {"is_worktree": True, "branch": "b"},
                   "worktreeInfo": {"isWorktree": True, "datasetNote": "n", "branch": "b"}}
    assert list(out) == ["dataset_name", "worktree", "worktreeInfo"]

def test_to_file_copies_a_twin_exactly_for_every_alias_but_worktree_info() -> None:
    out = migrate_mod.to_file({"dataset_name": "x", "created_at": {"isWorktree": True}},
                          {"createdAt": {"datasetNote": "n"}})
    assert out == {"dataset_name": "x", "createdAt": {"isWorktree": True}, "created_at": {"isWorktree": True}}

def test_to_file_copies_the_twin_when_worktree_info_was_not_an_object() -> None:
    out = migrate_mod.to_file({"worktree": {"branch": "b"}}, {"worktreeInfo": "junk"})
    assert out == {"worktreeInfo": {"branch": "b"}, "worktree": {"branch": "b"}}

# -- migrate: schema_version, auto_process and processing --------------------------


def test_migrate_sets_schema_version_where_the_file_has_it() -> None:
    assert list(migrate_mod.migrate({"dataset_name": "x", "schema_version": 1}).config) == ["dataset_name", "schema_version"]

def test_migrate_adds_schema_version_first_after_schema() -> None:
    config = {"dataset_name": "x", "$schema": "s"}
    assert list(migrate_mod.migrate(config).config) == ["$schema", "schema_version", "dataset_name", "processing"]

def test_migrate_refuses_an_auto_process_that_is_not_a_boolean() -> None:
    with pytest.raises(ConfigError) as info:
        migrate_mod.migrate({"auto_process": 1})
    assert info.value.problems == (Problem("auto_process", "auto_process must be a boolean (true or false)"),)

def test_migrate_refuses_auto_process_beside_a_processing_that_is_not_an_object() -> None:
    with pytest.raises(ConfigError) as info:
        migrate_mod.migrate({"auto_process": True, "processing": "auto"})
    assert info.value.problems == (Problem("processing", "processing must be an object"),)

# -- migrate: leftovers, markers, equality, change reports -------------------------


def test_migrate_moves_auto_process_beside_an_explicit_current_schema_version() -> None:
    assert migrate_mod.migrate({"schema_version": CURRENT_SCHEMA_VERSION, "auto_process": True}).config == {
        "schema_version": 2, "processing": {"mode": "auto"},
    }

def test_legacy_markers_name_a_string_version() -> None:
    assert migrate_mod.legacy_markers({"version": "1.0"}) == ["version"]

def test_mismatches_compare_numbers_as_json_does() -> None:
    assert migrate_mod.mismatches({"createdAt": 1, "created_at": 1.0}) == []
    assert migrate_mod.mismatches({"createdAt": True, "created_at": 1}) == [
        migrate_mod.Mismatch("createdAt", "created_at", True, 1),
    ]

def test_describe_notes_a_dropped_worktree_note_only_for_worktree_info() -> None:
    assert migrate_mod.migrate({"createdAt": {"datasetNote": "n"}}).changes == [
        "renamed createdAt to created_at", "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]

def test_describe_compares_worktree_info_to_its_twin_in_the_canonical_spelling() -> None:
    assert migrate_mod.migrate({"worktreeInfo": {"isWorktree": True}, "worktree": {"is_worktree": True}}).changes == [
        "left out worktreeInfo, the legacy twin of worktree (a file keeps it for Code Query's readers)",
        "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]

def test_describe_calls_a_legacy_key_gone_without_its_twin_removed() -> None:
    assert migrate_mod.describe({"createdAt": "x"}, {}) == ["removed createdAt"]

def test_describe_says_an_explicit_mode_wins_over_an_equal_auto_process() -> None:
    assert migrate_mod.migrate({"auto_process": True, "processing": {"mode": "auto"}}).changes == [
        "removed auto_process: true; kept processing.mode 'auto', which wins", "set schema_version to 2",
    ]

def test_describe_says_dataset_name_once_as_the_rename_of_dataset_name_alone() -> None:
    assert migrate_mod.migrate({"datasetName": "x"}).changes == [
        "renamed datasetName to dataset_name", "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]

def test_describe_goes_on_after_the_processing_said_with_auto_process() -> None:
    assert migrate_mod.describe({"auto_process": True}, {"processing": {"mode": "auto"}, "model": "x"}) == [
        "moved auto_process: true to processing.mode 'auto'", 'added model: "x"',
    ]

def test_describe_names_the_default_mode_only_for_a_processing_holding_mode_alone() -> None:
    after = {"extra": {"mode": 1}, "processing": {"mode": "auto", "batch_size": 2}, "n": 5}
    assert migrate_mod.describe({}, after) == [
        'added extra: {"mode": 1}', 'added processing: {"mode": "auto", "batch_size": 2}', "added n: 5",
    ]
