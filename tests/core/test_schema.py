"""core.schema: the validator, its messages, known keys and the caller's stack level."""
from __future__ import annotations

import json
import math
import os
from types import SimpleNamespace
from typing import Any, Dict

import pytest
from codequery_gitcfg.core import errors, schema
from codequery_gitcfg.core.errors import Problem

# mutmut 3 runs each core function behind a trampoline (a frame of its own, outside the
# package): a test of frame counting can only judge the real functions.
_TRAMPOLINED = "mutmut" in schema.caller_stacklevel.__code__.co_filename

# -- schema ------------------------------------------------------------------------


def test_schema_text_is_the_packaged_schema_file() -> None:
    path = os.path.join(os.path.dirname(os.path.abspath(schema.__file__)), "schema.json")
    with open(path, encoding="utf-8") as f:
        assert schema.schema_text() == f.read()
    assert json.loads(schema.schema_text())["$id"] == schema.SCHEMA_ID

def test_schema_is_read_once_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_schema", None)
    first = schema.schema()
    assert isinstance(first, dict)
    assert first["$id"] == schema.SCHEMA_ID
    assert schema.schema() is first

def test_the_validator_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_validator", None)
    first = schema._get_validator()
    assert first is not None
    assert schema._get_validator() is first

def test_the_validator_refuses_an_integral_float_for_an_integer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_validator", None)
    assert schema.check({"dataset_name": "x", "processing": {"batch_size": 2.0}}) == ([
        Problem("processing.batch_size",
                "batch_size must be a positive integer (1 to 1000); expected an integer, got the number 2.0"),
    ], [])

def test_the_validator_refuses_nan_for_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_validator", None)
    assert schema.check({"dataset_name": "x", "processing": {"delay_seconds": math.nan}}) == ([
        Problem("processing.delay_seconds", "delay_seconds must be non-negative and at most 604800 (one week); "
                                            "expected a number, got the number NaN"),
    ], [])

def test_the_validator_takes_integers_and_numbers_beside_an_unknown_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_validator", None)
    config = {"dataset_name": "x", "zzzz": 1,
              "processing": {"batch_size": 5, "delay_seconds": 300, "worker_check_interval": 2.5}}
    assert schema.check(config) == ([], [Problem("zzzz", "unknown key 'zzzz'")])

def test_an_unknown_key_close_to_a_known_one_gets_a_suggestion() -> None:
    assert schema.check({"dataset_name": "x", "processing": {"batch_sise": 5}})[1] == [
        Problem("processing.batch_sise", "unknown key 'batch_sise'; did you mean 'batch_size'?"),
    ]

def test_type_messages_describe_the_value_found() -> None:
    assert schema.check({"dataset_name": {}})[0] == [
        Problem("dataset_name", "dataset_name must be a string; expected a string, got an object"),
    ]
    assert schema.check({"dataset_name": True})[0] == [
        Problem("dataset_name", "dataset_name must be a string; expected a string, got the boolean true"),
    ]
    assert schema.check({"dataset_name": [1]})[0] == [
        Problem("dataset_name", "dataset_name must be a string; expected a string, got a list"),
    ]
    assert schema.check({"dataset_name": None})[0] == [
        Problem("dataset_name", "dataset_name must be a string; expected a string, got null"),
    ]

def test_describe_shortens_long_values_to_60_characters() -> None:
    assert schema._describe("a" * 58) == 'the string "' + "a" * 58 + '"'  # 60 characters of JSON: kept
    assert schema._describe("a" * 59) == 'the string "' + "a" * 56 + "..."  # 61: shortened
    assert schema._describe(10**59) == "the number " + "1" + "0" * 59  # exactly 60 digits

def test_describe_names_a_value_json_cannot_write_by_its_python_type() -> None:
    assert schema._describe(b"x") == "the bytes b'x'"
    assert schema.field_errors({"dataset_name": b"x"})[0].message == (
        "dataset_name must be a string; expected a string, got the bytes b'x'")

def test_messages_quote_a_value_of_up_to_60_characters_whole() -> None:
    value = "a" * 59 + "!"
    assert schema.check({"dataset_name": "x", "model": value})[0] == [
        Problem("model", f"Invalid model name {value!r}: use only alphanumeric characters, dots, dashes, "
                         "and underscores"),
    ]

def test_messages_shorten_a_longer_value_to_57_characters() -> None:
    value = "a" * 60 + "!"
    shown = "a" * 57 + "..."
    assert schema.check({"dataset_name": "x", "model": value})[0] == [
        Problem("model", f"Invalid model name {shown!r}: use only alphanumeric characters, dots, dashes, "
                         "and underscores"),
    ]

def test_known_keys_of_the_document_and_of_a_section() -> None:
    assert schema.known_keys(()) == ["$schema", "schema_version", "dataset_name", "model", "processing",
                                     "exclude_patterns", "created_at", "worktree"]
    assert schema.known_keys(("worktree",)) == ["branch", "main_dataset_name", "is_worktree"]

def test_known_keys_of_an_unknown_or_scalar_path_are_none() -> None:
    assert schema.known_keys(("nope",)) == []
    assert schema.known_keys(("nope", "deeper")) == []
    assert schema.known_keys(("model",)) == []
    assert schema.known_keys(("model", "x")) == []

def test_field_message_drops_the_value_placeholder() -> None:
    assert schema.field_message("processing.mode") == "Invalid processing mode: must be 'manual' or 'auto'"
    assert schema.field_message("processing.batch_size") == "batch_size must be a positive integer (1 to 1000)"

def test_field_message_of_a_field_without_a_rule() -> None:
    assert schema.field_message("no_such.field") == "no_such.field has the wrong type"

def _fake_frame(name: Any) -> Any:
    return SimpleNamespace(f_globals={} if name is None else {"__name__": name})

def test_in_package_knows_the_package_and_its_modules_only() -> None:
    assert schema._in_package(_fake_frame("codequery_gitcfg"))
    assert schema._in_package(_fake_frame("codequery_gitcfg.core.judge"))
    assert not schema._in_package(_fake_frame("codequery_gitcfgx"))
    assert not schema._in_package(_fake_frame("codequery_gitcfg_extra.mod"))
    assert not schema._in_package(_fake_frame("tests.test_core_units"))
    assert not schema._in_package(_fake_frame("__main__"))
    assert not schema._in_package(_fake_frame(None))
    assert not schema._in_package(_fake_frame(42))

def test_caller_stacklevel_is_1_for_a_caller_outside_the_package() -> None:
    assert schema.caller_stacklevel() == 1

def _package_functions(module: str) -> Dict[str, Any]:
    namespace: Dict[str, Any] = {"__name__": module, "schema": schema}
    code = "def inner():\n    return schema.caller_stacklevel()\n\ndef outer():\n    return inner()\n"
    exec(compile(code, module.replace(".", "/") + ".py", "exec"), namespace)
    return namespace

@pytest.mark.skipif(_TRAMPOLINED, reason="mutmut's trampoline adds a frame outside the package")
def test_caller_stacklevel_skips_every_frame_inside_the_package() -> None:
    assert _package_functions("codequery_gitcfg.fake")["outer"]() == 3
    assert _package_functions("outside.fake")["outer"]() == 1

@pytest.mark.skipif(_TRAMPOLINED, reason="mutmut's trampoline adds a frame outside the package")
def test_the_unknown_model_warning_points_at_the_callers_line() -> None:
    with pytest.warns(errors.UnknownModelWarning, match="model: 'gpt-9' is not a known model name") as record:
        schema.warn_unknown_model({"model": "gpt-9"})
    assert record[0].filename == __file__

# -- schema.unknown_model ----------------------------------------------------------


def test_an_unknown_model_is_a_problem_of_the_model_field() -> None:
    assert schema.unknown_model({"model": "gpt-9"}) == Problem("model", "'gpt-9' is not a known model name")
    assert schema.unknown_model({"model": None}) is None

# -- schema.with_positions ---------------------------------------------------------

_PROCESSING_TEXT = '{\n  "processing": {\n    "mode": "auto"\n  }\n}\n'

def test_with_positions_places_a_problem_at_its_nearest_located_ancestor() -> None:
    problems = [Problem("processing.mode.x.y", "m"), Problem("processing.nope", "m"), Problem("nope.x", "m"),
                Problem("processing", "m")]
    assert schema.with_positions(problems, _PROCESSING_TEXT) == [
        Problem("processing.mode.x.y", "m", 3, 13), Problem("processing.nope", "m", 2, 17),
        Problem("nope.x", "m", 1, 1), Problem("processing", "m", 2, 17),
    ]
