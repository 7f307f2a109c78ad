"""`codequery-gitcfg migrate` / `validate` on real files: minimal diffs, formatting kept, nothing
written when the result would be invalid."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.migrate import CURRENT_VERSION_NAME

from support.repos import LEGACY_AUTO, git


def test_newer_version_file_untouched_by_cli(in_repo: Path, write_config: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config({"dataset_name": "x", "schema_version": 3, "auto_process": True})
    before = path.read_bytes()
    assert main(["migrate"]) == 1
    assert "written by a newer codequery-gitcfg" in capsys.readouterr().err
    assert path.read_bytes() == before

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
    assert f"migrated to {CURRENT_VERSION_NAME}" in capsys.readouterr().err
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
    # diff -u's headers: the name as given, a tab, the time (README: Command line)
    assert re.match(r"--- \.code-query/config\.json\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4}\n"
                    r"\+\+\+ \.code-query/config\.json\t", out), out
    assert '-  "auto_process": true' in out and '+    "mode": "auto"' in out
    assert path.read_bytes() == before

def test_validate_fails_on_legacy_file_naming_the_fix(in_repo: Path, write_config: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_config(LEGACY_AUTO)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "pending migration" in err and "codequery-gitcfg migrate" in err and "auto_process" in err
