"""The run-time verdict memo (issue 13): a config judged once is not judged again in a new
process while its bytes and the rules are unchanged, and no bad memo is ever believed."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, effective_config
from codequery_gitcfg.core import schema as schema_mod
from codequery_gitcfg.store import cache, memo

from conftest import VALID

CONFIG = ".code-query/config.json"


def memo_file(repo: Path) -> Path:
    return repo / ".git" / "codequery-gitcfg" / "valid-content"


def fresh_load(repo: Path) -> dict:  # type: ignore[type-arg]
    """A load as a new process makes it: no in-process cache entry."""
    cache.forget(str((repo / CONFIG).resolve()))
    return ConfigManager(repo / CONFIG).load_config()


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    calls: list = []  # type: ignore[type-arg]
    real = schema_mod.check

    def counting(config):  # type: ignore[no-untyped-def]
        calls.append(config)
        return real(config)

    monkeypatch.setattr("codequery_gitcfg.core.judge.check", counting)
    return calls


def test_a_judged_config_is_remembered_by_content_under_the_rules_key(
        repo: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(VALID)
    calls = count_checks(monkeypatch)
    assert fresh_load(repo)["dataset_name"] == VALID["dataset_name"]
    lines = memo_file(repo).read_text().splitlines()
    assert lines == [memo.rules_key(), memo.content_id(path.read_bytes())]
    assert fresh_load(repo)["dataset_name"] == VALID["dataset_name"]
    assert len(calls) == 1  # the second load trusted the memo for these exact bytes
    assert os.popen(f"git -C {repo} status --porcelain --ignored").read() == "?? .code-query/\n"


def test_a_same_size_rewrite_within_one_tick_is_judged_again(
        repo: Path, write_config: Callable[..., Path]) -> None:
    good = json.dumps({"dataset_name": "abc", "processing": {"batch_size": 5}}).encode()
    bad = json.dumps({"dataset_name": "abc", "processing": {"batch_size": 0}}).encode()
    assert len(good) == len(bad)
    path = write_config(good)
    fresh_load(repo)
    st = os.stat(path)
    with open(path, "r+b") as f:  # same inode, same size
        f.write(bad)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        fresh_load(repo)


def test_an_invalid_config_or_one_with_unknown_keys_is_never_remembered(
        repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    with pytest.raises(ConfigError):
        fresh_load(repo)
    write_config({"dataset_name": "x", "extra": 1})
    with pytest.warns(UserWarning, match="extra"):
        fresh_load(repo)
    assert not memo_file(repo).exists()


@pytest.mark.parametrize("planted", [
    b"\xff\xfe garbage \x00\n",  # corrupt
    b"rules 0.0.0 other\nsha256:" + b"0" * 64 + b"\n",  # foreign rules
    None,  # truncated: the right key, the id cut short by a killed writer
    b"x" * (memo.LIMIT + 10),  # too long
])
def test_a_bad_memo_is_ignored_and_started_again(repo: Path, write_config: Callable[..., Path],
                                                 monkeypatch: pytest.MonkeyPatch, planted: bytes | None) -> None:
    path = write_config(VALID)
    content = memo.content_id(path.read_bytes())
    if planted is None:
        planted = f"{memo.rules_key()}\n{content[:-7]}".encode()
    memo_file(repo).parent.mkdir(parents=True)
    memo_file(repo).write_bytes(planted)
    calls = count_checks(monkeypatch)
    fresh_load(repo)
    assert len(calls) == 1  # judged, not believed
    assert memo_file(repo).read_text().splitlines() == [memo.rules_key(), content]
    fresh_load(repo)
    assert len(calls) == 1


def test_a_memo_that_is_a_symlink_is_neither_read_nor_written_through(
        repo: Path, tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(VALID)
    outside = tmp_path / "outside.txt"
    outside.write_text(f"{memo.rules_key()}\n{memo.content_id(path.read_bytes())}\nsomeone else's file\n")
    before = outside.read_bytes()
    memo_file(repo).parent.mkdir(parents=True)
    memo_file(repo).symlink_to(outside)
    calls = count_checks(monkeypatch)
    fresh_load(repo)
    assert len(calls) == 1 and outside.read_bytes() == before
    assert not memo_file(repo).is_symlink()  # replaced by a memo of ours


def test_a_fifo_memo_never_blocks_a_read(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    memo_file(repo).parent.mkdir(parents=True)
    os.mkfifo(memo_file(repo))
    done = threading.Event()

    def load() -> None:
        fresh_load(repo)
        done.set()

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(20)
    assert done.is_set(), "a FIFO in place of the memo blocked the load"


def test_env_overrides_are_applied_and_checked_on_every_call(
        repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    assert effective_config(repo, environ={})["processing"]["batch_size"] == VALID["processing"].get("batch_size", 5)
    assert effective_config(repo, environ={"CODEQUERY_BATCH_SIZE": "3"})["processing"]["batch_size"] == 3
    with pytest.raises(ConfigError, match=re.escape("Invalid value for CODEQUERY_BATCH_SIZE: '0'. batch_size must be")):
        effective_config(repo, environ={"CODEQUERY_BATCH_SIZE": "0"})
    with pytest.raises(ConfigError, match=re.escape("Invalid value for CODEQUERY_DATASET_NAME: 'evil\\n'")):
        effective_config(repo, environ={"CODEQUERY_DATASET_NAME": "evil\n"})


def test_a_new_process_hit_gives_the_same_config(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"datasetName": "legacy", "auto_process": True})  # migrated in memory, on a hit too
    code = "import json, codequery_gitcfg as c; print(json.dumps(c.effective_config()))"
    runs = [subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout
    assert json.loads(runs[1].stdout)["processing"]["mode"] == "auto"
    assert memo_file(repo).exists()


def test_an_effective_config_with_overrides_that_passed_is_not_checked_again(
        repo: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(VALID)
    calls = count_checks(monkeypatch)
    environ = {"CODEQUERY_BATCH_SIZE": "3", "CODEQUERY_PROCESSING_DELAY_SECONDS": "0.5"}
    assert effective_config(repo, environ=environ)["processing"]["batch_size"] == 3
    checked = len(calls)
    assert any(line.startswith("json:") for line in memo_file(repo).read_text().splitlines())
    assert effective_config(repo, environ=environ)["processing"]["delay_seconds"] == 0.5
    assert len(calls) == checked
    # other values are judged, and a bad one is never remembered
    with pytest.raises(ConfigError, match="Invalid value for CODEQUERY_BATCH_SIZE: '1001'"):
        effective_config(repo, environ={"CODEQUERY_BATCH_SIZE": "1001"})
    with pytest.raises(ConfigError, match="Invalid value for CODEQUERY_BATCH_SIZE: '1001'"):
        effective_config(repo, environ={"CODEQUERY_BATCH_SIZE": "1001"})


def test_data_ids_name_exactly_one_value() -> None:
    assert memo.data_id({"a": 2}) != memo.data_id({"a": 2.5}) != memo.data_id({"a": "2"})
    assert memo.data_id({"a": 1, "b": [True]}) == memo.data_id({"b": [True], "a": 1})
    assert memo.data_id({"a": True}) != memo.data_id({"a": 1})
    for odd in ({"a": 2.0}, {"a": float("nan")}, {"a": ("x",)}):
        assert memo.data_id(odd) is None  # left to the validators, never remembered
