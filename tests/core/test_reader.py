"""Strict reading (README: "Strict reading" and "Writing"): each refusal, its message and its line."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

import pytest
from codequery_gitcfg import ConfigManager
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core import reader
from codequery_gitcfg.core.errors import ConfigError, ConflictError, Problem, ReadError
from codequery_gitcfg.core.reader import MAX_DEPTH


def load_error(tmp_path: Path, content: bytes) -> ConfigError:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        ConfigManager(path).load_config()
    return info.value

def only(err: ConfigError) -> tuple[str, str, Optional[int]]:
    assert len(err.problems) == 1, err.problems
    p = err.problems[0]
    return p.path, p.message, p.line

BAD = [
    # (content, message substring, expected line or None, expected dotted path)
    (b'{"dataset_name": "a",\n "dataset_name": "b"}', "duplicate key 'dataset_name'", 2, "dataset_name"),
    (b'{"dataset_name": "a", "processing": {"batch_size": 1,\n "batch_size": 2}}', "duplicate key 'batch_size'", 2,
     "processing.batch_size"),
    (b'{"dataset_name": "a",\n "processing": {"delay_seconds": NaN}}', "NaN is not allowed", 2, "processing.delay_seconds"),
    (b'{"dataset_name": "a",\n\n "x": Infinity}', "Infinity is not allowed", 3, "x"),
    (b'{"dataset_name": "a", "x": [1, -Infinity]}', "-Infinity is not allowed", 1, "x[1]"),
    (b'{"dataset_name": "a",\n "processing": {"delay_seconds": 1e400}}', "overflows to infinity", 2,
     "processing.delay_seconds"),
    (b'{"dataset_name": "a", "x": -1e999}', "overflows to infinity", 1, "x"),
    (b'{"dataset_name": "a", "x": ' + b"9" * 5000 + b"}", "integer with 5000 digits is too long", 1, "x"),
    (b'{"dataset_name": "\\ud800"}', "lone UTF-16 surrogate", 1, "dataset_name"),
    (b'{"dataset_name": "a",\n "x": ["\\udc00z"]}', "lone UTF-16 surrogate", 2, "x[0]"),
    (b"[1, 2]", "must be a JSON object, not list", 1, ""),
    (b'"text"', "must be a JSON object, not str", 1, ""),
    (b"null", "must be a JSON object, not NoneType", 1, ""),
    (b"42", "must be a JSON object, not int", 1, ""),
    (b'{"dataset_name": "a",\n  "model": }', "Invalid JSON in config file: Expecting value", 2, ""),
    (b"", "Invalid JSON in config file", 1, ""),
    # Python 3.13 words these differently ("Illegal trailing comma"); the message is ours on every version.
    (b'{"dataset_name": "a",\n}', "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", 1, ""),
    (b'{"dataset_name": "a", "x": [1,\n  2 ,\n]}',
     "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", 2, ""),
    (b'{"a": 1}\n{"b": 2}', "Invalid JSON in config file: Extra data", 2, ""),
    (b'{"dataset_name": "a\xff"}', "not valid UTF-8", 1, ""),
    (b'{\n\n"dataset_name": "\xc3"}', "not valid UTF-8", 3, ""),
    (b'\xff\xfe{\x00}\x00', "UTF-16", None, ""),
    (b'\xfe\xff\x00{\x00}', "UTF-16", None, ""),
    (b'{\x00"\x00a\x00"\x00', "UTF-16", None, ""),
    (b"[" * 33 + b"]" * 33, "nesting deeper than 32 levels", 1, ""),
    (b'{"a":\n' + b"[" * 40 + b"]" * 40 + b"}", "nesting deeper than 32 levels", 2, ""),
]

@pytest.mark.parametrize("content,needle,line,path", BAD, ids=[b[1][:30] for b in BAD])
def test_refused(tmp_path: Path, content: bytes, needle: str, line: Optional[int], path: str) -> None:
    err = load_error(tmp_path, content)
    assert isinstance(err, ReadError)
    got_path, message, got_line = only(err)
    assert needle in message
    assert got_line == line
    assert got_path == path

def test_exactly_32_levels_is_accepted() -> None:
    text = '{"dataset_name": "a", "x": ' + "[" * 31 + "]" * 31 + "}"
    assert reader.parse(text)["dataset_name"] == "a"

def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"dataset_name": "a", "exclude_patterns": ["' + "[" * 100 + '"]}'
    assert reader.parse(text)["exclude_patterns"] == ["[" * 100]

@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_nesting_never_recursion_error(tmp_path: Path, depth: int) -> None:
    err = load_error(tmp_path, b"[" * depth + b"]" * depth)
    assert "nesting deeper than 32" in str(err)
    err = load_error(tmp_path, b'{"a":' * depth + b"1" + b"}" * depth)
    assert "nesting deeper than 32" in str(err)

def test_valid_surrogate_pair_is_fine() -> None:
    assert reader.parse('{"dataset_name": "\\ud83d\\ude00"}')["dataset_name"] == "\U0001F600"

def test_escaped_backslash_before_u_is_not_a_surrogate() -> None:
    assert reader.parse('{"x": "\\\\ud800"}')["x"] == "\\ud800"

def test_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'\xef\xbb\xbf{"dataset_name": "bom"}')
    assert ConfigManager(path).load_config()["dataset_name"] == "bom"

@pytest.mark.parametrize("marker", ["<<<<<<< HEAD", "=======", ">>>>>>> feature", "||||||| base"])
def test_conflict_markers(tmp_path: Path, marker: str) -> None:
    lines = ['{', '  "dataset_name": "a",', marker, '  "model": "m"', '}']
    err = load_error(tmp_path, "\n".join(lines).encode())
    assert isinstance(err, ConflictError)
    _, message, line = only(err)
    assert "merge conflict" in message and "line 3" in message
    assert line == 3

@pytest.mark.parametrize("content,needle", [(c, n) for c, n, _, _ in BAD])
def test_cli_never_prints_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], content: bytes, needle: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.json").write_bytes(content)
    assert main(["validate", "c.json"]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err and out.out == ""
    assert out.err.startswith("c.json:")
    assert needle in out.err

def test_cli_position_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.json").write_text('{\n  "dataset_name": "a",\n  "dataset_name": "b"\n}\n')
    assert main(["validate", "c.json"]) == 1
    assert capsys.readouterr().err == "c.json:3:3: dataset_name: duplicate key 'dataset_name'\n"

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
    assert info.value.problems == (Problem("", "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", 4, 6),)

def test_parse_reports_a_trailing_comma_on_a_line_after_a_leading_newline() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse("\n[1,]")
    assert info.value.problems[0] == Problem("", "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", 2, 3)

def test_parse_reports_a_trailing_comma_on_the_first_line() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('{"a": 1,}')
    assert info.value.problems == (Problem("", "Invalid JSON in config file: trailing comma (JSON allows none before } or ])", 1, 8),)

def test_parse_reports_other_invalid_json_with_its_line_and_column() -> None:
    with pytest.raises(ReadError) as info:
        reader.parse('{\n  "a" 1\n}')
    assert info.value.problems == (
        Problem("", "Invalid JSON in config file: Expecting ':' delimiter", 2, 7),
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
