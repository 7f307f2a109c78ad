"""The fast verdict (fastjsonschema's code generated from schema.json) against the reference (jsonschema).

The fast code may only ever say "valid" where jsonschema, with the strict
integer and number rules, says so too; anything else goes to jsonschema. These
tests compare both on every case of the rules suite and on tens of thousands of
generated configs, valid and invalid, boundaries and line terminators included.
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
from codequery_gitcfg.core import _fastcheck
from codequery_gitcfg.core import schema as schema_mod
from codequery_gitcfg.core.schema import FAST_ENTRY, _get_validator, check, fast_code, fast_valid, plain, schema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from test_rules import CASES

GENERATED = Path(schema_mod.__file__).with_name("_fastcheck.py")


def reference_valid(config: Any) -> bool:
    """jsonschema's verdict with our strict types, bypassing the fast path."""
    return not any(True for _ in _get_validator().iter_errors(config))


def fastjsonschema_valid(config: Any) -> bool:
    try:
        getattr(_fastcheck, FAST_ENTRY)(config)
    except Exception:
        return False
    return True


def agree(config: Any) -> None:
    reference = reference_valid(config)
    assert fast_valid(config) == (reference and plain(config)), config
    if plain(config):
        # The generated code on its own, where it is trusted: the real differential.
        assert fastjsonschema_valid(config) == reference, config
    elif fast_valid(config):
        pytest.fail(f"the fast path judged a value it must leave to jsonschema: {config!r}")
    errors, unknown = check(config)
    assert (not errors and not unknown) == reference, config


def test_the_generated_module_is_what_fastjsonschema_makes_of_schema_json() -> None:
    # CI's check that nobody edited the generated code or forgot to regenerate it:
    # python -m codequery_gitcfg.core.schema rewrites it.
    assert GENERATED.read_text(encoding="utf-8") == fast_code()


@pytest.mark.parametrize("config", [c[0] for c in CASES], ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_every_rules_case_gets_the_same_verdict(config: Dict[str, Any]) -> None:
    agree(config)
    assert not reference_valid(config)


@pytest.mark.parametrize("config", [
    {"dataset_name": "x"},
    {"dataset_name": "a" * 100, "model": "m" * 100},
    {"dataset_name": "x", "processing": {"batch_size": 1000, "delay_seconds": 604800, "max_retries": 100,
                                         "worker_check_interval": 3600, "queue_timeout": 0,
                                         "fallback_to_sync": False, "mode": "auto"}},
    {"dataset_name": "x", "processing": {"worker_check_interval": 0.001, "delay_seconds": 0.5}},
    {"dataset_name": "x", "exclude_patterns": ["*.js", "[abc]*.txt", "[!x].md", "a..b", "..x/y", "dir/"]},
    {"dataset_name": "x", "created_at": "2024-05-01T10:00:00"},
    {"dataset_name": "x", "created_at": "2024-02-29t23:59:60.123+05:30"},
    {"dataset_name": "x", "worktree": {"branch": "feature/x", "main_dataset_name": "m", "is_worktree": True}},
    {"$schema": "https://codequery.dev/schemas/config-v2.json", "schema_version": 2, "dataset_name": "x"},
])
def test_valid_configs_are_valid_on_both_paths(config: Dict[str, Any]) -> None:
    agree(config)
    assert fast_valid(config) and reference_valid(config)


@pytest.mark.parametrize("value", [2.0, 3.0, float("nan"), float("inf"), -float("inf"), True, False, "5", None])
@pytest.mark.parametrize("field", ["batch_size", "max_retries", "delay_seconds", "queue_timeout"])
def test_strict_integers_and_numbers_hold_on_both_paths(field: str, value: Any) -> None:
    config = {"dataset_name": "x", "processing": {field: value}}
    agree(config)
    integral_number = field in ("delay_seconds", "queue_timeout") and isinstance(value, float) \
        and math.isfinite(value) and not isinstance(value, bool)
    assert reference_valid(config) == integral_number
    assert not fast_valid(config)  # 2.0 and NaN are left to jsonschema; the rest are invalid


@pytest.mark.parametrize("config", [
    {"dataset_name": "x", "exclude_patterns": ("a",)},  # a tuple is no JSON array to jsonschema
    {"dataset_name": "x", "processing": {"delay_seconds": 300.0}},
    {"dataset_name": type("Name", (str,), {})("x")},  # a subclass: left to jsonschema's isinstance
])
def test_values_outside_plain_json_go_to_the_reference(config: Dict[Any, Any]) -> None:
    assert not plain(config) and not fast_valid(config)
    agree(config)


TERMINATORS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f", "\x00"]


@pytest.mark.parametrize("end", TERMINATORS)
@pytest.mark.parametrize("field,value", [
    ("dataset_name", "demo"), ("model", "sonnet"), ("created_at", "2024-05-01T10:00:00Z"),
    ("exclude_patterns", "*.js"), ("branch", "main"), ("main_dataset_name", "demo"),
])
def test_no_value_passes_with_a_line_terminator_at_its_end(field: str, value: str, end: str) -> None:
    def config(v: str) -> Dict[str, Any]:
        if field == "exclude_patterns":
            return {"dataset_name": "x", "exclude_patterns": [v]}
        if field in ("branch", "main_dataset_name"):
            return {"dataset_name": "x", "worktree": {field: v}}
        return {"dataset_name": "x", field: v} if field != "dataset_name" else {"dataset_name": v}

    assert reference_valid(config(value)) and fast_valid(config(value))
    for bad in (value + end, end + value):
        agree(config(bad))
        assert not reference_valid(config(bad)), repr(bad)


# -- generated configs ------------------------------------------------------------------
NAME_CHARS = st.sampled_from(list("aZ09_.-") + [" ", "/", "\n", "\r", "\t", "\x00", "\x7f", "\x85", "\x9b",
                                               "\u00e9", "\u2028", "$", "^"])
NAMES = st.one_of(
    st.sampled_from(["", ".", "..", "...", "demo", "demo\n", "a" * 100, "a" * 101, " ", "\t\n"]),
    st.text(NAME_CHARS, max_size=8),
    st.text(NAME_CHARS, min_size=99, max_size=102),
)
NUMBERS = st.one_of(
    st.sampled_from([0, 1, -1, 2, 5, 100, 101, 1000, 1001, 3600, 3601, 604800, 604801, 0.5, -0.5, 2.5,
                     3600.5, 604800.1, 1e-9, 2.0, 0.0, 300.0, float("nan"), float("inf"), True, False,
                     None, "5", [], {}, 10**30]),
    st.integers(-5, 1005),
    st.floats(allow_nan=True, allow_infinity=True),
)
PATTERN_CHARS = st.sampled_from(list("a*?/.[]!\\:Z") + ["..", "\n", "\x00", "\x1f", "\x7f", "\x85", "\x9b",
                                                       "\x9f", "\xa0", "\u2028"])
PATTERNS = st.one_of(
    st.sampled_from(["*.js", "/etc", "\\\\server\\share\\x", "\\x", "C:\\x", "c:", "..", "a/../b", "a\\..\\b",
                     "a/..", "[abc", "abc]", "[!]]", "[]]", "[a]\n", "x" * 256, "x" * 257, ""]),
    st.lists(PATTERN_CHARS, max_size=8).map("".join),
)
DIGITS = st.integers(0, 99).map(lambda n: f"{n:02d}")
DATES = st.one_of(
    st.sampled_from(["yesterday", "", "2024-13-45T99:99", "2024-05-01T10:00:00", "2024-05-01T10:00:00Z",
                     "2024-05-01 10:00:00", "2024-02-30T00:00:00", "2024-04-31T00:00:00", "2024-12-31T23:59:60",
                     "2024-05-01T10:00:00.5+01:00", "2024-05-01T10:00:00+0100", "2024-05-01T24:00:00",
                     "2024-05-01T10:00:00Z\n", "0000-01-01T00:00:00z"]),
    st.builds(lambda y, mo, d, h, mi, s, frac, off, end: f"{y:04d}-{mo}-{d}T{h}:{mi}:{s}{frac}{off}{end}",
              st.integers(0, 9999), DIGITS, DIGITS, DIGITS, DIGITS, DIGITS,
              st.sampled_from(["", ".1", ".123456", "."]),
              st.sampled_from(["", "Z", "z", "+01:00", "-23:59", "+24:00", "+01", "Z "]),
              st.sampled_from(["", "", "", "\n", "x"])),
)
ANY_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                        max_leaves=5)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, value, value, ANY_JSON)


PROCESSING = st.one_of(
    st.fixed_dictionaries({}, optional={
        "mode": st.sampled_from(["manual", "auto", "Manual", "", None, 1]),
        "fallback_to_sync": st.sampled_from([True, False, 0, 1, None, "true"]),
        "batch_size": NUMBERS, "delay_seconds": NUMBERS, "max_retries": NUMBERS,
        "worker_check_interval": NUMBERS, "queue_timeout": NUMBERS,
        "bacth_size": st.integers(),
    }),
    ANY_JSON,
)
CONFIGS = st.fixed_dictionaries({}, optional={
    "dataset_name": _maybe(NAMES),
    "model": _maybe(NAMES),
    "schema_version": st.sampled_from([0, 1, 2, 3, -1, 2.0, "2", True]),
    "$schema": st.sampled_from(["https://codequery.dev/schemas/config-v2.json", 5]),
    "processing": PROCESSING,
    "exclude_patterns": st.one_of(st.lists(_maybe(PATTERNS), max_size=4), ANY_JSON),
    "created_at": _maybe(DATES),
    "worktree": st.one_of(st.fixed_dictionaries({}, optional={
        "branch": _maybe(NAMES), "main_dataset_name": _maybe(NAMES), "is_worktree": st.sampled_from([True, 0]),
        "isWorktree": st.booleans()}), ANY_JSON),
    "modle": st.text(max_size=3),
})
# Most of the cases above are invalid; these are mostly valid, so both verdicts get exercised.
VALID_NAMES = st.text(st.sampled_from(list("abcXYZ019_.-")), min_size=1, max_size=100).filter(
    lambda s: s not in (".", ".."))
MOSTLY_VALID = st.fixed_dictionaries({"dataset_name": VALID_NAMES}, optional={
    "model": VALID_NAMES,
    "processing": st.fixed_dictionaries({}, optional={
        "mode": st.sampled_from(["manual", "auto"]), "fallback_to_sync": st.booleans(),
        "batch_size": st.integers(0, 1001), "delay_seconds": st.one_of(st.integers(-1, 604801), st.floats(0, 604800)),
        "max_retries": st.integers(-1, 101), "worker_check_interval": st.floats(0, 3601),
        "queue_timeout": st.one_of(st.integers(0, 3600), st.floats(-1, 3601)),
    }),
    "exclude_patterns": st.lists(st.text(st.sampled_from(list("ab*?/.[]!_")), min_size=1, max_size=8), max_size=5),
    "created_at": st.builds(lambda y, mo, d, h: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:30:00",
                            st.integers(1970, 2100), st.integers(1, 12), st.integers(1, 31), st.integers(0, 23)),
    "worktree": st.fixed_dictionaries({}, optional={"branch": st.text(max_size=5), "is_worktree": st.booleans()}),
})

def _differential(strategy: st.SearchStrategy[Dict[str, Any]], examples: int) -> List[bool]:
    """Run ``agree`` on ``examples`` generated configs; the reference verdicts seen."""
    seen: List[bool] = []

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    @example({"dataset_name": "demo\n"})
    @example({"dataset_name": "x", "model": "sonnet\n"})
    def run(config: Dict[str, Any]) -> None:
        agree(config)
        seen.append(reference_valid(config))

    run()
    return seen


def test_generated_configs_get_the_same_verdict() -> None:
    seen = _differential(CONFIGS, 1_500) + _differential(MOSTLY_VALID, 1_500)
    assert seen.count(True) > 300 and seen.count(False) > 1000, (seen.count(True), seen.count(False))


@pytest.mark.slow
def test_tens_of_thousands_of_generated_configs_get_the_same_verdict() -> None:
    # A differential that only ever saw invalid configs would prove little: count both.
    seen = _differential(CONFIGS, 20_000) + _differential(MOSTLY_VALID, 10_000)
    assert len(seen) >= 30_000
    assert seen.count(True) > 3_000 and seen.count(False) > 10_000, (seen.count(True), seen.count(False))


# -- the patterns in an ECMA-262 engine ----------------------------------------------------
def _patterns(node: Any) -> List[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for key, sub in node.items() if key not in ("default", "examples") for p in _patterns(sub)]
    if isinstance(node, list):
        return [p for sub in node for p in _patterns(sub)]
    return []


SAMPLES = ["demo", "demo\n", "\ndemo", "demo\r", "demo\u2028", "", " ", "\t\n ", ".", "..", "a/../b", "a/..",
           "..\n", "/x", "\\\\server\\share", "\\x", "C:x", "[abc", "[a]", "[a]\n", "[!]]", "a\x85", "a\x9b",
           "a\x9f", "a\xa0", "a\x00", "caf\u00e9", "2024-05-01T10:00:00", "2024-05-01T10:00:00Z\n",
           "2024-13-45T99:99", "2024-02-29T23:59:60.5+05:30", "2024-04-31T00:00:00", "a" * 50]


def test_every_pattern_means_the_same_in_python_and_in_ecma_262() -> None:
    """Python's re (both validators) against node's RegExp with the u flag (Ajv's engine)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    patterns = sorted(set(_patterns(schema())))
    assert len(patterns) >= 8
    script = ("const [ps, ss] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(ps.map(p => ss.map(s => new RegExp(p, 'u').test(s)))));")
    proc = subprocess.run([node, "-e", script], input=json.dumps([patterns, SAMPLES]), capture_output=True,
                          text=True, check=True)
    ecma = json.loads(proc.stdout)
    import re

    python = [[re.search(p, s) is not None for s in SAMPLES] for p in patterns]
    for p, ours, theirs in zip(patterns, python, ecma):
        assert ours == theirs, (p, [s for s, a, b in zip(SAMPLES, ours, theirs) if a != b])
