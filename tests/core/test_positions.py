"""core.positions: line and column of every value, from a scanner that never raises."""
from __future__ import annotations

from codequery_gitcfg.core import positions

# -- locate ------------------------------------------------------------------------


def test_line_of_counts_the_newlines_before_the_offset() -> None:
    assert positions.line_of("\nx", 1) == 2
    assert positions.line_of("\nx", 0) == 1
    assert positions.line_of("a\nb\nc", 4) == 3

def test_positions_of_values_after_empty_containers() -> None:
    text = '{"a": {}, "b": [], "c": 1}'
    assert positions.positions(text) == {"": (1, 1), "a": (1, 7), "b": (1, 16), "c": (1, 25)}
    assert positions.spans(text) == {"a": (6, 8), "b": (15, 17), "c": (24, 25), "": (0, 26)}

def test_positions_of_array_elements_and_values_without_spaces() -> None:
    assert positions.positions('{"a":10,"l":[10, 20,  30]}') == {
        "": (1, 1), "a": (1, 6), "l": (1, 13), "l[0]": (1, 14), "l[1]": (1, 18), "l[2]": (1, 23),
    }

def test_positions_of_values_at_the_start_of_a_line() -> None:
    assert positions.positions('{"a":\n1,\n"b":\n[\n2]}') == {"": (1, 1), "a": (2, 1), "b": (4, 1), "b[0]": (5, 1)}

def test_spans_of_strings_holding_spaces_colons_and_brackets() -> None:
    text = '{"a": "x, y: }]", "b": "q\\"r"}'
    assert positions.spans(text) == {"a": (6, 16), "b": (23, 29), "": (0, 30)}

def test_the_scanner_never_raises_on_a_truncated_document() -> None:
    assert positions.positions('["abc') == {"": (1, 1), "[0]": (1, 2)}
    assert positions.positions('{"a": }') == {"": (1, 1), "a": (1, 7)}
    assert positions.positions("[,1]") == {"": (1, 1), "[0]": (1, 2)}

def test_find_token_matches_scalar_tokens_only_not_strings_or_containers() -> None:
    assert positions.find_token('["1", 1]', ".+") == ("[1]", (1, 7))
    assert positions.find_token('{"k": {"n": NaN}}', "NaN") == ("k.n", (1, 13))
    assert positions.find_token("[Xyz]", "Xyz") == ("[0]", (1, 2))

def test_find_value_sees_whole_string_tokens() -> None:
    assert positions.find_value('{"a": 1, "b": "x y"}', lambda token: token == '"x y"') == ("b", (1, 15))
