"""The run-time memo (issue 13): a config judged once is not judged again in a new process
while its bytes and the rules are unchanged, and no bad memo is ever believed.

``effective-config`` keeps the run-time result of the last clean contents; ``valid-content``
the ids of effective configs with overrides that passed."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, effective_config
from codequery_gitcfg.core import schema as schema_mod
from codequery_gitcfg.store import cache, memo

from support.repos import VALID

CONFIG = ".code-query/config.json"


def memo_file(repo: Path) -> Path:
    return repo / ".git" / "codequery-gitcfg" / "valid-content"


def kept_file(repo: Path) -> Path:
    return repo / ".git" / "codequery-gitcfg" / "effective-config"


def entry(content: str, body: bytes, digest: str | None = None) -> bytes:
    """An effective-config entry as memo.keep writes it (``digest`` to plant a wrong one)."""
    digest = memo._sha256(body).hexdigest() if digest is None else digest
    return f"{memo.rules_key()}\n{content}\n{digest}\n".encode() + body


def in_new_process(repo: Path) -> dict:  # type: ignore[type-arg]
    code = "import json, codequery_gitcfg as c; print(json.dumps(c.effective_config()))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


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


def test_a_judged_config_is_kept_by_content_under_the_rules_key(
        repo: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(VALID)
    calls = count_checks(monkeypatch)
    loaded = fresh_load(repo)
    key, content, digest, body = kept_file(repo).read_bytes().split(b"\n", 3)
    assert (key.decode(), content.decode()) == (memo.rules_key(), memo.content_id(path.read_bytes()))
    assert digest.decode() == memo._sha256(body).hexdigest() and json.loads(body) == loaded
    assert fresh_load(repo) == loaded
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
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        effective_config(repo)


@pytest.mark.parametrize(("config", "warning"), [
    ({"dataset_name": "x", "extra": 1}, "extra"),  # an unknown key
    ({"dataset_name": "x", "model": "gpt-9"}, "gpt-9"),  # an unknown model
    ({"mainDatasetName": "a", "dataset_name": "b"}, "disagree"),  # a kept alias that disagrees
])
def test_a_config_that_warns_is_never_kept_and_warns_on_every_load(
        repo: Path, write_config: Callable[..., Path], config: dict, warning: str) -> None:  # type: ignore[type-arg]
    write_config(config)
    for _ in range(2):
        with pytest.warns(UserWarning, match=warning):
            fresh_load(repo)
    assert not kept_file(repo).exists()


def test_an_invalid_config_is_never_kept(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    with pytest.raises(ConfigError):
        fresh_load(repo)
    assert not kept_file(repo).exists()


@pytest.mark.parametrize("damage", ["corrupt", "foreign rules", "other content", "cut short", "too long",
                                    "wrong digest", "not an object"])
def test_a_bad_entry_is_ignored_and_started_again(repo: Path, write_config: Callable[..., Path],
                                                   monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    path = write_config(VALID)
    content = memo.content_id(path.read_bytes())
    forged = json.dumps({"dataset_name": "forged"}).encode()
    planted = {
        "corrupt": b"\xff\xfe garbage \x00\n",
        "foreign rules": entry(content, forged).replace(memo.rules_key().encode(), b"rules 0.0.0 other"),
        "other content": entry("sha256:" + "0" * 64, forged),
        "cut short": entry(content, forged)[:-3],  # a killed writer: the digest no longer matches
        "too long": entry(content, b" " * memo.LIMIT + forged),
        "wrong digest": entry(content, forged, digest="0" * 64),
        "not an object": entry(content, b"[1, 2]"),
    }[damage]
    kept_file(repo).parent.mkdir(parents=True)
    kept_file(repo).write_bytes(planted)
    calls = count_checks(monkeypatch)
    assert effective_config(repo)["dataset_name"] == VALID["dataset_name"]
    assert fresh_load(repo)["dataset_name"] == VALID["dataset_name"]
    assert len(calls) == 1  # judged, not believed
    assert kept_file(repo).read_bytes().split(b"\n", 2)[:2] == [memo.rules_key().encode(), content.encode()]
    assert in_new_process(repo)["dataset_name"] == VALID["dataset_name"]
    fresh_load(repo)
    assert len(calls) == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to plant another user's file")
def test_an_entry_of_another_user_is_never_believed(repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(VALID)
    content = memo.content_id(path.read_bytes())
    kept_file(repo).parent.mkdir(parents=True)
    kept_file(repo).write_bytes(entry(content, json.dumps({"dataset_name": "forged"}).encode()))
    os.chown(kept_file(repo), 65534, 65534)
    assert effective_config(repo)["dataset_name"] == VALID["dataset_name"]
    assert fresh_load(repo)["dataset_name"] == VALID["dataset_name"]
    assert in_new_process(repo)["dataset_name"] == VALID["dataset_name"]


def test_an_entry_that_is_a_symlink_is_neither_read_nor_written_through(
        repo: Path, tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(VALID)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(entry(memo.content_id(path.read_bytes()), json.dumps({"dataset_name": "forged"}).encode()))
    before = outside.read_bytes()
    kept_file(repo).parent.mkdir(parents=True)
    kept_file(repo).symlink_to(outside)
    calls = count_checks(monkeypatch)
    assert fresh_load(repo)["dataset_name"] == VALID["dataset_name"]
    assert len(calls) == 1 and outside.read_bytes() == before
    assert not kept_file(repo).is_symlink()  # replaced by an entry of ours


def test_a_fifo_entry_never_blocks_a_read(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    kept_file(repo).parent.mkdir(parents=True)
    os.mkfifo(kept_file(repo))
    done = threading.Event()

    def load() -> None:
        fresh_load(repo)
        effective_config(repo)
        done.set()

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(20)
    assert done.is_set(), "a FIFO in place of the entry blocked the load"


def test_the_quick_read_never_follows_a_symlink_out_of_the_worktree(
        repo: Path, tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # The kept entry matches the bytes outside; the whole way refuses the path, and so must
    # the quick read, which only ever reads a real .code-query folder's regular file.
    path = write_config(VALID)
    fresh_load(repo)
    outside = tmp_path / "elsewhere"
    shutil.move(str(path.parent), str(outside))
    (repo / ".code-query").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside"):
        effective_config(repo)
    proc = subprocess.run([sys.executable, "-c", "import codequery_gitcfg as c; c.effective_config()"], cwd=repo,
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "outside" in proc.stderr


def test_a_config_that_is_a_symlink_inside_the_worktree_is_read_the_whole_way(
        repo: Path, write_config: Callable[..., Path]) -> None:
    real = write_config(VALID, "conf/real.json")
    (repo / ".code-query").mkdir()
    (repo / CONFIG).symlink_to(real)
    first = in_new_process(repo)
    assert first == in_new_process(repo) and first["dataset_name"] == VALID["dataset_name"]


def test_a_named_file_is_never_given_the_default_files_entry(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    other = write_config({"dataset_name": "other"}, "conf/other.json")
    assert effective_config(repo)["dataset_name"] == VALID["dataset_name"]  # kept
    assert effective_config(other)["dataset_name"] == "other"
    assert effective_config(repo / "conf")["dataset_name"] == VALID["dataset_name"]  # a folder: its worktree's file


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
    assert kept_file(repo).exists()


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


def test_keeping_a_result_never_waits_on_the_disk(repo: Path, write_config: Callable[..., Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A torn entry is caught by its digest, so a read that keeps one never fsyncs;
    # a write of the config itself still does.
    write_config(VALID)
    synced: list = []  # type: ignore[type-arg]
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    fresh_load(repo)
    assert kept_file(repo).exists() and synced == []
    ConfigManager(repo / CONFIG).update_processing_mode("auto")
    assert synced


def test_a_result_that_cannot_be_kept_whole_is_not_kept(tmp_path: Path) -> None:
    path = str(tmp_path / "codequery-gitcfg" / memo.SNAPSHOT)
    content = memo.content_id(b"{}")
    memo.keep(path, content, {"x": float("nan")})  # not JSON
    memo.keep(path, content, {"x": "y" * memo.LIMIT})  # larger than an entry may be
    assert not os.path.lexists(path)
    memo.keep(path, content, {"x": 1})
    assert memo.recall(path, content) == {"x": 1}
    assert memo.recall(path, memo.content_id(b"[]")) is None


def test_no_result_is_kept_through_a_symlinked_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "codequery-gitcfg").symlink_to(elsewhere)
    memo.keep(str(tmp_path / "codequery-gitcfg" / memo.SNAPSHOT), memo.content_id(b"{}"), {"x": 1})
    assert list(elsewhere.iterdir()) == []
