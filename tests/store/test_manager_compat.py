"""ConfigManager.validate_config_file() as Code Query's own tests/test_config_loading.py sees it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from codequery_gitcfg import ConfigManager


def test_invalid_json_reports_error_loading_configuration(tmp_path: Path) -> None:
    # What Code Query's test does: a file that is not JSON, then validate_config_file().
    path = tmp_path / "config.json"
    path.write_text("{ invalid json }")
    errors = ConfigManager(str(path)).validate_config_file()
    assert len(errors) > 0
    assert any("Error loading configuration" in error for error in errors)
    # Our positioned detail follows the original module's wording.
    assert errors == [
        f"Error loading configuration: {path}:1:3: Invalid JSON in config file: "
        "Expecting property name enclosed in double quotes"
    ]


def test_every_unreadable_item_starts_with_the_original_wording(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    errors = ConfigManager(str(path)).validate_config_file()
    assert errors
    assert all(e.startswith(f"Error loading configuration: {path}") for e in errors)

    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert ConfigManager(str(folder)).validate_config_file() == [
        f"Error loading configuration: {folder}: {folder} is not a regular file"
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_a_file_we_may_not_read(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"dataset_name": "p"}')
    path.chmod(0)
    assert ConfigManager(str(path)).validate_config_file() == [
        f"Error loading configuration: {path}: Permission denied"
    ]


def test_schema_problems_and_a_missing_file_keep_their_wording(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "dataset_name": ""\n}\n')
    assert ConfigManager(str(path)).validate_config_file() == [
        f"{path}:2:19: dataset_name: dataset_name cannot be empty"
    ]
    missing = tmp_path / "missing.json"
    assert ConfigManager(str(missing)).validate_config_file() == [f"Configuration file not found: {missing}"]
    path.write_text('{"dataset_name": "p", "schema_version": 2}')
    assert ConfigManager(str(path)).validate_config_file() == []
