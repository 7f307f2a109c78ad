"""The known, intended differences between our verdicts and the engines that read our own
schema.json as JSON Schema (check-jsonschema: jsonschema's plain draft-07; Ajv), each said
where users look: the field's description in the schema and the README (issue 21, row 10)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from codequery_gitcfg.core.schema import check, schema

README = Path(__file__).resolve().parents[2] / "README.md"

# (config, the field, why we refuse what draft-07 accepts). Every other verdict must agree.
INTENDED_DIFFERENCES: List[Tuple[Dict[str, Any], str, str]] = [
    ({"dataset_name": "x", "processing": {"batch_size": 5.0}}, "processing.batch_size",
     "draft-07 counts 5.0 as an integer; Code Query's run time needs a real int"),
    ({"dataset_name": "x", "processing": {"max_retries": 2.0}}, "processing.max_retries",
     "the same for retries"),
    ({"dataset_name": "x", "schema_version": 2.0}, "schema_version", "the same for the version"),
]


def _field(path: str) -> Dict[str, Any]:
    node: Dict[str, Any] = schema()
    for part in path.split("."):
        node = node["properties"][part]
    return node


@pytest.mark.parametrize("config,path,why", INTENDED_DIFFERENCES)
def test_plain_draft_07_accepts_what_we_refuse(config: Dict[str, Any], path: str, why: str) -> None:
    from jsonschema import Draft7Validator

    assert Draft7Validator(schema()).is_valid(config)  # what check-jsonschema runs
    errors, _ = check(config)
    assert [e.path for e in errors] == [path]
    assert "expected an integer, got the number" in errors[0].message


@pytest.mark.parametrize("config,path,why", INTENDED_DIFFERENCES)
def test_each_difference_is_said_where_users_look(config: Dict[str, Any], path: str, why: str) -> None:
    description = _field(path)["description"]
    assert "not 5.0" in description or "not 2.0" in description
    assert "codequery-gitcfg refuses it" in description
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert f"`{path}`" in readme and "check-jsonschema and Ajv accept" in readme


def test_every_integer_field_is_listed() -> None:
    def integers(node: Dict[str, Any], prefix: str = "") -> List[str]:
        out = []
        for key, sub in node.get("properties", {}).items():
            if sub.get("type") == "integer":
                out.append(prefix + key)
            out += integers(sub, prefix + key + ".")
        return out

    assert sorted(integers(schema())) == sorted(p for _, p, _ in INTENDED_DIFFERENCES)


def test_the_real_check_jsonschema_and_ajv_accept_them(tmp_path: Path) -> None:
    """The engines themselves, when installed (check-jsonschema: pip; Ajv: Debian's node-ajv)."""
    (tmp_path / "schema.json").write_text(json.dumps(schema()))
    names = []
    for i, (config, _, _) in enumerate(INTENDED_DIFFERENCES):
        (tmp_path / f"c{i}.json").write_text(json.dumps(config))
        names.append(f"c{i}.json")
    ran = 0
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    if os.access(tool, os.X_OK):
        proc = subprocess.run([tool, "--schemafile", "schema.json", *names], cwd=tmp_path, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        ran += 1
    ajv = "/usr/share/nodejs/ajv"
    if shutil.which("node") and Path(ajv).is_dir():
        script = (f"const Ajv = require({ajv!r}); const fs = require('fs');"
                  "const v = new Ajv({strict: false}).compile(JSON.parse(fs.readFileSync('schema.json')));"
                  f"console.log(JSON.stringify({json.dumps(names)}.map(n => v(JSON.parse(fs.readFileSync(n))))));")
        proc = subprocess.run(["node", "-e", script], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "NODE_PATH": str(Path(ajv).parent)})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == [True] * len(names)
        ran += 1
    if not ran:
        pytest.skip("neither check-jsonschema nor node with Ajv is installed")
