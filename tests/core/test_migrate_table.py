"""The migration table is the one source of the version history (ARCHITECTURE.md)."""
from __future__ import annotations

import re
from pathlib import Path

from codequery_gitcfg.core import migrate
from codequery_gitcfg.core.migrate import ALIASES, CURRENT_SCHEMA_VERSION, MIGRATIONS, RENAMES, SHADOWED_BY
from codequery_gitcfg.core.schema import schema


def test_each_entry_steps_from_its_own_version() -> None:
    assert [m.source for m in MIGRATIONS] == list(range(CURRENT_SCHEMA_VERSION))
    assert migrate.CURRENT_VERSION_NAME == f"schema version {CURRENT_SCHEMA_VERSION}"


def test_schema_json_agrees_with_the_table() -> None:
    version = schema()["properties"]["schema_version"]
    assert version["maximum"] == version["default"] == CURRENT_SCHEMA_VERSION
    for new in RENAMES.values():
        assert new in schema()["properties"], f"{new}: a rename's target the schema does not know"


def test_the_aliases_and_their_precedence_derive_from_the_renames() -> None:
    assert ALIASES == {"mainDatasetName": "dataset_name", "datasetName": "dataset_name",
                       "excludePatterns": "exclude_patterns", "createdAt": "created_at", "worktreeInfo": "worktree"}
    assert SHADOWED_BY == {"datasetName": "mainDatasetName"}
    assert migrate.former_names("dataset_name") == ["mainDatasetName", "datasetName"]
    assert migrate.former_names("worktree.is_worktree") == ["worktreeInfo.isWorktree"]
    assert migrate.former_names("exclude_patterns[0]") == ["excludePatterns[0]"]
    assert migrate.former_names("processing.mode") == []


def test_no_module_spells_the_current_version_out() -> None:
    # Messages name the version through CURRENT_VERSION_NAME; a literal would go stale at the next version.
    package = Path(migrate.__file__).resolve().parent.parent
    literal = re.compile(rf"schema version {CURRENT_SCHEMA_VERSION}\b|from 0 to {CURRENT_SCHEMA_VERSION}\b")
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py") if literal.search(p.read_text("utf-8"))]
    assert offenders == []
