"""core.judge: the one place that combines migration, the schema's errors, unknown keys and
alias disagreements, for the gate and for run time."""
from __future__ import annotations

import json
import math
import warnings
from typing import Any, Dict, List

import pytest
from codequery_gitcfg.core import errors, judge, schema
from codequery_gitcfg.core.errors import ConfigError, Problem
from codequery_gitcfg.core.migrate import CURRENT_VERSION_NAME


def test_every_error_is_still_reported_after_an_unknown_key() -> None:
    verdict = judge.judge({"aaa_unknown": 1, "dataset_name": "x",
                           "processing": {"batch_size": 0, "bogus": 1, "max_retries": -1}})
    assert {p.path for p in verdict.unknown} == {"aaa_unknown", "processing.bogus"}
    assert {p.path for p in verdict.errors} == {"processing.batch_size", "processing.max_retries"}

def test_judge_is_the_one_place_that_combines_the_rules() -> None:
    # The gate and run time agree on one verdict: the gate refuses what run time warns about.
    config: Any = {"dataset_name": "x", "typo_key": 1}
    verdict = judge.judge(config, json.dumps(config))
    assert [p.path for p in verdict.gate_problems()] == ["typo_key"]
    with pytest.warns(UserWarning, match="typo_key"):
        assert judge.runtime(verdict)["dataset_name"] == "x"

# mutmut 3 runs each core function behind a trampoline (a frame of its own, outside the
# package): a test of frame counting can only judge the real functions.
_TRAMPOLINED = "mutmut" in schema.caller_stacklevel.__code__.co_filename

# -- judge: gate problems, writability, disagreements -------------------------------


def test_gate_problems_put_a_pending_migration_first_naming_the_default_fix() -> None:
    verdict = judge.judge({"datasetName": "x", "auto_process": True, "zzzz": 1})
    assert verdict.gate_problems() == [
        Problem("", f"pending migration to {CURRENT_VERSION_NAME} (legacy keys: datasetName, auto_process); "
                    "run `codequery-gitcfg migrate` to fix it", 1, 1),
        Problem("zzzz", "unknown key 'zzzz'"),
    ]

def test_gate_problems_name_the_given_fix() -> None:
    verdict = judge.judge({"datasetName": "x"})
    assert verdict.gate_problems("codequery-gitcfg migrate cfg.json") == [
        Problem("", f"pending migration to {CURRENT_VERSION_NAME} (legacy keys: datasetName); "
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

def test_a_disagreement_is_placed_at_the_legacy_key() -> None:
    text = '{\n  "mainDatasetName": "a",\n  "dataset_name": "b"\n}'
    problem = judge.judge(json.loads(text), text).disagreements[0]
    assert (problem.path, problem.line, problem.col) == ("dataset_name", 2, 22)
