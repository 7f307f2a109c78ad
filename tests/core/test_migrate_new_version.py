"""Adding a schema version is one entry of the migration table (CONTRIBUTING.md, "Adding a
schema version"): a throwaway version 3 that renames one key is built in a temporary copy of
the package from the table, ``schema.json`` and its regenerated validator alone, and every
message then names version 3."""
from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import codequery_gitcfg
import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, MIGRATIONS

pytest.importorskip("fastjsonschema", reason="regenerating the fast validator needs fastjsonschema (Python 3.10+)")

NEW = CURRENT_SCHEMA_VERSION + 1
# The step: created_at is called "created" from the new version on (no deployed reader keeps the old name).
ENTRY = f'    Migration({CURRENT_SCHEMA_VERSION}, renames=(Rename("created_at", "created", kept=False),)),'
TABLE_END = "\n)\n\nCURRENT_SCHEMA_VERSION"


def _changed_files(a: Path, b: Path) -> List[str]:
    out: List[str] = []
    compared = filecmp.dircmp(a, b, ignore=["__pycache__"])
    stack = [(compared, "")]
    while stack:
        node, prefix = stack.pop()
        out += [prefix + name for name in node.diff_files + node.left_only + node.right_only]
        stack += [(sub, f"{prefix}{name}/") for name, sub in node.subdirs.items()]
    return sorted(out)


@pytest.fixture(scope="module")
def next_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with one more table entry, schema.json following it, the validator regenerated."""
    root = tmp_path_factory.mktemp("next-version")
    source = Path(codequery_gitcfg.__file__).parent
    package = root / "codequery_gitcfg"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))

    table = package / "core" / "migrate.py"
    text = table.read_text(encoding="utf-8")
    assert text.count(TABLE_END) == 1, "the table's end moved: update this test and CONTRIBUTING.md's recipe"
    table.write_text(text.replace(TABLE_END, "\n" + ENTRY + TABLE_END), encoding="utf-8")

    schema_file = package / "core" / "schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    properties = schema["properties"]
    properties["schema_version"]["maximum"] = properties["schema_version"]["default"] = NEW
    schema["properties"] = {("created" if key == "created_at" else key): value for key, value in properties.items()}
    schema_file.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    _run(root, "-m", "codequery_gitcfg.core.schema")  # python -m codequery_gitcfg.core.schema regenerates it
    assert _changed_files(source, package) == ["core/_fastcheck.py", "core/migrate.py", "core/schema.json"]
    return root


def _env(root: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEQUERY_", "GIT_", "COVERAGE_"))}
    env["PYTHONPATH"] = str(root)
    return env


def _run(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, *args], cwd=root, env=_env(root), capture_output=True, text=True,
                          check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, "-c", "import sys; from codequery_gitcfg.cli.main import main; sys.exit(main(sys.argv[1:]))",
                *args, check=False)


def test_the_copy_is_the_one_imported(next_version: Path) -> None:
    out = _run(next_version, "-c", "import codequery_gitcfg.core.migrate as m; print(m.__file__, m.CURRENT_SCHEMA_VERSION)")
    path, version = out.stdout.split()
    assert Path(path).is_relative_to(next_version) and version == str(NEW)
    assert len(MIGRATIONS) == CURRENT_SCHEMA_VERSION  # and this checkout's table is unchanged


def test_a_current_file_migrates_through_the_new_step(next_version: Path) -> None:
    config = {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "x", "created_at": "2024-05-01T10:00:00Z",
              "processing": {"mode": "auto"}}
    script = ("import json, sys; from codequery_gitcfg.core.migrate import migrate\n"
              "r = migrate(json.loads(sys.argv[1])); print(json.dumps([r.config, r.changes]))")
    config, changes = json.loads(_run(next_version, "-c", script, json.dumps(config)).stdout)
    assert config == {"schema_version": NEW, "dataset_name": "x", "created": "2024-05-01T10:00:00Z",
                      "processing": {"mode": "auto"}}
    assert list(config) == ["schema_version", "dataset_name", "created", "processing"]  # renamed in place
    assert changes == [f"set schema_version to {NEW}", "renamed created_at to created"]


def test_the_gate_and_the_rewrite_name_the_new_version(next_version: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "x",
                                  "created_at": "2024-05-01T10:00:00Z"}, indent=2) + "\n", encoding="utf-8")
    checked = _cli(next_version, "validate", str(config))
    assert checked.returncode == 1
    assert f"pending migration to schema version {NEW} (legacy keys: created_at, schema_version)" in checked.stderr

    migrated = _cli(next_version, "migrate", str(config))
    assert migrated.returncode == 0, migrated.stderr
    assert f"migrated to schema version {NEW}:" in migrated.stderr
    assert "renamed created_at to created" in migrated.stderr
    assert json.loads(config.read_text(encoding="utf-8")) == {"schema_version": NEW, "dataset_name": "x",
                                                               "created": "2024-05-01T10:00:00Z"}
    assert _cli(next_version, "validate", str(config)).returncode == 0


def test_an_alias_follows_its_key_through_the_new_rename(next_version: Path, tmp_path: Path) -> None:
    # createdAt (version 0) is still read by Code Query: a rewrite keeps it, beside the key's newest name.
    config = tmp_path / "config.json"
    config.write_text('{"datasetName": "x", "createdAt": "2024-05-01T10:00:00Z"}\n', encoding="utf-8")
    migrated = _cli(next_version, "migrate", str(config))
    assert migrated.returncode == 0, migrated.stderr
    written = json.loads(config.read_text(encoding="utf-8"))
    assert written["schema_version"] == NEW
    assert written["createdAt"] == written["created"] == "2024-05-01T10:00:00Z"
    assert "created_at" not in written
    assert _cli(next_version, "validate", str(config)).returncode == 0
