"""Strict reading (SPEC 3): each refusal, its message and its line."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import pytest
from codequery_gitcfg import ConfigError, ConfigManager
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core import reader
from codequery_gitcfg.core.errors import ConflictError, ReadError
from codequery_gitcfg.store import files


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
    (b'{"dataset_name": "a",\n  "model": }', "Invalid JSON in config file: Expecting value (line 2 column 12)", 2, ""),
    (b"", "Invalid JSON in config file", 1, ""),
    # Python 3.13 words these differently ("Illegal trailing comma"); the message is ours on every version.
    (b'{"dataset_name": "a",\n}', "Invalid JSON in config file: trailing comma (line 1 column 21)", 1, ""),
    (b'{"dataset_name": "a", "x": [1,\n  2 ,\n]}',
     "Invalid JSON in config file: trailing comma (line 2 column 5)", 2, ""),
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


def test_size_limit(tmp_path: Path) -> None:
    body = b'{"dataset_name": "a", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    err = load_error(tmp_path, body)
    assert "larger than 1048576 bytes (1 MiB)" in str(err)


def test_size_limit_never_reads_past_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (5 * 1024 * 1024))
    total = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        total.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(ReadError):
        files.read_bytes(str(path))
    assert sum(total) == reader.MAX_BYTES + 1


def test_exactly_1_mib_is_accepted(tmp_path: Path) -> None:
    head = b'{"dataset_name": "a"}'
    path = tmp_path / "c.json"
    path.write_bytes(head + b" " * (reader.MAX_BYTES - len(head)))
    assert ConfigManager(path).load_config()["dataset_name"] == "a"


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").mkdir()
    with pytest.raises(ReadError, match="not a regular file"):
        ConfigManager(tmp_path / "config.json").load_config()


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="not a regular file"):
        ConfigManager(fifo).load_config()


def test_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "config.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ReadError, match="not a regular file"):
        ConfigManager(link).load_config()


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Configuration file not found"):
        ConfigManager(tmp_path / "none.json").load_config()


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
