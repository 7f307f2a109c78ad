"""The `$schema` a config we write names resolves, offline, as an editor resolves it (issue 21,
row 1; README: "Editors"): relative to the config file, read from the file system, with no
address that serves nothing."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from codequery_gitcfg import ConfigManager
from codequery_gitcfg.core.schema import SCHEMA_ID, schema_text

from support.hooks import cli
from support.readme import block

CONFIG = ".code-query/config.json"
SCHEMA_FILE = ".vscode/codequery-config.schema.json"


def editor_resolve(document: Path) -> Dict[str, Any]:
    """What VS Code's JSON service does with a document's "$schema": a URI reference resolved
    against the document's own URI, then fetched. Only file: URIs are fetched here, so an
    address on the network (or one that serves nothing) fails the test instead of the editor."""
    ref = json.loads(document.read_text())["$schema"]
    uri = urllib.parse.urljoin(document.resolve().as_uri(), ref)
    assert uri.startswith("file:"), f"$schema {ref!r} is not local: an editor would fetch {uri}"
    with urllib.request.urlopen(uri) as f:  # file: only (asserted above)
        loaded: Dict[str, Any] = json.loads(f.read().decode("utf-8"))
    return loaded


def validate_offline(instance: Any, schema: Dict[str, Any]) -> None:
    """jsonschema with a registry that retrieves nothing: a remote $ref would raise."""
    from jsonschema import Draft7Validator
    from referencing import Registry

    def retrieve(uri: str) -> Any:
        raise AssertionError(f"the schema refers to {uri}, which needs the network")

    Draft7Validator(schema, registry=Registry(retrieve=retrieve)).validate(instance)


def test_init_schema_writes_a_schema_hint_that_resolves(repo: Path) -> None:
    code, out, err = cli(repo, "init", "--schema", SCHEMA_FILE)
    assert code == 0, err
    config = repo / CONFIG
    data = json.loads(config.read_text())
    assert next(iter(data)) == "$schema" and data["$schema"] == f"../{SCHEMA_FILE}"
    resolved = editor_resolve(config)
    assert resolved == json.loads(schema_text())
    validate_offline(data, resolved)
    assert (repo / SCHEMA_FILE).read_text() == schema_text()
    assert "$ref" not in json.dumps(resolved) or all(
        r.startswith("#") for r in _refs(resolved))  # nothing to fetch beside the file
    code, out, _ = cli(repo, "doctor")
    assert "$schema" not in out  # current copy, present: nothing to say
    code, _, err = cli(repo, "validate")
    assert code == 0, err


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_a_config_in_another_folder_gets_a_relative_path_an_editor_resolves(repo: Path) -> None:
    (repo / "sub").mkdir()
    code, _, err = cli(repo / "sub", "init", "cfg.json", "--schema", "../schemas/config.json")
    assert code == 0, err
    assert json.loads((repo / "sub" / "cfg.json").read_text())["$schema"] == "../schemas/config.json"
    assert editor_resolve(repo / "sub" / "cfg.json") == json.loads(schema_text())
    code, _, err = cli(repo, "init", "same.json", "--schema", "same.schema.json")
    assert code == 0, err
    assert json.loads((repo / "same.json").read_text())["$schema"] == "./same.schema.json"
    assert editor_resolve(repo / "same.json") == json.loads(schema_text())


def test_nothing_we_write_names_an_address(repo: Path, tmp_path: Path) -> None:
    code, _, _ = cli(repo, "init")
    assert code == 0
    assert "$schema" not in json.loads((repo / CONFIG).read_text())
    api = tmp_path / "api" / "config.json"
    ConfigManager(api).create_default_config()
    assert "$schema" not in json.loads(api.read_text())
    assert "://" not in block("sh", "init --schema")


def test_doctor_warns_about_a_schema_hint_that_cannot_load(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"$schema": SCHEMA_ID, "dataset_name": "p"})
    _, out, _ = cli(repo, "doctor")
    assert f"warning: $schema names {SCHEMA_ID}, which nothing serves" in out
    write_config({"$schema": "../missing.json", "dataset_name": "p"})
    _, out, _ = cli(repo, "doctor")
    assert "warning: $schema '../missing.json' is not a file" in out
    (repo / "old.json").write_text('{"type": "object"}')
    write_config({"$schema": "../old.json", "dataset_name": "p"})
    _, out, _ = cli(repo, "doctor", "--format", "json")
    assert any("is not this codequery-gitcfg's schema" in w for w in json.loads(out)["warnings"])


def test_the_vs_code_mapping_in_the_readme_resolves(repo: Path) -> None:
    """The README's json.schemas entry: its fileMatch names the config, its url the copy, relative
    to the workspace folder (VS Code's rule for a workspace setting)."""
    settings = json.loads(block("json", '"json.schemas"'))
    [entry] = settings["json.schemas"]
    assert any(f"/{CONFIG}".endswith(m.lstrip("*")) for m in entry["fileMatch"])
    (repo / ".vscode").mkdir()
    (repo / SCHEMA_FILE).write_text(schema_text())
    target = urllib.parse.urljoin(repo.resolve().as_uri() + "/", entry["url"])
    assert urllib.parse.urlparse(target).path == str((repo / SCHEMA_FILE).resolve())


AJV = "/usr/share/nodejs/ajv"


def test_the_editor_engine_compiles_what_the_hint_resolves_to(repo: Path) -> None:
    """Ajv, the engine of VS Code's JSON service, reads the resolved file and passes the config."""
    if shutil.which("node") is None or not os.path.isdir(AJV):
        pytest.skip("node and Ajv (Debian: node-ajv) are not installed")
    assert cli(repo, "init", "--schema", SCHEMA_FILE)[0] == 0
    script = (f"const Ajv = require({AJV!r}); const fs = require('fs'); const path = require('path');"
              f"const doc = JSON.parse(fs.readFileSync({CONFIG!r}));"
              f"const schema = JSON.parse(fs.readFileSync(path.resolve(path.dirname({CONFIG!r}), doc.$schema)));"
              "const v = new Ajv({strict: true}).compile(schema); console.log(v(doc));")
    proc = subprocess.run(["node", "-e", script], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "NODE_PATH": str(Path(AJV).parent)})
    assert proc.returncode == 0 and proc.stdout.strip() == "true", proc.stdout + proc.stderr
