"""core.env: CODEQUERY_* variables, their parsing and apply_env (README: "Config reference"), in-process."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import pytest
from codequery_gitcfg.core import env
from codequery_gitcfg.core.env import collect
from codequery_gitcfg.core.errors import EnvOverrideError, Problem


@pytest.mark.parametrize(("name", "raw"), [
    ("CODEQUERY_BATCH_SIZE", "1_0"),
    ("CODEQUERY_PROCESSING_MAX_RETRIES", "1_0"),
    ("CODEQUERY_PROCESSING_DELAY_SECONDS", "1_0"),
    ("CODEQUERY_PROCESSING_QUEUE_TIMEOUT", "1_0.5"),
])
def test_numbers_from_the_environment_refuse_python_only_spellings(name: str, raw: str) -> None:
    # int("1_0") and float("1_0.5") are 10 and 10.5 in Python; no shell user means that.
    with pytest.raises(EnvOverrideError, match=f"Invalid value for {name}: '{raw}'"):
        collect({name: raw})

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
