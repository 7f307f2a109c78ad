"""A write never races git (issue 22, row 4; README: "Writing").

While a git command holds ``<git dir>/index.lock`` (merge, checkout, rebase, stash), it
may be about to write the config itself, and would overwrite an edit made meanwhile. A
write waits a bounded time for the lock to go, then refuses, naming it; the file is
untouched. The pre-commit hook, which git runs while it holds that lock (``commit -a``,
``commit -- path``), still migrates the working file.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg import ConfigManager
from codequery_gitcfg.core.errors import ConfigError

from support.hooks import CONFIG, cli, install, run_git
from support.repos import LEGACY_AUTO, VALID, git

WAIT_VAR = "CODEQUERY_GITCFG_GIT_WAIT"


@pytest.fixture
def committed(repo: Path, write_config: Callable[..., Path]) -> Path:
    path = write_config(VALID)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "config")
    return path


def test_set_refuses_while_git_holds_the_index_lock_then_works_once_it_is_gone(
        repo: Path, committed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAIT_VAR, "0.3")
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    before = committed.read_bytes()
    started = time.monotonic()
    code, out, err = cli(repo, "set", "processing.batch_size", "10")
    waited = time.monotonic() - started
    assert code == 1, out + err
    assert str(lock) in err and "a git command is running" in err
    assert "Traceback" not in err
    assert waited >= 0.3  # it waited for git first
    assert committed.read_bytes() == before

    for argv in (("unset", "processing.batch_size"), ("migrate",)):
        code, out, err = cli(repo, *argv)
        assert committed.read_bytes() == before, argv
    lock.unlink()
    code, out, err = cli(repo, "set", "processing.batch_size", "10")
    assert code == 0, out + err
    assert json.loads(committed.read_text())["processing"]["batch_size"] == 10


def test_a_lock_that_goes_during_the_wait_lets_the_write_through(
        repo: Path, committed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAIT_VAR, "10")
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    timer = threading.Timer(0.3, lock.unlink)
    timer.start()
    try:
        code, out, err = cli(repo, "set", "processing.batch_size", "7")
    finally:
        timer.join()
    assert code == 0, out + err
    assert json.loads(committed.read_text())["processing"]["batch_size"] == 7


def test_the_api_refuses_with_a_config_error_and_leaves_the_file(
        repo: Path, committed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAIT_VAR, "0.1")
    (repo / ".git" / "index.lock").write_bytes(b"")
    before = committed.read_bytes()
    manager = ConfigManager(committed)
    writes: list[Callable[[], None]] = [lambda: manager.update_processing_mode("auto"),
                                        lambda: manager.save_config({**VALID, "model": "opus"})]
    for write in writes:
        with pytest.raises(ConfigError, match=r"index\.lock exists"):
            write()
        assert committed.read_bytes() == before
    assert manager.load_config()["processing"]["mode"] == "manual"  # reads take no lock


def test_a_process_git_runs_while_it_holds_the_lock_is_not_blocked(
        repo: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # A hook of `git commit -a` (the pre-commit framework's fixer, a hook of Code Query's)
    # runs with GIT_INDEX_FILE naming the locked index: git holds the lock for it.
    path = write_config(LEGACY_AUTO)
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")
    monkeypatch.setenv(WAIT_VAR, "30")
    monkeypatch.setenv("GIT_INDEX_FILE", str(lock))
    started = time.monotonic()
    code, out, err = cli(repo, "migrate")
    assert code == 0, out + err
    assert time.monotonic() - started < 10
    assert json.loads(path.read_text())["processing"] == {"mode": "auto"}


@pytest.mark.parametrize("how", [["-a"], ["--", CONFIG]])
def test_the_pre_commit_hook_migrates_the_working_file_while_git_holds_the_lock(
        repo: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, how: list[str]) -> None:
    monkeypatch.setenv(WAIT_VAR, "30")  # blocked, the commit would take 30 s and then fail
    install(repo)
    write_config(VALID)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "config", "--no-verify")
    path = write_config(LEGACY_AUTO)  # an old-shaped edit, staged by the commit itself
    started = time.monotonic()
    proc = run_git(repo, "commit", "-qm", "legacy edit", *how, check=False, **{WAIT_VAR: "30"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - started < 20
    assert "migrated the staged" in proc.stderr
    committed_now = json.loads(git(repo, "show", f"HEAD:{CONFIG}").stdout)
    assert committed_now["processing"]["mode"] == "auto" and "auto_process" not in committed_now
    assert json.loads(path.read_text()) == committed_now  # the working file was migrated with it
    assert git(repo, "status", "--porcelain").stdout == ""
