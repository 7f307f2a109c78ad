"""Precise, in-process unit tests of the pure core: exact messages, values and positions.

Each test pins one promise of SPEC.md or of a function's docstring, fast enough to run
under every mutant of ``codequery_gitcfg/core``.
"""
from __future__ import annotations

import json
import math
import os
import sys
import warnings
from types import SimpleNamespace
from typing import Any, Dict, List, Mapping, Optional

import pytest
from codequery_gitcfg.core import defaults, env, errors, fmt, jsonvalue, judge, locate, merge3, migrate, reader, schema
from codequery_gitcfg.core.errors import ConfigError, ConflictError, EnvOverrideError, Problem, ReadError

# mutmut 3 runs each core function behind a trampoline (a frame of its own, outside the
# package): a test of frame counting can only judge the real functions.
_TRAMPOLINED = "mutmut" in schema.caller_stacklevel.__code__.co_filename


# -- errors.capped -----------------------------------------------------------------


def _problems(count: int) -> List[Problem]:
    return [Problem(f"f{i}", f"bad {i}", i + 1, 2) for i in range(count)]


def test_capped_renders_every_problem_with_the_filename_when_under_the_limit() -> None:
    assert errors.capped(_problems(2), "c.json", limit=2) == ["c.json:1:2: f0: bad 0", "c.json:2:2: f1: bad 1"]


def test_capped_names_one_more_problem_in_the_singular() -> None:
    assert errors.capped(_problems(3), "c.json", limit=2) == [
        "c.json:1:2: f0: bad 0", "c.json:2:2: f1: bad 1", "... and 1 more problem",
    ]


def test_capped_names_several_more_problems_in_the_plural() -> None:
    assert errors.capped(_problems(5), None, limit=2) == ["f0: bad 0", "f1: bad 1", "... and 3 more problems"]


def test_capped_counts_two_more_problems_in_the_plural() -> None:
    assert errors.capped(_problems(4), None, limit=2)[-1] == "... and 2 more problems"


# -- defaults.set_path -------------------------------------------------------------


def test_set_path_creates_objects_on_the_way() -> None:
    data: Dict[str, Any] = {"a": {"x": 1}}
    defaults.set_path(data, "a.b.c", 2)
    assert data == {"a": {"x": 1, "b": {"c": 2}}}


def test_set_path_refuses_to_overwrite_a_non_object_naming_its_path() -> None:
    data: Dict[str, Any] = {"a": {"b": 1}}
    with pytest.raises(ConfigError) as info:
        defaults.set_path(data, "a.b.c", 2)
    assert info.value.problems == (Problem("a.b", "a.b must be an object"),)
    assert data == {"a": {"b": 1}}


def test_set_path_names_a_top_level_non_object() -> None:
    with pytest.raises(ConfigError) as info:
        defaults.set_path({"a": 5}, "a.b.c", 2)
    assert info.value.problems == (Problem("a", "a must be an object"),)


# -- env.unknown_variables ---------------------------------------------------------


def test_unknown_variables_is_silent_without_any_codequery_variable() -> None:
    assert env.unknown_variables({"PATH": "/bin", "HOME": "/h"}) == []


def test_unknown_variables_warns_about_each_unknown_variable_in_name_order() -> None:
    environ = {
        "CODEQUERY_ZZZ": "1",
        "CODEQUERY_BATCH_SIZE": "3",  # a kept name
        "CODEQUERY_PROCESSING_MODE": "auto",  # a systematic name
        "CODEQUERY_GITCFG_SKIP": "1",  # our own switch
        "CODEQUERY_GITCFG_DEBUG": "1",
        "CODEQUERY_ABC": "1",
        "PATH": "/bin",
        "A_CODEQUERY_THING": "1",
    }
    assert env.unknown_variables(environ) == [
        "CODEQUERY_ABC sets no config field and is ignored",
        "CODEQUERY_ZZZ sets no config field and is ignored",
    ]


def test_unknown_variables_suggests_a_close_name() -> None:
    assert env.unknown_variables({"CODEQUERY_PROCESSING_MOD": "auto"}) == [
        "CODEQUERY_PROCESSING_MOD sets no config field and is ignored; did you mean CODEQUERY_PROCESSING_MODE?"
    ]


def test_unknown_variables_suggests_the_closest_name() -> None:
    assert env.unknown_variables({"CODEQUERY_BATCH_SIZ": "3"}) == [
        "CODEQUERY_BATCH_SIZ sets no config field and is ignored; did you mean CODEQUERY_BATCH_SIZE?"
    ]


def test_unknown_variables_suggests_nothing_for_a_name_only_loosely_alike() -> None:
    # "CODEQUERY_XYZ" shares the prefix with CODEQUERY_MODEL (ratio ~0.71): not close enough.
    assert env.unknown_variables({"CODEQUERY_XYZ": "1"}) == ["CODEQUERY_XYZ sets no config field and is ignored"]


def test_unknown_variables_ignores_names_outside_the_prefix_even_when_alike() -> None:
    assert env.unknown_variables({"CODEQUERY_MODEL": "x", "XCODEQUERY_MODEL": "x", "codequery_model": "x"}) == []


# -- env.collect / parse_value ----------------------------------------------------


def test_collect_is_empty_without_any_codequery_variable() -> None:
    assert env.collect({"PATH": "/bin"}) == []


def test_collect_parses_each_value_as_its_field_type() -> None:
    found = env.collect({"CODEQUERY_PROCESSING_MAX_RETRIES": " 7 ", "CODEQUERY_PROCESSING_FALLBACK_TO_SYNC": "off",
                         "CODEQUERY_MODEL": "opus", "CODEQUERY_DATASET_NAME": ""})
    assert sorted(found) == [
        env.Override("CODEQUERY_MODEL", "model", "opus", "opus"),
        env.Override("CODEQUERY_PROCESSING_FALLBACK_TO_SYNC", "processing.fallback_to_sync", "off", False),
        env.Override("CODEQUERY_PROCESSING_MAX_RETRIES", "processing.max_retries", " 7 ", 7),
    ]


def test_collect_refuses_a_value_that_is_not_utf8_and_reports_every_one() -> None:
    with pytest.raises(EnvOverrideError) as info:
        env.collect({"CODEQUERY_DATASET_NAME": "a\udcff", "CODEQUERY_MODEL": "\udcfe"})
    assert info.value.problems == (
        Problem("dataset_name", "Invalid value for CODEQUERY_DATASET_NAME: 'a\\udcff'. the value is not valid UTF-8"),
        Problem("model", "Invalid value for CODEQUERY_MODEL: '\\udcfe'. the value is not valid UTF-8"),
    )


def test_collect_reports_every_value_of_the_wrong_type_with_the_field_rule() -> None:
    with pytest.raises(EnvOverrideError) as info:
        env.collect({"CODEQUERY_BATCH_SIZE": "x", "CODEQUERY_PROCESSING_MAX_RETRIES": "1.5"})
    assert info.value.problems == (
        Problem("processing.batch_size",
                "Invalid value for CODEQUERY_BATCH_SIZE: 'x'. batch_size must be a positive integer (1 to 1000)"),
        Problem("processing.max_retries", "Invalid value for CODEQUERY_PROCESSING_MAX_RETRIES: '1.5'. "
                                          "max_retries must be a non-negative integer (0 to 100)"),
    )


def test_collect_refuses_two_names_setting_one_field_to_different_values_and_goes_on() -> None:
    with pytest.raises(EnvOverrideError) as info:
        env.collect({"CODEQUERY_BATCH_SIZE": "3", "CODEQUERY_PROCESSING_BATCH_SIZE": "4",
                     "CODEQUERY_PROCESSING_MAX_RETRIES": "many"})
    assert info.value.problems == (
        Problem("processing.batch_size", "CODEQUERY_BATCH_SIZE='3' and CODEQUERY_PROCESSING_BATCH_SIZE='4' "
                                         "both set processing.batch_size to different values"),
        Problem("processing.max_retries", "Invalid value for CODEQUERY_PROCESSING_MAX_RETRIES: 'many'. "
                                          "max_retries must be a non-negative integer (0 to 100)"),
    )


def test_collect_accepts_two_names_setting_one_field_to_the_same_value() -> None:
    found = env.collect({"CODEQUERY_BATCH_SIZE": "3", "CODEQUERY_PROCESSING_BATCH_SIZE": "+3"})
    assert [(o.path, o.value) for o in found] == [("processing.batch_size", 3)]


def test_parse_value_takes_integers_of_up_to_20_characters() -> None:
    assert env.parse_value("integer", "1" * 20) == 11111111111111111111
    assert env.parse_value("integer", "-" + "1" * 19) == -1111111111111111111
    with pytest.raises(ValueError):
        env.parse_value("integer", "1" * 21)


def test_parse_value_number_keeps_a_20_character_integer_exact_and_reads_longer_as_float() -> None:
    exact = env.parse_value("number", "1" * 20)
    assert type(exact) is int
    assert exact == 11111111111111111111
    longer = env.parse_value("number", "1" * 21)
    assert type(longer) is float
    assert longer == float("1" * 21)


# -- env.apply_env with a memo ---------------------------------------------------


class _Memo:
    def __init__(self, known: Optional[List[Dict[str, Any]]] = None) -> None:
        self.known_data = list(known or [])
        self.asked: List[Any] = []
        self.learned: List[Any] = []

    def known(self, data: Mapping[str, Any]) -> bool:
        self.asked.append(data)
        return data in self.known_data

    def learn(self, data: Mapping[str, Any]) -> None:
        self.learned.append(data)


def test_apply_env_asks_the_memo_about_the_overridden_config_and_learns_a_valid_one() -> None:
    memo = _Memo()
    config = {"dataset_name": "x", "model": None}
    result = env.apply_env(config, {"CODEQUERY_BATCH_SIZE": "9"}, memo)
    assert result == {"dataset_name": "x", "model": None, "processing": {"batch_size": 9}}
    assert memo.asked == [{"dataset_name": "x", "processing": {"batch_size": 9}}]
    assert memo.learned == [{"dataset_name": "x", "processing": {"batch_size": 9}}]
    assert config == {"dataset_name": "x", "model": None}


def test_apply_env_does_not_learn_a_config_with_errors_outside_the_overrides() -> None:
    memo = _Memo()
    result = env.apply_env({"dataset_name": ""}, {"CODEQUERY_BATCH_SIZE": "9"}, memo)
    assert result == {"dataset_name": "", "processing": {"batch_size": 9}}
    assert memo.learned == []


def test_apply_env_refuses_an_override_out_of_bounds_with_the_field_rule() -> None:
    with pytest.raises(EnvOverrideError) as info:
        env.apply_env({"dataset_name": "x"}, {"CODEQUERY_BATCH_SIZE": "0"}, _Memo())
    assert info.value.problems == (
        Problem("processing.batch_size",
                "Invalid value for CODEQUERY_BATCH_SIZE: '0'. batch_size must be a positive integer (1 to 1000)"),
    )


# -- reader: trailing commas, positions, refusals ----------------------------------


def test_trailing_comma_at_the_bracket_points_at_the_comma() -> None:
    assert reader._trailing_comma("[1,]", 3) == 2
    assert reader._trailing_comma('{"a": 1 , \n\t}', 12) == 8


def test_trailing_comma_at_the_comma_itself_needs_a_closing_bracket_after_whitespace() -> None:
    assert reader._trailing_comma("[1,]", 2) == 2
    assert reader._trailing_comma("[1, \r\n ]", 2) == 2
    assert reader._trailing_comma('{"a": 1,}', 7) == 7
    assert reader._trailing_comma('{"a": [1,]}', 8) == 8
    assert reader._trailing_comma('{"a": [1,  ]}', 8) == 8


def test_a_comma_followed_by_a_value_is_not_a_trailing_comma() -> None:
    assert reader._trailing_comma("[1,2]", 2) is None
    assert reader._trailing_comma("[1, 2]", 2) is None
    assert reader._trailing_comma("[1,", 2) is None
    assert reader._trailing_comma("[1, ", 2) is None


def test_a_bracket_without_a_comma_before_it_is_not_a_trailing_comma() -> None:
    assert reader._trailing_comma("[1 ]", 3) is None
    assert reader._trailing_comma("[1,X]", 4) is None
    assert reader._trailing_comma("[1,2", 3) is None


def test_parse_reports_a_trailing_comma_at_its_line_and_column() -> None:
    text = '{\n  "a": 1,\n  "b": [\n    2,\n  ]\n}'
    with pytest.raises(ReadError) as info:
        reader.parse(text)
    assert info.value.problems == (Problem("", "Invalid JSON in config file: trailing comma (line 4 column 6)", 4, 6),)


def test_parse_reports_a_trailing_comma_on_a_line_after_a_leading_newline() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse("\n[1,]")
    assert info.value.problems[0] == Problem("", "Invalid JSON in config file: trailing comma (line 2 column 3)", 2, 3)


def test_parse_reports_a_trailing_comma_on_the_first_line() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('{"a": 1,}')
    assert info.value.problems == (Problem("", "Invalid JSON in config file: trailing comma (line 1 column 8)", 1, 8),)


def test_parse_reports_other_invalid_json_with_its_line_and_column() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('{\n  "a" 1\n}')
    assert info.value.problems == (
        Problem("", "Invalid JSON in config file: Expecting ':' delimiter (line 2 column 7)", 2, 7),
    )


def test_parse_refuses_a_number_that_overflows_naming_its_first_40_characters() -> None:
    number = "1" + "0" * 400 + ".5"
    with pytest.raises(ReadError) as info:
        reader.parse('{"dataset_name": "x",\n "d": ' + number + "}")
    assert info.value.problems == (
        Problem("d", f"number {number[:40]} is too large (overflows to infinity)", 2, 7),
    )


def test_parse_refuses_a_lone_surrogate_in_a_string_value_at_its_position() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('{"dataset_name": "x",\n  "p": ["ok", "a \\ud800 b"]}')
    assert info.value.problems == (
        Problem("p[1]", "lone UTF-16 surrogate escape (\\ud800-\\udfff) in a string", 2, 15),
    )


def test_parse_refuses_a_lone_surrogate_in_a_key_at_the_key() -> None:
    # The value search finds nothing: the key itself is where the refusal points.
    with pytest.raises(ReadError) as info:
        reader.parse('{"dataset_name": "x",\n  "\\udc00": 1}')
    assert info.value.problems == (
        Problem("", "lone UTF-16 surrogate escape (\\ud800-\\udfff) in a string", 2, 3),
    )


def test_parse_accepts_a_surrogate_pair_beside_other_values() -> None:
    assert reader.parse('{"a": "\\ud83d\\ude00", "b": 1, "c": [true, null]}') == {
        "a": "\U0001f600", "b": 1, "c": [True, None],
    }


def test_a_refusal_whose_position_cannot_be_found_is_reported_without_one() -> None:
    # The scanner cannot read the key (an escape JSON does not know): no position, no traceback.
    refused = reader._Refused("duplicate key 'a'")
    assert reader._position('{"a\\x": 1, "a\\x": 2}', refused) == Problem("", "duplicate key 'a'")


def test_conflict_markers_are_reported_at_their_line() -> None:
    with pytest.raises(ConflictError) as info:
        reader.parse('\n<<<<<<< HEAD\n{"dataset_name": "x"}\n')
    assert info.value.problems == (
        Problem("", "unresolved merge conflict marker '<<<<<<<' at line 2; resolve the merge conflict first", 2, 1),
    )


# -- locate ------------------------------------------------------------------------


def test_line_of_counts_the_newlines_before_the_offset() -> None:
    assert locate.line_of("\nx", 1) == 2
    assert locate.line_of("\nx", 0) == 1
    assert locate.line_of("a\nb\nc", 4) == 3


def test_positions_of_values_after_empty_containers() -> None:
    text = '{"a": {}, "b": [], "c": 1}'
    assert locate.positions(text) == {"": (1, 1), "a": (1, 7), "b": (1, 16), "c": (1, 25)}
    assert locate.spans(text) == {"a": (6, 8), "b": (15, 17), "c": (24, 25), "": (0, 26)}


def test_positions_of_array_elements_and_values_without_spaces() -> None:
    assert locate.positions('{"a":10,"l":[10, 20,  30]}') == {
        "": (1, 1), "a": (1, 6), "l": (1, 13), "l[0]": (1, 14), "l[1]": (1, 18), "l[2]": (1, 23),
    }


def test_positions_of_values_at_the_start_of_a_line() -> None:
    assert locate.positions('{"a":\n1,\n"b":\n[\n2]}') == {"": (1, 1), "a": (2, 1), "b": (4, 1), "b[0]": (5, 1)}


def test_spans_of_strings_holding_spaces_colons_and_brackets() -> None:
    text = '{"a": "x, y: }]", "b": "q\\"r"}'
    assert locate.spans(text) == {"a": (6, 16), "b": (23, 29), "": (0, 30)}


def test_the_scanner_never_raises_on_a_truncated_document() -> None:
    assert locate.positions('["abc') == {"": (1, 1), "[0]": (1, 2)}
    assert locate.positions('{"a": }') == {"": (1, 1), "a": (1, 7)}
    assert locate.positions("[,1]") == {"": (1, 1), "[0]": (1, 2)}


def test_find_token_matches_scalar_tokens_only_not_strings_or_containers() -> None:
    assert locate.find_token('["1", 1]', ".+") == ("[1]", (1, 7))
    assert locate.find_token('{"k": {"n": NaN}}', "NaN") == ("k.n", (1, 13))
    assert locate.find_token("[Xyz]", "Xyz") == ("[0]", (1, 2))


def test_find_value_sees_whole_string_tokens() -> None:
    assert locate.find_value('{"a": 1, "b": "x y"}', lambda token: token == '"x y"') == ("b", (1, 15))


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


# -- judge: gate problems, writability, disagreements -------------------------------


def test_gate_problems_put_a_pending_migration_first_naming_the_default_fix() -> None:
    verdict = judge.judge({"datasetName": "x", "auto_process": True, "zzzz": 1})
    assert verdict.gate_problems() == [
        Problem("", "pending migration to schema version 2 (legacy keys: datasetName, auto_process); "
                    "run `codequery-gitcfg migrate` to fix it", 1, 1),
        Problem("zzzz", "unknown key 'zzzz'"),
    ]


def test_gate_problems_name_the_given_fix() -> None:
    verdict = judge.judge({"datasetName": "x"})
    assert verdict.gate_problems("codequery-gitcfg migrate cfg.json") == [
        Problem("", "pending migration to schema version 2 (legacy keys: datasetName); "
                    "run `codequery-gitcfg migrate cfg.json` to fix it", 1, 1),
    ]


def test_gate_problems_of_a_current_config_are_its_problems() -> None:
    verdict = judge.judge({"dataset_name": "x", "processing": {}, "zzzz": 1})
    assert verdict.gate_problems() == [Problem("zzzz", "unknown key 'zzzz'")]


def test_check_writable_refuses_a_non_json_value_before_judging_fields() -> None:
    with pytest.raises(ConfigError) as info:
        judge.check_writable({"dataset_name": "x", "processing": {"batch_size": {1}}}, strict=False,
                             filename="c.json")
    assert info.value.problems == (Problem("processing.batch_size", "set value {1} is not JSON"),)
    assert info.value.filename == "c.json"


def test_check_writable_judges_nan_in_a_known_field_by_the_field_rule() -> None:
    with pytest.raises(ConfigError) as info:
        judge.check_writable({"dataset_name": "x", "processing": {"delay_seconds": math.nan}}, strict=False,
                             filename="c.json")
    assert info.value.problems == (
        Problem("processing.delay_seconds", "delay_seconds must be non-negative and at most 604800 (one week); "
                                            "expected a number, got the number NaN"),
    )
    assert info.value.filename == "c.json"


def test_check_writable_refuses_nan_under_an_unknown_key_as_not_json() -> None:
    with pytest.raises(ConfigError) as info:
        judge.check_writable({"dataset_name": "x", "extra": math.inf}, strict=False, filename="c.json")
    assert info.value.problems == (Problem("extra", "inf is not a JSON number"),)
    assert info.value.filename == "c.json"


def test_check_writable_refuses_unknown_keys_only_when_strict() -> None:
    judge.check_writable({"dataset_name": "x", "extra": 1}, strict=False)
    with pytest.raises(ConfigError) as info:
        judge.check_writable({"dataset_name": "x", "extra": 1}, strict=True)
    assert info.value.problems == (Problem("extra", "unknown key 'extra'"),)


def _disagreement(value: str) -> str:
    [problem] = judge.judge({"schema_version": 2, "dataset_name": "x", "datasetName": value,
                             "processing": {}}).disagreements
    return problem.message.partition(" disagree: ")[2].partition(". Code Query")[0]


def test_disagreements_quote_values_as_json_of_up_to_60_characters() -> None:
    assert _disagreement("é" * 58) == '"' + "é" * 58 + '" vs "x"'  # 60 characters: whole


def test_disagreements_shorten_longer_values_to_57_characters() -> None:
    assert _disagreement("é" * 59) == '"' + "é" * 56 + '... vs "x"'


def test_disagreements_name_both_keys_and_the_fix() -> None:
    [problem] = judge.judge({"schema_version": 2, "dataset_name": "x", "datasetName": "y",
                             "processing": {}}).disagreements
    assert problem == Problem(
        "dataset_name",
        'datasetName and dataset_name disagree: "y" vs "x". Code Query\'s readers use datasetName, '
        "codequery-gitcfg uses dataset_name: make them equal (or drop datasetName with "
        "`codequery-gitcfg migrate --contract` once no reader needs it)",
    )


# -- fmt: formatting kept across rewrites ------------------------------------------


def test_detect_defaults_without_indentation() -> None:
    style = fmt.detect("{}")
    assert style == fmt.Style(2, "\n", False, False, "{}")


def test_dump_writes_non_ascii_keys_and_values_as_they_are() -> None:
    assert fmt.dump({"é": "ü"}) == '{\n  "é": "ü"\n}\n'.encode()


def test_dump_indents_objects_inside_lists() -> None:
    assert fmt.dump({"l": [{"a": [1]}]}) == b'{\n  "l": [\n    {\n      "a": [\n        1\n      ]\n    }\n  ]\n}\n'


def test_dump_copies_unchanged_nested_values_verbatim() -> None:
    source = '{\n  "a": {\n    "x": [1,   2]\n  },\n  "p": {"k":1}\n}\n'
    out = fmt.dump({"a": {"x": [1, 2], "y": 1}, "p": {"k": 1}}, fmt.detect(source))
    assert out == b'{\n  "a": {\n    "x": [1,   2],\n    "y": 1\n  },\n  "p": {"k":1}\n}\n'


def test_dump_copies_unchanged_list_elements_verbatim() -> None:
    source = '{"l": [{"a":  1}]}'
    out = fmt.dump({"l": [{"a": 1}, 2]}, fmt.detect(source))
    assert out == b'{\n  "l": [\n    {"a":  1},\n    2\n  ]\n}'


def test_dump_copies_unchanged_elements_of_a_top_level_list_verbatim() -> None:
    out = fmt.dump([[1,  2], 4], fmt.detect("[[1,  2], 3]"))
    assert out == b"[\n  [1,  2],\n  4\n]"


def test_dump_rewrites_a_changed_value_even_when_it_is_equal_in_python() -> None:
    source = '{"a": 1, "b": 1, "l": [1,  2]}'
    out = fmt.dump({"a": True, "b": 2, "l": [1, 3]}, fmt.detect(source))
    assert out == b'{\n  "a": true,\n  "b": 2,\n  "l": [\n    1,\n    3\n  ]\n}'


def test_dump_finds_the_camel_case_spelling_of_a_renamed_key() -> None:
    source = '{"excludePatterns": ["a",  "b"], "worktreeInfo": {"branch": "\\u0062r", "isWorktree": true}}'
    config = {"exclude_patterns": ["a", "b"], "worktree": {"branch": "br"}}
    assert fmt.dump(config, fmt.detect(source)) == (
        b'{\n  "exclude_patterns": ["a",  "b"],\n  "worktree": {\n    "branch": "\\u0062r"\n  }\n}'
    )


def test_dump_finds_main_dataset_name_as_the_old_spelling_of_dataset_name() -> None:
    source = '{"mainDatasetName": "\\u0078", "z": 1}'
    assert fmt.dump({"dataset_name": "x", "z": 2}, fmt.detect(source)) == (
        b'{\n  "dataset_name": "\\u0078",\n  "z": 2\n}'
    )


def test_dump_keeps_crlf_line_endings_in_copied_values() -> None:
    source = '{\r\n  "l": [\r\n    1,\r\n    2\r\n  ],\r\n  "a": 1\r\n}\r\n'
    out = fmt.dump({"l": [1, 2], "a": 2}, fmt.detect(source))
    assert out == source.replace('"a": 1', '"a": 2').encode()


def test_dump_ignores_a_source_it_cannot_read() -> None:
    assert fmt.dump({"a": 1}, fmt.Style(source='{"a": tru}')) == b'{\n  "a": 1\n}\n'


# -- migrate -----------------------------------------------------------------------


def test_v0_step_leaves_an_existing_worktree_section_as_it_is() -> None:
    out, _ = migrate.migrate_v0_to_v1({"datasetName": "x", "worktreeInfo": {"isWorktree": True},
                                       "worktree": {"isWorktree": False, "datasetNote": "n"}})
    assert out["worktree"] == {"isWorktree": False, "datasetNote": "n"}
    out, _ = migrate.migrate_v0_to_v1({"datasetName": "x", "worktree": {"isWorktree": False}})
    assert out["worktree"] == {"isWorktree": False}


def test_describe_a_section_replaced_by_a_scalar() -> None:
    assert migrate.describe({"processing": {"mode": "auto"}}, {"processing": 5}) == [
        'changed processing: {"mode": "auto"} -> 5',
    ]


def test_mismatches_compare_only_worktree_info_in_its_canonical_spelling() -> None:
    config = {"createdAt": {"isWorktree": 1}, "created_at": {"is_worktree": 1}}
    assert migrate.mismatches(config) == [
        migrate.Mismatch("createdAt", "created_at", {"isWorktree": 1}, {"is_worktree": 1}),
    ]


def test_to_file_keeps_worktree_info_after_its_twin_in_its_own_spelling() -> None:
    previous = {"dataset_name": "x", "worktree": {"is_worktree": True},
                "worktreeInfo": {"isWorktree": True, "datasetNote": "n"}}
    canonical = {"dataset_name": "x", "worktree": {"is_worktree": True, "branch": "b"}}
    out = migrate.to_file(canonical, previous)
    assert out == {"dataset_name": "x", "worktree": {"is_worktree": True, "branch": "b"},
                   "worktreeInfo": {"isWorktree": True, "datasetNote": "n", "branch": "b"}}
    assert list(out) == ["dataset_name", "worktree", "worktreeInfo"]


def test_to_file_copies_a_twin_exactly_for_every_alias_but_worktree_info() -> None:
    out = migrate.to_file({"dataset_name": "x", "created_at": {"isWorktree": True}},
                          {"createdAt": {"datasetNote": "n"}})
    assert out == {"dataset_name": "x", "createdAt": {"isWorktree": True}, "created_at": {"isWorktree": True}}


def test_to_file_copies_the_twin_when_worktree_info_was_not_an_object() -> None:
    out = migrate.to_file({"worktree": {"branch": "b"}}, {"worktreeInfo": "junk"})
    assert out == {"worktreeInfo": {"branch": "b"}, "worktree": {"branch": "b"}}


# -- reader: a lone surrogate in a key ----------------------------------------------


def test_a_lone_surrogate_key_is_placed_at_its_own_line_and_column() -> None:
    # A valid pair earlier, more lines after: only the lone one's own line and column fit.
    text = '\n{"a": "\\ud83d\\ude00",\n  "b": 1,\n  "\\udc00": 1\n}\n'
    with pytest.raises(ReadError) as info:
        reader.parse(text)
    assert info.value.problems == (Problem("", "lone UTF-16 surrogate escape (\\ud800-\\udfff) in a string", 4, 3),)


def test_a_lone_surrogate_key_after_a_leading_newline_counts_its_column_from_it() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('\n{"\\udc00": 1}')
    assert (info.value.problems[0].line, info.value.problems[0].col) == (2, 2)


# -- judge.quiet -------------------------------------------------------------------


@pytest.mark.parametrize(("config", "quiet"), [
    ({"dataset_name": "x"}, True),
    ({"dataset_name": ""}, False),  # an error
    ({"mainDatasetName": "a", "dataset_name": "b"}, False),  # a kept alias that disagrees
    ({"dataset_name": "x", "extra": 1}, False),  # an unknown key
    ({"dataset_name": "x", "model": "gpt-9"}, False),  # an unknown model
])
def test_only_a_verdict_run_time_says_nothing_about_is_quiet(config: Dict[str, Any], quiet: bool) -> None:
    assert judge.quiet(judge.judge(config)) is quiet


# -- errors.ConfigError.render -----------------------------------------------------


def test_a_config_error_renders_one_line_per_problem_under_its_filename() -> None:
    error = ConfigError([Problem("a", "bad", 1, 2), Problem("b", "worse")], "c.json")
    assert error.render() == "c.json:1:2: a: bad\nc.json: b: worse"
    assert str(error) == "c.json:1:2: a: bad\nc.json: b: worse"


# -- judge.runtime -----------------------------------------------------------------


def test_runtime_raises_the_errors_under_the_filename() -> None:
    with pytest.raises(ConfigError) as info:
        judge.runtime(judge.judge({"dataset_name": ""}), "c.json")
    assert info.value.filename == "c.json"
    assert str(info.value).startswith("c.json: dataset_name: ")


def _runtime_warnings(config: Dict[str, Any]) -> List[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        judge.runtime(judge.judge(config))
    return record


def test_runtime_warns_about_a_disagreeing_alias_by_its_canonical_path() -> None:
    verdict = judge.judge({"mainDatasetName": "a", "dataset_name": "b"})
    record = _runtime_warnings({"mainDatasetName": "a", "dataset_name": "b"})
    assert [(w.category, str(w.message)) for w in record] == [
        (errors.AliasMismatchWarning, f"dataset_name: {verdict.disagreements[0].message}"),
    ]


def test_runtime_warns_about_an_unknown_key_that_it_keeps() -> None:
    record = _runtime_warnings({"dataset_name": "x", "extra": 1})
    assert [(w.category, str(w.message)) for w in record] == [
        (errors.UnknownKeyWarning, "extra: unknown key 'extra' (kept)"),
    ]


@pytest.mark.skipif(_TRAMPOLINED, reason="mutmut's trampoline adds a frame outside the package")
def test_runtime_warnings_point_at_the_callers_line() -> None:
    record = _runtime_warnings({"mainDatasetName": "a", "dataset_name": "b", "extra": 1})
    assert [w.filename for w in record] == [__file__, __file__]


# -- merge3.show -------------------------------------------------------------------


def test_show_writes_json_on_one_line_escaped_in_its_own_key_order() -> None:
    assert merge3.show({"b": "\u00e9", "a": [1, None]}) == '{"b": "\\u00e9", "a": [1, null]}'
    assert merge3.show(merge3.MISSING) == "(missing)"


# -- migrate: schema_version, auto_process and processing --------------------------


def test_migrate_sets_schema_version_where_the_file_has_it() -> None:
    assert list(migrate.migrate({"dataset_name": "x", "schema_version": 1}).config) == ["dataset_name", "schema_version"]


def test_migrate_adds_schema_version_first_after_schema() -> None:
    config = {"dataset_name": "x", "$schema": "s"}
    assert list(migrate.migrate(config).config) == ["$schema", "schema_version", "dataset_name", "processing"]


def test_migrate_refuses_an_auto_process_that_is_not_a_boolean() -> None:
    with pytest.raises(ConfigError) as info:
        migrate.migrate({"auto_process": 1})
    assert info.value.problems == (Problem("auto_process", "auto_process must be a boolean (true or false)"),)


def test_migrate_refuses_auto_process_beside_a_processing_that_is_not_an_object() -> None:
    with pytest.raises(ConfigError) as info:
        migrate.migrate({"auto_process": True, "processing": "auto"})
    assert info.value.problems == (Problem("processing", "processing must be an object"),)


# -- reader: UTF-32, depth, integers, non-objects ----------------------------------


@pytest.mark.parametrize("data", [
    b"\xff\xfe\x00\x00" + "{}".encode("utf-32-le"),  # with a BOM
    b"\x00\x00\xfe\xff" + "{}".encode("utf-32-be"),
    "{}".encode("utf-32-le"),  # without one: three zero bytes beside the first character
    "{}".encode("utf-32-be"),
    "{".encode("utf-32-le"),  # four bytes are enough
    "{".encode("utf-32-be"),
])
def test_decode_names_utf32_with_or_without_a_bom(data: bytes) -> None:
    with pytest.raises(ReadError) as info:
        reader.decode(data)
    assert info.value.problems == (Problem("", "config file is UTF-32 encoded; save it as UTF-8"),)


def test_the_depth_limit_counts_the_open_brackets_not_the_closed_ones() -> None:
    # Depth 20 after a closed sibling, then 13 more: 33 levels, beyond the limit of 32.
    text = '{"a": ' + "[" * 19 + "[], " + "[" * 13 + "]" * 13 + "]" * 19 + "}"
    with pytest.raises(ReadError) as info:
        reader.parse(text)
    assert info.value.problems == (Problem("", "nesting deeper than 32 levels", 1),)


def test_parse_json_takes_an_integer_of_4300_digits() -> None:
    assert reader.parse_json("7" * 4300) == int("7" * 4300)


@pytest.mark.skipif(not hasattr(sys, "set_int_max_str_digits"), reason="no integer string limit")
def test_parse_json_reports_a_lower_integer_limit_of_the_interpreter_as_invalid_json() -> None:
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(ReadError) as info:
            reader.parse_json("7" * 1000)
    finally:
        sys.set_int_max_str_digits(limit)
    assert info.value.problems[0].message.startswith("Invalid JSON in config file: Exceeds the limit (640")  # 3.9 words it "(640)"


def test_parse_refuses_a_top_level_that_is_not_an_object_at_line_1_column_1() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse("[1]")
    assert info.value.problems == (Problem("", "the configuration must be a JSON object, not list", 1, 1),)


# -- schema.unknown_model ----------------------------------------------------------


def test_an_unknown_model_is_a_problem_of_the_model_field() -> None:
    assert schema.unknown_model({"model": "gpt-9"}) == Problem("model", "'gpt-9' is not a known model name")
    assert schema.unknown_model({"model": None}) is None


# -- jsonvalue.plain ---------------------------------------------------------------


def test_plain_takes_the_json_values_both_validators_agree_on() -> None:
    assert jsonvalue.plain({"a": [1, "x", None, True, 1.5, {"b": []}]})
    assert jsonvalue.plain(1)


@pytest.mark.parametrize("value", [{1: "x"}, [2.0], {"a": float("nan")}, (1,), {"a": {"b": (1,)}}])
def test_plain_refuses_what_the_validators_may_judge_apart(value: Any) -> None:
    assert not jsonvalue.plain(value)


# -- judge.parse and disagreement positions ----------------------------------------


def test_judge_parse_names_the_file_in_its_errors_and_keeps_their_type() -> None:
    with pytest.raises(ReadError) as info:
        judge.parse(b"[1]", "c.json")
    assert info.value.filename == "c.json"
    assert str(info.value) == "c.json:1:1: the configuration must be a JSON object, not list"


def test_a_disagreement_is_placed_at_the_legacy_key() -> None:
    text = '{\n  "mainDatasetName": "a",\n  "dataset_name": "b"\n}'
    problem = judge.judge(json.loads(text), text).disagreements[0]
    assert (problem.path, problem.line, problem.col) == ("dataset_name", 2, 22)


# -- migrate: leftovers, markers, equality, change reports -------------------------


def test_migrate_moves_auto_process_beside_an_explicit_current_schema_version() -> None:
    assert migrate.migrate({"schema_version": 2, "auto_process": True}).config == {
        "schema_version": 2, "processing": {"mode": "auto"},
    }


def test_legacy_markers_name_a_string_version() -> None:
    assert migrate.legacy_markers({"version": "1.0"}) == ["version"]


def test_mismatches_compare_numbers_as_json_does() -> None:
    assert migrate.mismatches({"createdAt": 1, "created_at": 1.0}) == []
    assert migrate.mismatches({"createdAt": True, "created_at": 1}) == [
        migrate.Mismatch("createdAt", "created_at", True, 1),
    ]


def test_describe_notes_a_dropped_worktree_note_only_for_worktree_info() -> None:
    assert migrate.migrate({"createdAt": {"datasetNote": "n"}}).changes == [
        "renamed createdAt to created_at", "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]


def test_describe_compares_worktree_info_to_its_twin_in_the_canonical_spelling() -> None:
    assert migrate.migrate({"worktreeInfo": {"isWorktree": True}, "worktree": {"is_worktree": True}}).changes == [
        "left out worktreeInfo, the legacy twin of worktree (a file keeps it for Code Query's readers)",
        "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]


def test_describe_calls_a_legacy_key_gone_without_its_twin_removed() -> None:
    assert migrate.describe({"createdAt": "x"}, {}) == ["removed createdAt"]


def test_describe_says_an_explicit_mode_wins_over_an_equal_auto_process() -> None:
    assert migrate.migrate({"auto_process": True, "processing": {"mode": "auto"}}).changes == [
        "removed auto_process: true; kept processing.mode 'auto', which wins", "set schema_version to 2",
    ]


def test_describe_says_dataset_name_once_as_the_rename_of_dataset_name_alone() -> None:
    assert migrate.migrate({"datasetName": "x"}).changes == [
        "renamed datasetName to dataset_name", "set schema_version to 2",
        "added processing.mode 'manual' (the default of a file without auto_process)",
    ]


def test_describe_goes_on_after_the_processing_said_with_auto_process() -> None:
    assert migrate.describe({"auto_process": True}, {"processing": {"mode": "auto"}, "model": "x"}) == [
        "moved auto_process: true to processing.mode 'auto'", 'added model: "x"',
    ]


def test_describe_names_the_default_mode_only_for_a_processing_holding_mode_alone() -> None:
    after = {"extra": {"mode": 1}, "processing": {"mode": "auto", "batch_size": 2}, "n": 5}
    assert migrate.describe({}, after) == [
        'added extra: {"mode": 1}', 'added processing: {"mode": "auto", "batch_size": 2}', "added n: 5",
    ]


# -- reader.decode: UTF-16 and invalid UTF-8 ---------------------------------------


@pytest.mark.parametrize("data", [
    b"\xff\xfe" + "{}".encode("utf-16-le"),  # with a BOM
    b"\xfe\xff" + "{}".encode("utf-16-be"),
    "{}".encode("utf-16-le"),  # without one: a zero byte beside the first character
    "{}".encode("utf-16-be"),
    "{".encode("utf-16-le"),  # two bytes are enough
    "{".encode("utf-16-be"),
])
def test_decode_names_utf16_with_or_without_a_bom(data: bytes) -> None:
    with pytest.raises(ReadError) as info:
        reader.decode(data)
    assert info.value.problems == (Problem("", "config file is UTF-16 encoded; save it as UTF-8"),)


def test_decode_places_invalid_utf8_at_the_line_of_the_bad_byte() -> None:
    with pytest.raises(ReadError) as info:
        reader.decode(b'\n{"a": "\xff"}\n\n')
    assert info.value.problems == (Problem("", "config file is not valid UTF-8 (byte 8)", 2),)


# -- schema.with_positions ---------------------------------------------------------

_PROCESSING_TEXT = '{\n  "processing": {\n    "mode": "auto"\n  }\n}\n'


def test_with_positions_places_a_problem_at_its_nearest_located_ancestor() -> None:
    problems = [Problem("processing.mode.x.y", "m"), Problem("processing.nope", "m"), Problem("nope.x", "m"),
                Problem("processing", "m")]
    assert schema.with_positions(problems, _PROCESSING_TEXT) == [
        Problem("processing.mode.x.y", "m", 3, 13), Problem("processing.nope", "m", 2, 17),
        Problem("nope.x", "m", 1, 1), Problem("processing", "m", 2, 17),
    ]
