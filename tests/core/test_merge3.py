"""The three-way merge of configs (core/merge3): unit cases and properties."""
from __future__ import annotations

from typing import Any, Dict

from codequery_gitcfg.core import merge3 as merge3_mod
from codequery_gitcfg.core.merge3 import MISSING, Conflict, merge3, same, show
from hypothesis import given, settings
from hypothesis import strategies as st


def test_changes_on_different_keys_are_both_taken() -> None:
    base = {"dataset_name": "proj", "processing": {"mode": "auto"}, "exclude_patterns": ["dist/*"]}
    ours = {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 9}, "exclude_patterns": ["dist/*"]}
    theirs = {"dataset_name": "proj", "processing": {"mode": "manual"}, "exclude_patterns": ["dist/*", "build/*"]}
    merged = merge3(base, ours, theirs)
    assert merged.conflicts == []
    assert merged.config == {"dataset_name": "proj", "processing": {"mode": "manual", "batch_size": 9},
                             "exclude_patterns": ["dist/*", "build/*"]}

def test_the_same_change_on_both_sides_is_taken_once() -> None:
    merged = merge3({"a": 1}, {"a": 2, "b": [1]}, {"a": 2, "b": [1]})
    assert merged[:2] == ({"a": 2, "b": [1]}, [])

def test_a_deletion_is_a_change() -> None:
    assert merge3({"a": 1, "b": 2}, {"b": 2}, {"a": 1, "b": 3})[:2] == ({"b": 3}, [])
    assert merge3({"a": 1}, {}, {"a": 2}) == ({}, [Conflict(("a",), MISSING, 2)], {"a": 2})

def test_missing_is_not_null() -> None:
    merged = merge3({}, {"a": None}, {})
    assert merged[:2] == ({"a": None}, [])
    merged = merge3({"a": 1}, {"a": None}, {})
    assert merged.conflicts == [Conflict(("a",), None, MISSING)]
    assert merged.conflicts[0].describe() == "a: ours null, theirs (missing)"

def test_lists_are_values() -> None:
    merged = merge3({"x": [1]}, {"x": [1, 2]}, {"x": [0, 1]})
    assert merged.conflicts == [Conflict(("x",), [1, 2], [0, 1])]
    assert merged.config == {"x": [1, 2]}
    assert merged.theirs_side == {"x": [0, 1]}

def test_a_conflict_deep_inside_names_its_dotted_path() -> None:
    merged = merge3({"p": {"mode": "auto", "n": 1}}, {"p": {"mode": "manual", "n": 1}}, {"p": {"mode": "x", "n": 2}})
    assert merged.config == {"p": {"mode": "manual", "n": 2}}
    assert merged.theirs_side == {"p": {"mode": "x", "n": 2}}
    assert [c.describe() for c in merged.conflicts] == ['p.mode: ours "manual", theirs "x"']

def test_objects_added_on_both_sides_merge_by_member() -> None:
    merged = merge3({"p": 1}, {"p": {"a": 1}}, {"p": {"b": 2}})
    assert merged[:2] == ({"p": {"a": 1, "b": 2}}, [])

def test_true_is_not_one() -> None:
    assert not same(True, 1)
    assert same(1, 1.0)
    assert not same("1", 1)
    assert merge3({"a": 1}, {"a": True}, {"a": 1}).config == {"a": True}

def test_key_order_is_ours_and_theirs_new_keys_follow_their_neighbour() -> None:
    merged = merge3({"a": 1, "c": 3}, {"c": 3, "a": 1}, {"a": 1, "b": 2, "c": 3, "d": 4})
    assert list(merged.config) == ["c", "d", "a", "b"]
    assert list(merge3({}, {"b": 1}, {"a": 0, "b": 1}).config) == ["a", "b"]

def test_many_keys_merge_in_linear_time() -> None:
    base = {f"k{i}": i for i in range(50_000)}
    theirs = {**base, **{f"n{i}": i for i in range(50_000)}}
    merged = merge3(base, dict(reversed(base.items())), theirs)  # would take minutes if quadratic
    assert len(merged.config) == 100_000
    assert list(merged.config)[:3] == ["k49999", "n0", "n1"]
    assert list(merged.config)[-1] == "k0"

def test_show_escapes_what_it_prints() -> None:
    assert show("a\x1b[31m\n") == '"a\\u001b[31m\\n"'
    assert show(MISSING) == "(missing)"
    conflict = merge3({}, {"p\x1b": {"k": 1}}, {"p\x1b": {"k": 2}}).conflicts[0]
    assert conflict.path == "p\\x1b.k"  # as core.errors.escape shows it, like every message

# -- properties -----------------------------------------------------------------
KEYS = st.sampled_from(["a", "b", "c", "d"])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "y"]))

VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=3)), max_leaves=8)

CONFIGS = st.dictionaries(KEYS, VALUES, max_size=4)

Config = Dict[str, Any]

PROPERTIES = settings(derandomize=True, max_examples=200, deadline=None)

@PROPERTIES
@given(CONFIGS, CONFIGS)
def test_one_side_unchanged_gives_the_other(base: Dict[str, Any], other: Dict[str, Any]) -> None:
    assert merge3(base, base, other) == (other, [], other)
    assert merge3(base, other, base) == (other, [], other)

@PROPERTIES
@given(CONFIGS, CONFIGS)
def test_identical_sides_merge_to_themselves(base: Dict[str, Any], side: Dict[str, Any]) -> None:
    assert merge3(base, side, side) == (side, [], side)
    assert list(merge3(base, side, side).config) == list(side)

@PROPERTIES
@given(CONFIGS, CONFIGS, CONFIGS)
def test_merging_is_symmetric(base: Config, ours: Config, theirs: Config) -> None:
    one, other = merge3(base, ours, theirs), merge3(base, theirs, ours)
    assert sorted((c.keys, show(c.ours), show(c.theirs)) for c in one.conflicts) == \
        sorted((c.keys, show(c.theirs), show(c.ours)) for c in other.conflicts)
    if not one.conflicts:
        assert same(one.config, other.config)

@PROPERTIES
@given(CONFIGS, CONFIGS, CONFIGS)
def test_every_conflict_is_a_real_disagreement(base: Config, ours: Config, theirs: Config) -> None:
    def at(config: Any, keys: Any) -> Any:
        for key in keys:
            if not isinstance(config, dict) or key not in config:
                return MISSING
            config = config[key]
        return config

    merged = merge3(base, ours, theirs)
    for conflict in merged.conflicts:
        assert same(conflict.ours, at(ours, conflict.keys))
        assert same(conflict.theirs, at(theirs, conflict.keys))
        assert not same(conflict.ours, conflict.theirs)
        assert not same(conflict.ours, at(base, conflict.keys))
        assert not same(conflict.theirs, at(base, conflict.keys))
        assert same(at(merged.config, conflict.keys), conflict.ours)
        assert same(at(merged.theirs_side, conflict.keys), conflict.theirs)
    if not merged.conflicts:
        assert merged.config == merged.theirs_side

@PROPERTIES
@given(CONFIGS, st.dictionaries(KEYS, VALUES, max_size=4), st.dictionaries(KEYS, VALUES, max_size=4))
def test_changes_to_different_keys_never_conflict(base: Config, mine: Config, yours: Config) -> None:
    yours = {k: v for k, v in yours.items() if k not in mine}
    ours, theirs = {**base, **mine}, {**base, **yours}
    merged = merge3(base, ours, theirs)
    assert merged.conflicts == []
    assert same(merged.config, {**base, **mine, **yours})

@PROPERTIES
@given(CONFIGS, CONFIGS, CONFIGS)
def test_the_inputs_are_never_touched_or_shared(base: Config, ours: Config, theirs: Config) -> None:
    import copy

    before = copy.deepcopy((base, ours, theirs))
    merged = merge3(base, ours, theirs)
    assert (base, ours, theirs) == before

    def ids(value: Any) -> set[int]:
        if isinstance(value, dict):
            return {id(value)}.union(*(ids(v) for v in value.values()))
        if isinstance(value, list):
            return {id(value)}.union(*(ids(v) for v in value))
        return set()

    assert not ids(merged.config) & (ids(base) | ids(ours) | ids(theirs))

# -- merge3.show -------------------------------------------------------------------


def test_show_writes_json_on_one_line_escaped_in_its_own_key_order() -> None:
    assert merge3_mod.show({"b": "\u00e9", "a": [1, None]}) == '{"b": "\\u00e9", "a": [1, null]}'
    assert merge3_mod.show(merge3_mod.MISSING) == "(missing)"
