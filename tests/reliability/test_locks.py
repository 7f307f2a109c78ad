"""The read-modify-write lock (README: "Strict reading" and "Writing"; issue 6): a finite timeout with a message
naming the lock; a lock file left by a killed holder never blocks; nested use in
one thread never deadlocks; lock files live under the git directory, never show
in ``git status`` and are never deleted; a forked child can use the lock too.
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import codequery_gitcfg.cli.main as cli
import pytest
from codequery_gitcfg.api import ConfigManager
from codequery_gitcfg.core.errors import ConfigError, LockTimeoutError
from codequery_gitcfg.store import locking
from codequery_gitcfg.store import manager as store_manager

from support.reliability_helpers import (
    CONFIG_REL,
    Deadline,
    fork_call,
    git,
    init_repo,
    read_ready,
    report,
    scaled,
    seconds,
    strict_read,
    wait_pids,
)

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")]


def _guarded(fn: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Run ``fn`` in a thread; a deadlock becomes a test failure instead of a hung CI job."""
    result: Dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"deadlock: still waiting after {timeout} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _hold_in_child(lock_path: str, ready_fd: int, seconds_: float) -> None:
    with locking.hold(lock_path, timeout=5):
        os.write(ready_fd, b"held")
        time.sleep(seconds_)


@contextlib.contextmanager
def _held_by_other_process(lock_path: str, seconds_: float = 30.0) -> Iterator[int]:
    r, w = os.pipe()
    pid = fork_call(_hold_in_child, lock_path, w, seconds_)
    os.close(w)
    try:
        assert read_ready(r, 10) == b"held", "the child never took the lock"
        yield pid
    finally:
        os.close(r)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def test_lock_timeout_names_the_lock(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    original = cfg.read_bytes()
    manager = ConfigManager(cfg, lock_timeout=0.5)
    lock_path = manager.lock_path
    writes: Dict[str, Callable[[], Any]] = {
        "update": lambda: manager.update(lambda d: d.__setitem__("model", "claude-3-opus-20240229")),
        "update_processing_mode": lambda: manager.update_processing_mode("auto"),
        "save_config": lambda: manager.save_config({"dataset_name": "other"}),
        "migrate_file": manager.migrate_file,
        "create_default_config": manager.create_default_config,
    }
    timed_out = 0
    with _held_by_other_process(lock_path):
        for name, write in writes.items():
            t0 = time.monotonic()
            with pytest.raises(LockTimeoutError) as info:
                write()
            elapsed = time.monotonic() - t0
            assert isinstance(info.value, ConfigError), name
            assert lock_path in str(info.value), f"{name}: {info.value}"
            assert 0.4 <= elapsed < 5, f"{name}: timed out after {elapsed:.2f} s, asked 0.5 s"
            timed_out += 1
        # Reads take no lock: they still work while another process holds it.
        assert manager.load_config()["dataset_name"] == "project"
        assert manager.validate_config_file() == []
    assert cfg.read_bytes() == original
    # The holder is gone: the same manager now writes at once.
    manager.update_processing_mode("auto")
    assert strict_read(cfg)["processing"]["mode"] == "auto"
    report("locks.timeout", writes_timed_out=timed_out)


def test_lock_timeout_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = init_repo(tmp_path / "repo")
    original = cfg.read_bytes()
    lock_path = ConfigManager(cfg).lock_path
    # The CLI builds store.manager.ConfigManager (git.ops.Workspace.open), not the public
    # api.ConfigManager, with the default timeout (10 s): shorten that default for the test.
    kwdefaults = dict(store_manager.ConfigManager.__init__.__kwdefaults__ or {})
    assert kwdefaults.get("lock_timeout") == locking.DEFAULT_TIMEOUT
    kwdefaults["lock_timeout"] = 0.5
    monkeypatch.setattr(store_manager.ConfigManager.__init__, "__kwdefaults__", kwdefaults)
    monkeypatch.chdir(cfg.parent.parent)
    with _held_by_other_process(lock_path):
        capsys.readouterr()
        t0 = time.monotonic()
        assert cli.main(["set", "processing.batch_size", "9"]) == 1
        elapsed = time.monotonic() - t0
        err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"could not take the config lock {lock_path} within 0.5 s" in err, err
    assert 0.4 <= elapsed < 5, f"timed out after {elapsed:.2f} s, asked 0.5 s"
    assert cfg.read_bytes() == original


def _update_forever(cfg: str, ready_fd: int) -> None:
    manager = ConfigManager(cfg)
    deadline = Deadline(30)
    i = 0
    while not deadline.passed:
        manager.update(lambda d, i=i: d["processing"].__setitem__("batch_size", 1 + i % 900))
        if i == 0:
            os.write(ready_fd, b"x")
        i += 1


def test_stale_lock_from_killed_holder_does_not_block(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    manager = ConfigManager(cfg, lock_timeout=1.0)
    lock_path = manager.lock_path
    # 1. Killed while holding the lock (sleeping inside it).
    with _held_by_other_process(lock_path) as pid:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert os.path.exists(lock_path), "the killed holder's lock file should still be there"
        manager.update_processing_mode("auto")  # lock_timeout=1: a blocking stale lock raises
    # 2. Killed at random instants while looping over locked updates.
    rng = random.Random()
    rounds = scaled(30, 1000)
    deadline = Deadline(seconds(10, 600))
    done = 0
    slowest = 0.0
    while done < rounds and not deadline.passed:
        r, w = os.pipe()
        pid = fork_call(_update_forever, str(cfg), w)
        os.close(w)
        assert read_ready(r, 10) == b"x"
        os.close(r)
        time.sleep(rng.uniform(0, 0.01))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        t0 = time.monotonic()
        # lock_timeout=1: a killed holder's lock that blocked would raise LockTimeoutError.
        manager.update(lambda d, done=done: d["processing"].__setitem__("max_retries", done % 100))
        slowest = max(slowest, time.monotonic() - t0)
        assert strict_read(cfg)["processing"]["max_retries"] == done % 100
        done += 1
    # 3. Garbage in a stale lock file (another tool, an old filelock) does not matter either.
    with open(lock_path, "wb") as f:
        f.write(b"12345\nnot a pid\x00" * 10)
    manager.update_processing_mode("manual")
    assert os.path.exists(lock_path)
    report("locks.stale", killed_holders=done + 1, garbage_lock_files=1, slowest_update_after_kill=round(slowest, 3))


def test_nested_use_in_one_thread_never_deadlocks(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    manager = ConfigManager(cfg, lock_timeout=3)
    other = ConfigManager(str(cfg), lock_timeout=3)  # another instance, same file
    lock_path = manager.lock_path
    nested = 0

    def hold_in_hold() -> None:
        with locking.hold(lock_path, 3):
            with locking.hold(lock_path, 3):
                with locking.hold(lock_path, 3):
                    pass

    def update_inside_hold() -> None:
        with locking.hold(lock_path, 3):
            manager.update(lambda d: d["processing"].__setitem__("batch_size", 21))
            other.update_processing_mode("auto")
            other.save_config({"dataset_name": "nested", "processing": {"mode": "auto", "batch_size": 22}})
            assert other.migrate_file().changes == []
            assert other.create_default_config() is False

    def update_inside_update() -> None:
        def change(data: Dict[str, Any]) -> None:
            other.update_processing_mode("manual")  # re-enters the lock from inside update()
            data["processing"]["max_retries"] = 5

        manager.update(change)

    for fn in (hold_in_hold, update_inside_hold, update_inside_update, hold_in_hold):
        _guarded(fn)
        nested += 1
    assert strict_read(cfg)["processing"]["max_retries"] == 5
    # After all that nesting the lock is really free: another process takes it at once.
    r, w = os.pipe()
    pid = fork_call(_hold_in_child, lock_path, w, 0.0)
    os.close(w)
    assert read_ready(r, 5) == b"held", "the nested holds left the lock taken"
    os.close(r)
    assert wait_pids([pid], 10)[pid] == 0
    report("locks.nested", nested_patterns=nested)


def test_lock_excludes_other_threads(tmp_path: Path) -> None:
    """One FileLock object per path serves every thread: re-entrant per thread,
    exclusive between threads."""
    cfg = init_repo(tmp_path / "repo")
    manager = ConfigManager(cfg, lock_timeout=0.3)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with locking.hold(manager.lock_path, 3):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert held.wait(10)
    try:
        with pytest.raises(LockTimeoutError):
            _guarded(lambda: manager.update_processing_mode("auto"))
    finally:
        release.set()
        thread.join(10)
    _guarded(lambda: manager.update_processing_mode("auto"))


def test_lock_files_live_under_git_dir_and_stay(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    manager = ConfigManager(cfg)
    lock_path = Path(manager.lock_path)
    git_dir = Path(git(root, "rev-parse", "--absolute-git-dir").strip())
    assert lock_path.resolve().is_relative_to((git_dir / "codequery-gitcfg").resolve()), lock_path
    inodes = set()
    for i in range(5):
        manager.update(lambda d, i=i: d["processing"].__setitem__("batch_size", 30 + i))
        assert lock_path.exists(), "the lock file must never be deleted after use"
        inodes.add(lock_path.stat().st_ino)
    assert len(inodes) == 1, "the lock file was deleted and re-created between uses"
    # CLI writes too.
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            assert cli.main(["set", "processing.max_retries", "4"]) == 0
            assert cli.main(["unset", "processing.max_retries"]) == 0
    finally:
        os.chdir(cwd)
    status = git(root, "status", "--porcelain", "--ignored", "--untracked-files=all")
    assert status.splitlines() == [f" M {CONFIG_REL}"], status
    assert lock_path.exists()

    # A linked worktree keeps its own lock under its own git directory.
    linked = tmp_path / "linked"
    git(root, "worktree", "add", "-q", str(linked), "-b", "feature")
    linked_manager = ConfigManager(linked / CONFIG_REL)
    linked_manager.update_processing_mode("auto")
    linked_git_dir = Path(git(linked, "rev-parse", "--absolute-git-dir").strip())
    assert Path(linked_manager.lock_path).resolve().is_relative_to(linked_git_dir.resolve())
    assert Path(linked_manager.lock_path).exists()
    assert git(linked, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines() == [f" M {CONFIG_REL}"]
    report("locks.location", lock_files_checked=2)


def _write_once(cfg: str) -> None:
    ConfigManager(cfg, lock_timeout=5).update(lambda d: d["processing"].__setitem__("batch_size", 99))


def test_forked_child_can_take_the_lock_its_parent_used(tmp_path: Path) -> None:
    """A process that wrote the config and then forks (Huey's process workers,
    multiprocessing with fork, a pre-forking server) must be able to write from
    the child. codequery_gitcfg.locking caches one FileLock per path for the
    whole process; filelock >= 4 refuses an instance inherited across fork."""
    import sys

    cfg = init_repo(tmp_path / "repo")
    ConfigManager(cfg).update_processing_mode("auto")  # the parent uses the lock first
    err = tmp_path / "child.stderr"
    pid = os.fork()
    if pid == 0:  # no fork_call here: it would clear the inherited locks, hiding the bug
        code = 1
        try:
            fd = os.open(err, os.O_WRONLY | os.O_CREAT, 0o644)
            os.dup2(fd, 2)
            _write_once(str(cfg))
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(code)
    status = wait_pids([pid], 30)[pid]
    assert status == 0, "the forked child could not write:\n" + err.read_text()
    assert strict_read(cfg)["processing"]["batch_size"] == 99


def test_forked_child_of_a_holder_is_still_excluded(tmp_path: Path) -> None:
    """Forking while holding the lock must not hand the lock to the child: the
    child waits for it like any other process (and here times out)."""
    import sys

    cfg = init_repo(tmp_path / "repo")
    manager = ConfigManager(cfg, lock_timeout=0.5)
    err = tmp_path / "child.stderr"
    with locking.hold(manager.lock_path, 3):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fd = os.open(err, os.O_WRONLY | os.O_CREAT, 0o644)
                os.dup2(fd, 2)
                try:
                    ConfigManager(str(cfg), lock_timeout=0.5).update_processing_mode("auto")
                    code = 3  # took a lock its parent holds
                except LockTimeoutError:
                    code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        status = wait_pids([pid], 30)[pid]
    assert status != 3 << 8, "the child of a lock holder wrote without waiting for the lock"
    assert status == 0, "the child failed:\n" + err.read_text()
    assert strict_read(cfg)["processing"]["mode"] == "manual"


def test_lock_survives_many_processes_contending(tmp_path: Path) -> None:
    """Mutual exclusion across processes: concurrent read-modify-write increments
    of one counter lose nothing."""
    cfg = init_repo(tmp_path / "repo")
    workers, rounds = 4, scaled(25, 500)

    def increment(n: int) -> None:
        manager = ConfigManager(str(cfg), lock_timeout=30)
        for _ in range(n):
            manager.update(lambda d: d["processing"].__setitem__("delay_seconds", d["processing"]["delay_seconds"] + 1))

    ConfigManager(cfg).update(lambda d: d["processing"].__setitem__("delay_seconds", 1))
    pids = [fork_call(increment, rounds) for _ in range(workers)]
    statuses = wait_pids(pids, seconds(60, 1200))
    assert all(s == 0 for s in statuses.values()), statuses
    final = strict_read(cfg)["processing"]["delay_seconds"]
    assert final == 1 + workers * rounds, f"lost {1 + workers * rounds - final} increments"
    report("locks.contention", processes=workers, increments_kept=workers * rounds)
