"""The schema as other engines and editors read it (issues 12 and 14): ECMA-262 patterns,
the gaps hostile values went through, draft-07 without custom keywords, a description and
a default on every property, and type messages that name the type."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, UnknownModelWarning
from codequery_gitcfg.core.defaults import DEFAULT_CONFIG
from codequery_gitcfg.core.env import apply_env
from codequery_gitcfg.core.errors import EnvOverrideError
from codequery_gitcfg.core.schema import SCHEMA_ID, schema
from codequery_gitcfg.store import memo


def problems(config: Dict[str, Any]) -> Dict[str, str]:
    with pytest.raises(ConfigError) as info:
        ConfigManager("unused.json").validate_config(config)
    return {p.path: p.message for p in info.value.problems}


def valid(config: Dict[str, Any]) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        try:
            ConfigManager("unused.json").validate_config(config)
        except ConfigError:
            return False
    return True


ok = {"dataset_name": "ok"}

REFUSED = [
    # issue 12, item 11: $ matched before a final newline
    ({"dataset_name": "demo\n"}, "dataset_name",
     'dataset_name may only contain letters, digits, dots, dashes and underscores; got "demo\\n"'),
    ({**ok, "model": "sonnet\n"}, "model",
     "Invalid model name 'sonnet\\n': use only alphanumeric characters, dots, dashes, and underscores"),
    # item 12: the schema's gaps
    ({"dataset_name": "."}, "dataset_name", "dataset_name cannot be '.' or '..'"),
    ({"dataset_name": ".."}, "dataset_name", "dataset_name cannot be '.' or '..'"),
    ({**ok, "exclude_patterns": ["a\x85b"]}, "exclude_patterns[0]",
     "pattern 'a\\x85b' must not contain NUL or control characters"),
    ({**ok, "exclude_patterns": ["a\x9b2J"]}, "exclude_patterns[0]",
     "pattern 'a\\x9b2J' must not contain NUL or control characters"),
    ({**ok, "exclude_patterns": ["x\n"]}, "exclude_patterns[0]",
     "pattern 'x\\n' must not contain NUL or control characters"),
    ({**ok, "exclude_patterns": ["\\\\server\\share\\x"]}, "exclude_patterns[0]",
     "pattern '\\\\\\\\server\\\\share\\\\x' must be relative (no leading backslash, no UNC path)"),
    ({**ok, "created_at": "yesterday"}, "created_at",
     "created_at must be an RFC 3339 date-time string such as '2024-05-01T10:00:00Z' (the offset may be left out)"
     '; got "yesterday"'),
    ({**ok, "created_at": ""}, "created_at", None),
    ({**ok, "created_at": "2024-13-45T99:99"}, "created_at", None),
    ({**ok, "created_at": "2024-02-30T10:00:00"}, "created_at", None),
    ({**ok, "created_at": "2024-05-01T10:00:00Z\n"}, "created_at", None),
    ({**ok, "worktree": {"branch": "ma\x00in"}}, "worktree.branch",
     'worktree.branch must not contain NUL or control characters; got "ma\\u0000in"'),
    ({**ok, "worktree": {"branch": "main\n"}}, "worktree.branch", None),
    ({**ok, "worktree": {"main_dataset_name": "a\x1b[2K"}}, "worktree.main_dataset_name",
     'worktree.main_dataset_name must not contain NUL or control characters; got "a\\u001b[2K"'),
    # issue 14: the type message names the type
    ({**ok, "processing": {"batch_size": "5"}}, "processing.batch_size",
     'batch_size must be a positive integer (1 to 1000); expected an integer, got the string "5"'),
    ({**ok, "processing": {"fallback_to_sync": 1}}, "processing.fallback_to_sync",
     "fallback_to_sync must be a boolean (true or false); expected a boolean, got the number 1"),
    ({**ok, "processing": {"delay_seconds": None}}, "processing.delay_seconds",
     "delay_seconds must be non-negative and at most 604800 (one week); expected a number, got null"),
    ({**ok, "exclude_patterns": "*.js"}, "exclude_patterns",
     'exclude_patterns must be a list; expected a list, got the string "*.js"'),
    ({**ok, "processing": []}, "processing", "processing must be an object; expected an object, got a list"),
]


@pytest.mark.parametrize("config,path,message", REFUSED, ids=[f"{r[1]}-{i}" for i, r in enumerate(REFUSED)])
def test_refused_with_the_field_s_message(config: Dict[str, Any], path: str, message: str | None) -> None:
    found = problems(config)
    assert path in found, found
    if message is not None:
        assert found[path] == message


@pytest.mark.parametrize("config", [
    {"dataset_name": "a.b"}, {"dataset_name": "..."}, {"dataset_name": ".hidden"},
    {**ok, "created_at": "2024-05-01T10:00:00"}, {**ok, "created_at": "2024-05-01T10:00:00.123456"},
    {**ok, "created_at": "2024-05-01t10:00:00z"}, {**ok, "created_at": "2024-12-31T23:59:60-08:00"},
    {**ok, "exclude_patterns": ["a\\b", "caf\u00e9/*", "a\xa0b"]},
    {**ok, "worktree": {"branch": "feature/\u00e9t\u00e9", "main_dataset_name": "main", "is_worktree": True}},
])
def test_still_valid(config: Dict[str, Any]) -> None:
    assert valid(config)


@pytest.mark.parametrize("name,value,message", [
    ("CODEQUERY_DATASET_NAME", "evil\n", "Invalid value for CODEQUERY_DATASET_NAME: 'evil\\n'. "
     "dataset_name may only contain letters, digits, dots, dashes and underscores"),
    ("CODEQUERY_DATASET_NAME", "..", "Invalid value for CODEQUERY_DATASET_NAME: '..'. dataset_name cannot be '.' or '..'"),
    ("CODEQUERY_MODEL", "sonnet\n", "Invalid value for CODEQUERY_MODEL: 'sonnet\\n'. Invalid model name"),
    ("CODEQUERY_WORKTREE_BRANCH", "a\x1b[1Ab", "Invalid value for CODEQUERY_WORKTREE_BRANCH: 'a\\x1b[1Ab'. "
     "worktree.branch must not contain NUL or control characters"),
    ("CODEQUERY_CREATED_AT", "yesterday", "Invalid value for CODEQUERY_CREATED_AT: 'yesterday'. created_at must be"),
    ("CODEQUERY_PROCESSING_BATCH_SIZE", "x", "Invalid value for CODEQUERY_PROCESSING_BATCH_SIZE: 'x'. "
     "batch_size must be a positive integer (1 to 1000)"),
])
def test_environment_overrides_go_through_the_same_rules(name: str, value: str, message: str) -> None:
    config = ConfigManager("unused.json").validate_config({"dataset_name": "ok"})
    with pytest.raises(EnvOverrideError) as info:
        apply_env(config, {name: value})
    assert str(info.value).split(": ", 1)[1].startswith(message), str(info.value)


# -- what editors, SchemaStore and Ajv read ---------------------------------------------------
DRAFT_07 = {
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "items", "additionalItems", "maxItems", "minItems", "uniqueItems",
    "contains", "maxProperties", "minProperties", "required", "properties", "patternProperties",
    "additionalProperties", "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf",
    "not", "format", "contentMediaType", "contentEncoding", "definitions",
}


def _subschemas(node: Any, pointer: str = "") -> Iterator[Tuple[str, Dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, sub in node.get("properties", {}).items():
            yield from _subschemas(sub, f"{pointer}/properties/{key}")
        for key in ("items", "not"):
            if isinstance(node.get(key), dict):
                yield from _subschemas(node[key], f"{pointer}/{key}")
        for i, sub in enumerate(node.get("allOf", [])):
            yield from _subschemas(sub, f"{pointer}/allOf/{i}")


def test_only_draft_07_keywords() -> None:
    for pointer, node in _subschemas(schema()):
        assert set(node) <= DRAFT_07, (pointer, set(node) - DRAFT_07)
    assert schema()["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema()["$id"] == SCHEMA_ID == "https://codequery.dev/schemas/config-v2.json"
    # A name, not an address (README: Editors): nothing serves it, so no config may point at it.
    assert "nothing serves it" in schema()["$comment"]


NO_DEFAULT = {"dataset_name", "created_at", "worktree.branch", "worktree.main_dataset_name"}


def test_every_property_has_a_description_and_a_default_or_examples() -> None:
    def walk(node: Dict[str, Any], prefix: str) -> Iterator[Tuple[str, Dict[str, Any]]]:
        for key, sub in node.get("properties", {}).items():
            yield prefix + key, sub
            yield from walk(sub, prefix + key + ".")

    seen = set()
    for path, sub in walk(schema(), ""):
        seen.add(path)
        assert sub.get("description"), path
        if path in NO_DEFAULT:  # required, or describes one checkout: nothing to assume
            assert "default" not in sub and sub.get("examples"), path
            assert all(valid({"dataset_name": "ok", **_nest(path, e)}) for e in sub["examples"]), path
        else:
            assert "default" in sub, path
            if path != "$schema":
                assert valid({"dataset_name": "ok", **_nest(path, sub["default"])}), path
    assert len(seen) == 18


def _nest(path: str, value: Any) -> Dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


def test_the_schema_s_defaults_are_the_defaults() -> None:
    props = schema()["properties"]
    for key in ("model", "processing", "exclude_patterns"):
        assert props[key]["default"] == DEFAULT_CONFIG[key]
    for key, value in DEFAULT_CONFIG["processing"].items():
        assert props["processing"]["properties"][key]["default"] == value


AJV = "/usr/share/nodejs/ajv"


def test_ajv_strict_compiles_the_schema_and_agrees_on_the_verdicts(tmp_path: Path) -> None:
    """Ajv (the engine of VS Code's JSON service and SchemaStore's checks) with its strict options."""
    node = shutil.which("node")
    if node is None or not Path(AJV).is_dir():
        pytest.skip("node and Ajv (Debian: node-ajv) are not installed")
    from support.rules import CASES

    cases = []
    for c in [c[0] for c in CASES] + [r[0] for r in REFUSED] + [ok, {**ok, "created_at": "2024-05-01T10:00:00"},
                                                                 {**ok, "exclude_patterns": ["a\\b", "[!x].md"]}]:
        try:
            text = json.dumps(c, allow_nan=False)
        except ValueError:
            continue  # NaN and infinities are not JSON: Ajv never sees them
        if ".0," in text or ".0}" in text:
            continue  # 2.0 is 2 in JavaScript; our Python callers get a real int (tests/core/test_schema_differences.py)
        cases.append(json.loads(text))
    script = (f"const Ajv = require({AJV!r});"
              "const ajv = new Ajv({strictKeywords: true, strictDefaults: true, strictNumbers: true,"
              " unicodeRegExp: true, allErrors: true});"
              "const [schema, cases] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "const validate = ajv.compile(schema);"
              "console.log(JSON.stringify(cases.map(c => validate(c))));")
    proc = subprocess.run([node, "-e", script], input=json.dumps([schema(), cases]), capture_output=True,
                          text=True, env={**os.environ, "NODE_PATH": str(Path(AJV).parent)})
    assert proc.returncode == 0, proc.stderr
    verdicts = json.loads(proc.stdout)
    assert len(verdicts) == len(cases) > 60
    for config, theirs in zip(cases, verdicts):
        assert valid(config) == theirs, config


def test_the_memo_key_changes_with_the_schema() -> None:
    assert memo.rules_key().startswith("rules ")
