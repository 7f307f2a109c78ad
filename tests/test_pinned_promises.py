"""Documented promises that mutation testing found unpinned (issue 9): each test here
failed against a mutant of the code it guards."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from codequery_gitcfg.core import judge, reader
from codequery_gitcfg.core.env import collect
from codequery_gitcfg.core.errors import EnvOverrideError, ReadError
from codequery_gitcfg.core.migrate import legacy_markers, migrate
from codequery_gitcfg.core.reader import MAX_DEPTH


def test_dollar_schema_stays_first_and_schema_version_follows_it() -> None:
    result = migrate({"$schema": "https://example.invalid/s.json", "datasetName": "a"})
    assert list(result.config)[:2] == ["$schema", "schema_version"]
    assert result.config["$schema"] == "https://example.invalid/s.json"


def test_camel_case_beside_auto_process_is_version_0_and_keeps_the_flag() -> None:
    result = migrate({"datasetName": "a", "auto_process": True})
    assert result.from_version == 0
    assert result.config["processing"] == {"mode": "auto"}  # the v0 step's default does not win
    assert "auto_process" not in result.config


def test_an_explicit_old_schema_version_is_a_legacy_marker() -> None:
    config = {"schema_version": 1, "dataset_name": "x", "processing": {"mode": "manual"}}
    assert legacy_markers(config) == ["schema_version"]
    verdict = judge.judge(config)
    assert verdict.pending and verdict.problems == []
    assert verdict.result.config["schema_version"] == 2


def test_every_error_is_still_reported_after_an_unknown_key() -> None:
    verdict = judge.judge({"aaa_unknown": 1, "dataset_name": "x",
                           "processing": {"batch_size": 0, "bogus": 1, "max_retries": -1}})
    assert {p.path for p in verdict.unknown} == {"aaa_unknown", "processing.bogus"}
    assert {p.path for p in verdict.errors} == {"processing.batch_size", "processing.max_retries"}


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


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_nesting_limit_is_exact_through_the_full_scan(tmp_path: Path) -> None:
    # Enough sibling brackets that the cheap bracket count cannot decide alone.
    siblings = ", ".join(f'"s{i}": []' for i in range(3 * MAX_DEPTH))
    inner = _nested(MAX_DEPTH - 1)  # the outer object makes it MAX_DEPTH levels
    ok = "{" + siblings + ', "deep": ' + inner + "}"
    assert reader.parse(ok)["deep"]["a"]
    too_deep = "{" + siblings + ', "deep": ' + _nested(MAX_DEPTH) + "}"
    with pytest.raises(ReadError, match=f"nesting deeper than {MAX_DEPTH} levels") as info:
        reader.parse(too_deep)
    assert info.value.problems[0].line == 1
    # Brackets inside strings are text, not nesting.
    texty = "{" + siblings + ', "s": "' + "[" * 100 + '", "deep": ' + inner + "}"
    assert reader.parse(texty)["s"] == "[" * 100


def test_nesting_limit_names_the_line(write_config: Callable[..., Path]) -> None:
    text = "{\n" + '"x": 1,\n' * 3 + '"deep": ' + "[\n" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n}\n"
    with pytest.raises(ReadError) as info:
        reader.parse(text)
    assert info.value.problems[0].line == 5 + MAX_DEPTH - 1


def test_judge_is_the_one_place_that_combines_the_rules() -> None:
    # The gate and run time agree on one verdict: the gate refuses what run time warns about.
    config: Any = {"dataset_name": "x", "typo_key": 1}
    verdict = judge.judge(config, json.dumps(config))
    assert [p.path for p in verdict.gate_problems()] == ["typo_key"]
    with pytest.warns(UserWarning, match="typo_key"):
        assert judge.runtime(verdict)["dataset_name"] == "x"
