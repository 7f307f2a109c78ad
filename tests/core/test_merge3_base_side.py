"""base's side of a key merge, what diff3's and zdiff3's markers show between `|||||||` and
`=======` (README: "Git hooks", the merge driver)."""
from __future__ import annotations

from codequery_gitcfg.core.merge3 import base_side, merge3


def test_a_conflict_holds_base_s_value_and_the_rest_is_the_merge() -> None:
    base = {"model": "a", "processing": {"mode": "auto", "batch_size": 5}}
    ours = {"model": "b", "processing": {"mode": "auto", "batch_size": 10}}
    theirs = {"model": "a", "processing": {"mode": "auto", "batch_size": 20}, "exclude_patterns": ["x"]}
    assert base_side(base, ours, theirs) == {"model": "b", "processing": {"mode": "auto", "batch_size": 5},
                                             "exclude_patterns": ["x"]}
    assert list(base_side(base, ours, theirs)) == list(merge3(base, ours, theirs).config)


def test_an_object_both_made_of_a_non_object_holds_base_s_whole_value() -> None:
    base = {"processing": 1}
    ours = {"processing": {"mode": "auto", "batch_size": 10}}
    theirs = {"processing": {"mode": "auto", "batch_size": 20}}
    assert base_side(base, ours, theirs) == {"processing": 1}


def test_a_member_base_did_not_have_is_missing_and_the_inputs_are_not_shared() -> None:
    base = {"keep": [1]}
    ours = {"keep": [1], "new": 1}
    theirs = {"keep": [1], "new": 2}
    side = base_side(base, ours, theirs)
    assert side == {"keep": [1]}
    side["keep"].append(2)
    assert base == {"keep": [1]} and ours["keep"] == [1]
