"""store.files: the strict read of a file (size limit, regular files only, a missing file)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from codequery_gitcfg import ConfigError, ConfigManager
from codequery_gitcfg.core import reader
from codequery_gitcfg.core.errors import ReadError
from codequery_gitcfg.store import files


def load_error(tmp_path: Path, content: bytes) -> ConfigError:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        ConfigManager(path).load_config()
    return info.value

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
