"""core.fmt: the file's own formatting, kept across rewrites."""
from __future__ import annotations

from codequery_gitcfg.core import fmt

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
    assert out == b'{\n  "l": [{"a":  1}, 2]\n}'  # a one-line list stays on one line (README: Writing)

def test_dump_copies_unchanged_elements_of_a_top_level_list_verbatim() -> None:
    out = fmt.dump([[1,  2], 4], fmt.detect("[[1,  2], 3]"))
    assert out == b"[\n  [1,  2],\n  4\n]"

def test_dump_rewrites_a_changed_value_even_when_it_is_equal_in_python() -> None:
    source = '{"a": 1, "b": 1, "l": [1,  2]}'
    out = fmt.dump({"a": True, "b": 2, "l": [1, 3]}, fmt.detect(source))
    assert out == b'{\n  "a": true,\n  "b": 2,\n  "l": [1, 3]\n}'

def test_dump_finds_the_camel_case_spelling_of_a_renamed_key() -> None:
    source = '{"excludePatterns": ["a",  "b"], "worktreeInfo": {"branch": "\\u0062r", "isWorktree": true}}'
    config = {"exclude_patterns": ["a", "b"], "worktree": {"branch": "br"}}
    assert fmt.dump(config, fmt.detect(source)) == (
        b'{\n  "exclude_patterns": ["a",  "b"],\n  "worktree": {"branch": "\\u0062r"}\n}'
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
