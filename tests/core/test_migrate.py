"""Migration (SPEC 2.2): the version table, purity, idempotence, reports and rewrites."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict

import pytest
from codequery_gitcfg import CURRENT_SCHEMA_VERSION, ConfigError, ConfigManager, ConfigMigrator
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.errors import NewerVersionError
from codequery_gitcfg.core.migrate import legacy_markers, migrate

from conftest import LEGACY_AUTO, LEGACY_CAMEL, git


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
    assert result.config == {"schema_version": 2, "dataset_name": "x", "processing": {"mode": mode}}
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


def test_newer_version_file_untouched_by_cli(in_repo: Path, write_config: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config({"dataset_name": "x", "schema_version": 3, "auto_process": True})
    before = path.read_bytes()
    assert main(["migrate"]) == 1
    assert "written by a newer codequery-gitcfg" in capsys.readouterr().err
    assert path.read_bytes() == before


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
    assert told.config == {"schema_version": 2, "dataset_name": "x", "processing": {"mode": "auto"}}
    assert told.changes == ["set schema_version to 2"]
    # Told version 0 on a version-1 shape: the v0 step's default does not override the file's mode.
    legacy = {"dataset_name": "x", "auto_process": True}
    assert migrate(legacy).from_version == 1
    assert migrate(legacy, from_version=0).config["processing"] == {"mode": "auto"}
    assert migrate(legacy, from_version=0).from_version == 0
    assert ConfigMigrator.migrate_config(config, from_version=2) == config


# -- rewriting files -----------------------------------------------------------------------

CAMEL_TEXT = """{
  "datasetName": "project_feature",
  "mainDatasetName": "project",
  "excludePatterns": [
    "*.test.js",
    "node_modules/*"
  ],
  "createdAt": "2024-05-01T10:00:00",
  "version": "1.1.0",
  "worktreeInfo": {
    "isWorktree": true,
    "branch": "feature",
    "mainDatasetName": "project",
    "datasetNote": "Worktree dataset derived from project"
  }
}
"""


def _diff(repo: Path) -> list[str]:
    out = git(repo, "diff", "-U0", "--no-color").stdout
    return [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_migrate_camel_file_minimal_diff_and_second_run_no_change(
        in_repo: Path, write_config: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(CAMEL_TEXT)
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-qm", "legacy")
    assert main(["migrate", "--check"]) == 1
    assert main(["migrate"]) == 0
    assert "migrated to schema version 2" in capsys.readouterr().err
    diff = _diff(in_repo)
    # Expand: every legacy key a deployed reader uses stays, each current key is one added
    # line; only the shadowed datasetName, the derived note and the string version go.
    assert sorted(line for line in diff if line[0] == "-") == sorted([
        '-  "datasetName": "project_feature",', '-  "version": "1.1.0",',
    ])
    assert sorted(line for line in diff if line[0] == "+") == sorted([
        '+  "schema_version": 2,', '+  "dataset_name": "project",', '+  "exclude_patterns": [',
        '+    "*.test.js",', '+    "node_modules/*"', '+  ],',
        '+  "created_at": "2024-05-01T10:00:00",', '+  },', '+  "worktree": {',
        '+    "is_worktree": true,', '+    "branch": "feature",', '+    "main_dataset_name": "project"', '+  },',
        '+  "processing": {', '+    "mode": "manual"',
    ])
    data = json.loads(path.read_text())
    assert data["worktreeInfo"]["datasetNote"] == "Worktree dataset derived from project"  # kept whole
    assert main(["validate"]) == 0
    migrated = path.read_bytes()
    stat = path.stat()
    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0
    assert path.read_bytes() == migrated
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino


@pytest.mark.parametrize("indent,newline", [("  ", "\n"), ("    ", "\n"), ("\t", "\n"), ("  ", "\r\n")])
@pytest.mark.parametrize("final_newline", [True, False])
def test_migrate_auto_process_keeps_formatting(in_repo: Path, write_config: Any, indent: str, newline: str,
                                               final_newline: bool) -> None:
    lines = ["{", f'{indent}"dataset_name": "project",', f'{indent}"model": "claude-3-5-sonnet-20240620",',
             f'{indent}"exclude_patterns": ["*.md", "dist/*"],', f'{indent}"auto_process": true', "}"]
    text = newline.join(lines) + (newline if final_newline else "")
    path = write_config(text.encode())
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-qm", "legacy")
    assert main(["migrate"]) == 0
    expected = ["{", f'{indent}"schema_version": 2,', f'{indent}"dataset_name": "project",',
                f'{indent}"model": "claude-3-5-sonnet-20240620",', f'{indent}"exclude_patterns": ["*.md", "dist/*"],',
                f'{indent}"processing": {{', f'{indent}{indent}"mode": "auto"', f"{indent}}}", "}"]
    assert path.read_bytes() == (newline.join(expected) + (newline if final_newline else "")).encode()
    assert main(["validate"]) == 0


def test_bom_is_kept(in_repo: Path, write_config: Any) -> None:
    path = write_config(b'\xef\xbb\xbf{\n  "dataset_name": "x",\n  "auto_process": false\n}\n')
    assert main(["migrate"]) == 0
    assert path.read_bytes().startswith(b'\xef\xbb\xbf{\n  "schema_version": 2,\n')


def test_minimal_hand_written_file_is_never_rewritten(in_repo: Path, write_config: Any) -> None:
    path = write_config('{"dataset_name": "x"}')
    before = path.stat()
    assert main(["migrate", "--check"]) == 0
    assert main(["migrate"]) == 0
    assert main(["validate"]) == 0
    assert path.read_text() == '{"dataset_name": "x"}' and path.stat().st_mtime_ns == before.st_mtime_ns


def test_migration_whose_result_is_invalid_writes_nothing(in_repo: Path, write_config: Any,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config({"datasetName": "bad name!", "auto_process": True})
    before = path.read_bytes()
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "dataset_name" in err and "not migrated" in err
    assert path.read_bytes() == before


def test_migrate_diff_prints_unified_diff_and_changes_nothing(in_repo: Path, write_config: Any,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(LEGACY_AUTO)
    before = path.read_bytes()
    assert main(["migrate", "--check", "--diff"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/.code-query/config.json\n+++ b/.code-query/config.json\n")
    assert '-  "auto_process": true' in out and '+    "mode": "auto"' in out
    assert path.read_bytes() == before


def test_validate_fails_on_legacy_file_naming_the_fix(in_repo: Path, write_config: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_config(LEGACY_AUTO)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "pending migration" in err and "codequery-gitcfg migrate" in err and "auto_process" in err


def test_runtime_load_migrates_in_memory_only(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LEGACY_AUTO))
    before = path.read_bytes()
    config = ConfigManager(path).load_config()
    assert config["processing"]["mode"] == "auto" and "auto_process" not in config
    assert path.read_bytes() == before
