"""Tests for codequery_gitcfg.huey_bridge, against real Huey storages (no mocks)."""
# huey ships no type information, so every @huey.task() is an untyped decorator.
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import datetime
import importlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

import huey
import pytest
from codequery_gitcfg import ConfigError
from codequery_gitcfg.huey_bridge import (
    DEFAULT_WORKER_HINT,
    HEARTBEAT_KEY,
    HEARTBEAT_MAX_AGE,
    HUEY_NAME,
    DispatchPlan,
    EnqueueResult,
    default_huey,
    default_pid_file,
    dispatch,
    enqueue,
    install_heartbeat,
    last_heartbeat,
    plan_dispatch,
    worker_alive,
    worker_running,
)
from huey import MemoryHuey, SqliteHuey

from support import huey_helpers
from support.huey_helpers import wait_for

REPO_ROOT = Path(__file__).resolve().parents[1]

# Variables git sets for hooks; if the suite runs from a hook they must not
# point our `git` calls at the outer repository.
_GIT_ENV_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")


@pytest.fixture(autouse=True)
def _clean_git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in _GIT_ENV_VARS:
        monkeypatch.delenv(var, raising=False)


def make_config(
    mode: str = "manual",
    *,
    fallback_to_sync: bool = True,
    batch_size: int = 5,
    delay_seconds: float = 300,
    max_retries: int = 2,
    dataset_name: str = "my-project",
) -> Dict[str, Any]:
    return {
        "dataset_name": dataset_name,
        "processing": {
            "mode": mode,
            "fallback_to_sync": fallback_to_sync,
            "batch_size": batch_size,
            "delay_seconds": delay_seconds,
            "max_retries": max_retries,
            "worker_check_interval": 5,
            "queue_timeout": 30,
        },
    }


FILES = [f"src/f{i}.py" for i in range(7)]


def utcnow() -> datetime.datetime:
    # Huey (utc=True, the default) stores naive UTC etas.
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git("init", "-q", cwd=path)
    return path


@pytest.fixture
def sqlite_huey(tmp_path: Path) -> Iterator[SqliteHuey]:
    q = SqliteHuey("test", filename=str(tmp_path / "q.db"))
    yield q
    q.storage.close()


# --------------------------------------------------------------------------- plans


def test_manual_mode_processes_synchronously_even_with_a_worker() -> None:
    for running in (True, False):
        plan = plan_dispatch(make_config("manual"), FILES[:2], running)
        assert plan.action == "sync"
        assert plan.batches == (("src/f0.py", "src/f1.py"),)
        assert plan.message == ""
        assert plan.dataset_name == "my-project"


def test_auto_mode_with_live_worker_enqueues() -> None:
    plan = plan_dispatch(make_config("auto", delay_seconds=42, max_retries=7), FILES[:3], True)
    assert plan.action == "enqueue"
    assert plan.delay == 42
    assert plan.retries == 7
    assert plan.message == ""


def test_auto_mode_without_worker_falls_back_to_sync() -> None:
    plan = plan_dispatch(make_config("auto", fallback_to_sync=True), FILES[:3], False)
    assert plan.action == "sync"
    assert plan.files == tuple(FILES[:3])
    assert "not running" in plan.message
    assert "synchronous" in plan.message
    assert DEFAULT_WORKER_HINT in plan.message


def test_auto_mode_without_worker_and_without_fallback_skips() -> None:
    plan = plan_dispatch(make_config("auto", fallback_to_sync=False), FILES[:3], False)
    assert plan.action == "skip"
    assert "not running" in plan.message
    assert "fallback_to_sync" in plan.message
    assert "3 file(s) not processed" in plan.message
    assert DEFAULT_WORKER_HINT in plan.message
    # The files are still described, so the caller can say which were left out.
    assert plan.files == tuple(FILES[:3])


def test_worker_hint_is_configurable() -> None:
    plan = plan_dispatch(
        make_config("auto", fallback_to_sync=False), FILES[:1], False, worker_hint="huey_consumer t.huey"
    )
    assert "Start the worker with: huey_consumer t.huey" in plan.message


@pytest.mark.parametrize(
    ("mode", "fallback", "running"),
    [("manual", True, False), ("auto", True, True), ("auto", True, False), ("auto", False, False)],
)
def test_no_files_means_nothing_to_do_quietly(mode: str, fallback: bool, running: bool) -> None:
    plan = plan_dispatch(make_config(mode, fallback_to_sync=fallback), [], running)
    assert plan.action == "skip"
    assert plan.batches == ()
    assert plan.message == ""


def test_batches_keep_order_and_respect_batch_size() -> None:
    plan = plan_dispatch(make_config("auto", batch_size=3), FILES, True)
    assert [len(b) for b in plan.batches] == [3, 3, 1]
    assert plan.batches == (tuple(FILES[0:3]), tuple(FILES[3:6]), tuple(FILES[6:7]))
    assert plan.files == tuple(FILES)


@pytest.mark.parametrize(("size", "expected"), [(1, [1] * 7), (7, [7]), (1000, [7])])
def test_batch_size_edges(size: int, expected: List[int]) -> None:
    plan = plan_dispatch(make_config(batch_size=size), FILES, False)
    assert [len(b) for b in plan.batches] == expected


def test_missing_processing_keys_take_spec_defaults() -> None:
    plan = plan_dispatch({"dataset_name": "x"}, FILES, True)
    assert plan.action == "sync"  # default mode is manual
    assert [len(b) for b in plan.batches] == [5, 2]
    assert (plan.delay, plan.retries) == (300, 2)

    plan = plan_dispatch({"dataset_name": "x", "processing": {"mode": "auto"}}, FILES, False)
    assert plan.action == "sync"  # fallback_to_sync defaults to true
    assert "not running" in plan.message

    assert plan_dispatch({"processing": {}}, FILES, True).dataset_name is None


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("mode", "sometimes", "Invalid processing mode"),
        ("fallback_to_sync", 1, "fallback_to_sync must be a boolean"),
        ("fallback_to_sync", None, "fallback_to_sync must be a boolean"),
        ("batch_size", 0, "batch_size must be a positive integer"),
        ("batch_size", True, "batch_size must be a positive integer"),
        ("batch_size", "5", "batch_size must be a positive integer"),
        ("batch_size", 2.0, "batch_size must be a positive integer"),
        ("delay_seconds", -1, "delay_seconds must be non-negative"),
        ("delay_seconds", float("nan"), "delay_seconds must be non-negative"),
        ("delay_seconds", float("inf"), "delay_seconds must be non-negative"),
        ("max_retries", -1, "max_retries must be a non-negative integer"),
        ("max_retries", False, "max_retries must be a non-negative integer"),
    ],
)
def test_bad_values_raise_naming_the_field(key: str, value: Any, fragment: str) -> None:
    config = make_config("auto")
    config["processing"][key] = value
    with pytest.raises(ValueError, match=f"processing.{key}") as info:
        plan_dispatch(config, FILES, True)
    assert fragment in str(info.value)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="processing must be an object"):
        plan_dispatch({"processing": ["auto"]}, FILES, True)
    with pytest.raises(TypeError):
        plan_dispatch(make_config(), "src/a.py", True)  # a lone string is not a file list
    with pytest.raises(TypeError):
        plan_dispatch(make_config(), [Path("src/a.py")], True)  # type: ignore[list-item]


def test_fractional_delay_is_kept() -> None:
    assert plan_dispatch(make_config("auto", delay_seconds=0.5), FILES, True).delay == 0.5


def test_plan_is_frozen() -> None:
    plan = plan_dispatch(make_config(), FILES, False)
    with pytest.raises(AttributeError):
        plan.action = "enqueue"  # type: ignore[misc]


def test_plan_dispatch_and_worker_running_work_without_huey(tmp_path: Path) -> None:
    # huey is an optional extra: blocking its import must not break planning.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["huey"] = None
        from codequery_gitcfg.huey_bridge import dispatch, plan_dispatch, worker_running
        plan = plan_dispatch({"processing": {"mode": "auto"}}, ["a", "b"], False)
        assert plan.action == "sync", plan
        assert worker_running(sys.argv[1]) is False
        assert worker_running() is False
        synced = []
        done = dispatch({"processing": {"mode": "manual"}}, [{"filepath": "a"}], task=None,
                        sync=synced.extend, worker_running=False)
        assert synced == [{"filepath": "a"}] and done.synced == ({"filepath": "a"},)
        # The post-commit path stays cheap: finding the pid file needs no GitPython.
        assert "git" not in sys.modules, "GitPython imported"
        print("ok")
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "missing.pid")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# ------------------------------------------------------------------------- enqueue


def test_enqueue_schedules_batches_delay_ahead_with_retries(sqlite_huey: SqliteHuey) -> None:
    calls: List[Any] = []

    @sqlite_huey.task()
    def document(files: List[str], dataset_name: str) -> int:
        calls.append((files, dataset_name))
        return len(files)

    plan = plan_dispatch(make_config("auto", batch_size=3, delay_seconds=300, max_retries=4), FILES, True)
    before = utcnow()
    outcome = enqueue(plan, document, dataset_name=plan.dataset_name)
    after = utcnow()

    assert outcome.ok
    assert outcome.failed == ()
    assert outcome.reason == ""
    results = outcome.results
    assert len(results) == 3
    assert all(r is not None for r in results)
    pending = sqlite_huey.pending()
    assert [t.args for t in pending] == [(list(b),) for b in plan.batches]
    for t in pending:
        assert t.kwargs == {"dataset_name": "my-project"}
        assert t.retries == 4
        assert before + datetime.timedelta(seconds=300) <= t.eta <= after + datetime.timedelta(seconds=300)
    assert calls == []

    # What the consumer does: a task that is not due yet goes to the schedule...
    for _ in range(3):
        task = sqlite_huey.dequeue()
        sqlite_huey.execute(task)
    assert sqlite_huey.pending_count() == 0
    scheduled = sqlite_huey.scheduled()
    assert len(scheduled) == 3
    assert calls == []

    # ...and runs once its eta has come.
    due = sqlite_huey.read_schedule(after + datetime.timedelta(seconds=301))
    assert len(due) == 3
    for task in due:
        sqlite_huey.execute(task, timestamp=after + datetime.timedelta(seconds=301))
    assert calls == [(list(b), "my-project") for b in plan.batches]
    assert [r.get() for r in results if r is not None] == [3, 3, 1]


def test_delay_zero_is_pending_at_once_and_runs(sqlite_huey: SqliteHuey, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"

    @sqlite_huey.task()
    def document(files: List[str], target: str) -> str:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write("\n".join(files) + "\n")
        return "done"

    plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0, max_retries=1), FILES[:3], True)
    results = enqueue(plan, document, target=str(out)).results

    pending = sqlite_huey.pending()
    assert len(pending) == 2
    assert all(t.eta is None and t.retries == 1 for t in pending)
    assert sqlite_huey.scheduled() == []

    while True:
        task = sqlite_huey.dequeue()
        if task is None:
            break
        sqlite_huey.execute(task)
    assert out.read_text(encoding="utf-8").splitlines() == FILES[:3]
    assert [r.get() for r in results if r is not None] == ["done", "done"]


def test_failed_task_is_retried_as_configured(sqlite_huey: SqliteHuey) -> None:
    attempts: List[List[str]] = []

    @sqlite_huey.task()
    def flaky(files: List[str]) -> str:
        attempts.append(files)
        if len(attempts) < 3:
            raise RuntimeError("model timed out")
        return "ok"

    plan = plan_dispatch(make_config("auto", delay_seconds=0, max_retries=2), FILES[:1], True)
    (result,) = enqueue(plan, flaky).results
    for expected_retries_left in (1, 0):
        sqlite_huey.execute(sqlite_huey.dequeue())
        (requeued,) = sqlite_huey.pending()
        assert requeued.retries == expected_retries_left
    sqlite_huey.execute(sqlite_huey.dequeue())
    assert len(attempts) == 3
    assert result is not None
    assert result.get() == "ok"


def test_task_kwargs_named_like_huey_options_pass_through(sqlite_huey: SqliteHuey) -> None:
    @sqlite_huey.task()
    def document(files: List[str], id: str, timeout: int, priority: str) -> None:
        return None

    for delay in (0, 60):
        plan = plan_dispatch(make_config("auto", delay_seconds=delay), FILES[:1], True)
        enqueue(plan, document, id="my-id", timeout=9, priority="high")
    for t in sqlite_huey.pending():
        assert t.kwargs == {"id": "my-id", "timeout": 9, "priority": "high"}
        assert t.id != "my-id"
        assert getattr(t, "timeout", None) is None  # huey < 2.5.1 has no task timeouts at all
        assert t.priority is None


def test_enqueue_works_with_any_huey() -> None:
    q = MemoryHuey("mem")

    @q.task()
    def document(files: List[str]) -> int:
        return len(files)

    plan = plan_dispatch(make_config("auto", batch_size=4, delay_seconds=0), FILES, True)
    results = enqueue(plan, document).results
    assert q.pending_count() == 2
    for _ in range(2):
        q.execute(q.dequeue())
    assert [r.get() for r in results if r is not None] == [4, 3]

    nores = MemoryHuey("mem-noresults", results=False)
    assert enqueue(plan, nores.task()(lambda files: None)) == EnqueueResult((None, None))
    assert nores.pending_count() == 2


@pytest.mark.parametrize(
    ("config", "running"),
    [(make_config("manual"), True), (make_config("auto"), False), (make_config("auto", fallback_to_sync=False), False)],
)
def test_enqueue_refuses_other_plans(sqlite_huey: SqliteHuey, config: Mapping[str, Any], running: bool) -> None:
    @sqlite_huey.task()
    def document(files: List[str]) -> None:
        return None

    plan = plan_dispatch(config, FILES, running)
    with pytest.raises(ValueError, match="cannot enqueue"):
        enqueue(plan, document)
    assert sqlite_huey.pending_count() == 0


def test_enqueue_refuses_a_plain_function() -> None:
    plan = plan_dispatch(make_config("auto"), FILES, True)
    with pytest.raises(TypeError, match="Huey task"):
        enqueue(plan, lambda files: None)


def test_enqueue_of_a_hand_made_empty_plan_does_nothing(sqlite_huey: SqliteHuey) -> None:
    plan = DispatchPlan(action="enqueue", batches=(), delay=0, retries=0)
    assert enqueue(plan, sqlite_huey.task()(lambda files: None)) == EnqueueResult(())
    assert sqlite_huey.pending_count() == 0


# ------------------------------------------------------------------ worker_running


def test_worker_running_with_live_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "huey.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    assert worker_running(pid_file) is True
    assert worker_running(str(pid_file)) is True
    pid_file.write_text(f"  {os.getpid()}  ")
    assert worker_running(pid_file) is True


def test_worker_running_with_stale_pid(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid no longer names a process
    pid_file = tmp_path / "huey.pid"
    pid_file.write_text(str(proc.pid))
    assert worker_running(pid_file) is False


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a process of another user")
def test_worker_running_with_another_users_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "huey.pid"
    pid_file.write_text("1")  # init: alive, not ours (PermissionError)
    assert worker_running(pid_file) is True


@pytest.mark.parametrize(
    "content",
    ["", "\n", "abc", "12abc", "-1", "0", "+5", "1_0", "1.5", "١٢", "9" * 30, "9" * 100, "\x00\xff"],
)
def test_worker_running_with_garbage(tmp_path: Path, content: str) -> None:
    pid_file = tmp_path / "huey.pid"
    pid_file.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert worker_running(pid_file) is False


def test_worker_running_with_missing_file_or_directory(tmp_path: Path) -> None:
    assert worker_running(tmp_path / "nope.pid") is False
    assert worker_running(tmp_path) is False


# ---------------------------------------------------------------- default_huey


def test_default_huey_is_code_querys_queue(repo: Path) -> None:
    q = default_huey(repo)
    try:
        db = repo / ".code-query" / "huey_jobs.db"
        # What Code Query's tasks.py builds: SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db").
        assert q.name == HUEY_NAME == "code-query-worker"
        assert Path(q.storage.filename) == db.resolve()

        @q.task()
        def document(files: List[str], dataset_name: str) -> str:
            return f"{dataset_name}:{len(files)}"

        plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0), FILES[:3], True)
        results = enqueue(plan, document, dataset_name="ds").results
        assert db.is_file()

        # Code Query's worker is another process with its own Huey on the same file.
        worker = SqliteHuey("code-query-worker", filename=str(repo / ".code-query" / "huey_jobs.db"))
        worker.task()(document.func)
        while True:
            task = worker.dequeue()
            if task is None:
                break
            worker.execute(task)
        assert [r.get() for r in results if r is not None] == ["ds:2", "ds:1"]
        worker.storage.close()
    finally:
        q.storage.close()


def test_default_huey_from_cwd_subdir_or_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = (repo / ".code-query" / "huey_jobs.db").resolve()
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "f.py").write_text("x = 1\n")
    monkeypatch.chdir(sub)
    for arg in (None, sub, str(sub / "f.py")):
        q = default_huey(arg)
        assert Path(q.storage.filename) == expected
        q.storage.close()


def test_default_huey_passes_huey_options(repo: Path) -> None:
    q = default_huey(repo, immediate=True)

    @q.task()
    def document(files: List[str]) -> int:
        return len(files)

    assert document(["a", "b"]).get() == 2


def test_explicit_path_wins_over_a_leaked_git_dir(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git("init", "-q", cwd=other)
    environ = dict(os.environ, GIT_DIR=str(other / ".git"))
    assert default_pid_file(repo, environ=environ) == repo.resolve() / ".code-query" / "worker.pid"


def test_linked_worktree_gets_its_own_queue_and_pid_file(repo: Path, tmp_path: Path) -> None:
    # Code Query runs one worker per worktree, from the worktree's own .code-query folder.
    git("commit", "-q", "--allow-empty", "-m", "init", cwd=repo)
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", str(wt), cwd=repo)
    q = default_huey(wt)
    try:
        assert Path(q.storage.filename) == (wt / ".code-query" / "huey_jobs.db").resolve()
    finally:
        q.storage.close()
    assert default_pid_file(wt) == wt.resolve() / ".code-query" / "worker.pid"


def test_default_huey_outside_a_repository_raises(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    # Stop git from finding a repository above tmp_path on odd machines.
    environ = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    with pytest.raises(ValueError, match="not a git repository"):
        default_huey(plain, environ=environ)
    with pytest.raises(ValueError, match="not a git repository"):
        default_huey(tmp_path / "does-not-exist", environ=environ)
    with pytest.raises(ValueError, match="not a git repository"):
        default_pid_file(plain, environ=environ)
    assert list(plain.iterdir()) == []


def test_default_pid_file_is_code_querys_and_only_computed(repo: Path) -> None:
    pid_file = default_pid_file(repo)
    assert pid_file == repo.resolve() / ".code-query" / "worker.pid"
    assert not pid_file.parent.exists()
    assert worker_running(pid_file) is False
    pid_file.parent.mkdir()
    pid_file.write_text(str(os.getpid()))  # what Code Query's `worker start` writes
    assert worker_running(pid_file) is True


def test_worker_running_looks_at_code_querys_pid_file_by_default(repo: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert worker_running() is False
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "worker.pid").write_text(f"{os.getpid()}\n")
    assert worker_running() is True
    # Outside a repository there is no worker to find, and no error either.
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert worker_running(environ=dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))) is False


def test_huey_version_is_supported() -> None:
    # The bridge relies on TaskWrapper.schedule(retries=...) and Task(retries=...).
    assert int(huey.__version__.split(".")[0]) >= 2


# ------------------------------------------------------------ Code Query's records

# What Code Query's pre-commit hook writes into .code-query/file_queue.json.
RECORDS: List[Any] = [
    {"filepath": "src/a.py", "commit_hash": "abc123", "queued_at": "2024-05-01T10:00:00"},
    "src/b.py",
    {"filepath": "src/c.py", "queued_at": "2024-05-01T10:00:01"},
    {"filepath": "src/d.py", "commit_hash": None, "queued_at": "2024-05-01T10:00:02"},
]


def test_code_query_records_are_planned_as_given_in_order() -> None:
    plan = plan_dispatch(make_config("auto", batch_size=3), RECORDS, True)
    assert plan.action == "enqueue"
    assert plan.files == tuple(RECORDS)
    assert all(a is b for a, b in zip(plan.files, RECORDS))  # the records themselves, not copies
    assert plan.batches == (tuple(RECORDS[:3]), tuple(RECORDS[3:]))
    assert plan.excluded == ()


def test_exclude_patterns_drop_records_as_code_query_matches_them() -> None:
    # Code Query: fnmatch(path relative to the worktree, pattern); the defaults apply
    # when the config names none (an effective config always has them).
    records: List[Any] = [
        "tests/test_a.py",
        {"filepath": "node_modules/pkg/index.js", "commit_hash": "abc"},
        "src/keep.py",
        "src/a.test.js",
        "./tests/deep/b.py",
        {"filepath": "lib/keep.js", "commit_hash": "abc"},
    ]
    plan = plan_dispatch(make_config("auto"), records, True)
    assert plan.files == ("src/keep.py", {"filepath": "lib/keep.js", "commit_hash": "abc"})
    assert plan.excluded == (records[0], records[1], records[3], records[4])

    config = make_config("auto")
    config["exclude_patterns"] = ["docs/*", "*.md"]
    plan = plan_dispatch(config, ["docs/x.py", "README.md", "tests/t.py"], True)
    assert plan.files == ("tests/t.py",)
    assert plan.excluded == ("docs/x.py", "README.md")


def test_all_records_excluded_is_nothing_to_do_quietly() -> None:
    plan = plan_dispatch(make_config("auto", fallback_to_sync=False), ["tests/a.py", "dist/b.js"], False)
    assert (plan.action, plan.batches, plan.message) == ("skip", (), "")
    assert plan.excluded == ("tests/a.py", "dist/b.js")


def test_exclude_patterns_are_judged_by_the_schema() -> None:
    config = make_config("auto")
    config["exclude_patterns"] = ["/abs/*"]
    with pytest.raises(ConfigError) as info:
        plan_dispatch(config, FILES, True)
    assert str(info.value) == "exclude_patterns[0]: pattern '/abs/*' must be relative (no leading '/')"
    config["exclude_patterns"] = "tests/*"
    with pytest.raises(ConfigError, match="exclude_patterns must be a list"):
        plan_dispatch(config, FILES, True)


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"path": "a.py"}, "a mapping with a 'filepath' string"),
        ({"filepath": 3}, "a mapping with a 'filepath' string"),
        (b"a.py", "a mapping with a 'filepath' string"),
        ("", "record 1 has an empty path"),
        ({"filepath": "a.py", "commit_hash": 123}, "record 1: commit_hash must be a string, not 123"),
    ],
)
def test_bad_records_are_refused_naming_them(record: Any, fragment: str) -> None:
    with pytest.raises(TypeError) as info:
        plan_dispatch(make_config("auto"), ["ok.py", record], True)
    assert fragment in str(info.value)


# ------------------------------------------------------------ both task shapes


def test_batches_go_to_the_batch_task_as_its_first_argument(sqlite_huey: SqliteHuey) -> None:
    calls: List[Any] = []

    @sqlite_huey.task()
    def process_documentation_batch(files: List[Any], dataset_name: str, project_root: str,
                                    job_id: Any = None) -> int:
        calls.append((files, dataset_name, project_root, job_id))
        return len(files)

    plan = plan_dispatch(make_config("auto", batch_size=3, delay_seconds=0, max_retries=3), RECORDS, True)
    outcome = enqueue(plan, process_documentation_batch, dataset_name="ds", project_root="/p")
    pending = sqlite_huey.pending()
    assert [t.args for t in pending] == [(RECORDS[:3],), (RECORDS[3:],)]  # the records, as given
    assert all(t.kwargs == {"dataset_name": "ds", "project_root": "/p"} and t.retries == 3 for t in pending)
    for _ in pending:
        sqlite_huey.execute(sqlite_huey.dequeue())
    assert calls == [(RECORDS[:3], "ds", "/p", None), (RECORDS[3:], "ds", "/p", None)]
    assert [r.get() for r in outcome.results if r is not None] == [3, 1]


def test_each_record_goes_to_the_file_task_as_code_querys_handler_calls_it(sqlite_huey: SqliteHuey) -> None:
    calls: List[Any] = []

    # Code Query's signature: no **kwargs, so a stray "queued_at" would fail the task.
    @sqlite_huey.task(retries=2, retry_delay=60)
    def process_file_documentation(filepath: str, dataset_name: str, commit_hash: str, project_root: str,
                                   job_id: Any = None) -> Dict[str, Any]:
        calls.append((filepath, dataset_name, commit_hash, project_root, job_id))
        return {"success": True, "filepath": filepath}

    plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0, max_retries=5), RECORDS, True)
    outcome = enqueue(plan, process_file_documentation, each=True, dataset_name="ds", project_root="/p")
    pending = sqlite_huey.pending()
    assert [(t.args, t.kwargs) for t in pending] == [
        ((), {"filepath": "src/a.py", "commit_hash": "abc123", "dataset_name": "ds", "project_root": "/p"}),
        ((), {"filepath": "src/b.py", "commit_hash": "HEAD", "dataset_name": "ds", "project_root": "/p"}),
        ((), {"filepath": "src/c.py", "commit_hash": "HEAD", "dataset_name": "ds", "project_root": "/p"}),
        ((), {"filepath": "src/d.py", "commit_hash": "HEAD", "dataset_name": "ds", "project_root": "/p"}),
    ]
    assert all(t.retries == 5 and t.eta is None for t in pending)  # the plan's retries win
    for _ in pending:
        sqlite_huey.execute(sqlite_huey.dequeue())
    assert calls == [("src/a.py", "ds", "abc123", "/p", None), ("src/b.py", "ds", "HEAD", "/p", None),
                     ("src/c.py", "ds", "HEAD", "/p", None), ("src/d.py", "ds", "HEAD", "/p", None)]
    assert [r.get()["filepath"] for r in outcome.results if r is not None] == [
        "src/a.py", "src/b.py", "src/c.py", "src/d.py"]


def test_each_keeps_the_delay(sqlite_huey: SqliteHuey) -> None:
    task = sqlite_huey.task()(lambda filepath, commit_hash: None)
    plan = plan_dispatch(make_config("auto", delay_seconds=90, max_retries=1), RECORDS[:2], True)
    before = utcnow()
    enqueue(plan, task, each=True)
    after = utcnow()
    pending = sqlite_huey.pending()
    assert len(pending) == 2
    for t in pending:
        assert t.retries == 1
        assert before + datetime.timedelta(seconds=90) <= t.eta <= after + datetime.timedelta(seconds=90)


def test_each_refuses_task_kwargs_that_come_from_the_record(sqlite_huey: SqliteHuey) -> None:
    task = sqlite_huey.task()(lambda filepath, commit_hash: None)
    plan = plan_dispatch(make_config("auto"), RECORDS, True)
    with pytest.raises(TypeError, match="come from each record"):
        enqueue(plan, task, each=True, commit_hash="x")
    assert sqlite_huey.pending_count() == 0


# ------------------------------------------------------------ broker failures


def dead_redis_huey() -> Any:
    """A RedisHuey whose server is down: nothing listens on its port."""
    pytest.importorskip("redis", reason="the redis client is not installed (pip install redis)")
    from huey import RedisHuey

    return RedisHuey("code-query-worker", host="127.0.0.1", port=huey_helpers.refused_port())


def test_broker_down_enqueue_returns_every_record_not_queued() -> None:
    q = dead_redis_huey()
    task = q.task()(lambda files: None)
    plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0), RECORDS, True)
    outcome = enqueue(plan, task)
    assert not outcome.ok
    assert outcome.results == ()
    assert outcome.failed == tuple(RECORDS)
    assert outcome.reason.startswith("ConnectionError: ")
    assert "refused" in outcome.reason.lower()


def test_a_failure_midway_names_the_rest(sqlite_huey: SqliteHuey) -> None:
    task = sqlite_huey.task()(lambda files: None)
    unstorable = {"filepath": "src/x.py", "handle": open(os.devnull)}  # a file object cannot be pickled
    try:
        records: List[Any] = ["src/a.py", "src/b.py", unstorable, "src/c.py"]
        plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0), records, True)
        outcome = enqueue(plan, task)
    finally:
        unstorable["handle"].close()
    assert len(outcome.results) == 1
    assert sqlite_huey.pending_count() == 1
    assert outcome.failed == (unstorable, "src/c.py")
    assert outcome.reason.startswith("TypeError: cannot pickle")


# ------------------------------------------------------------------- dispatch


class Sync:
    """The `sync` callable: what the hook would document synchronously."""

    def __init__(self) -> None:
        self.calls: List[List[Any]] = []

    def __call__(self, records: List[Any]) -> None:
        self.calls.append(records)


def never_loaded() -> Any:
    raise AssertionError("the task module must not be imported for this plan")


def test_dispatch_manual_mode_processes_synchronously_without_the_task_module(
        capsys: pytest.CaptureFixture[str]) -> None:
    sync = Sync()
    done = dispatch(make_config("manual"), RECORDS, task=never_loaded, sync=sync, worker_running=True)
    assert sync.calls == [RECORDS]
    assert (done.synced, done.enqueued, done.skipped, done.reason) == (tuple(RECORDS), (), (), "")
    assert capsys.readouterr().err == ""


def test_dispatch_auto_with_a_worker_enqueues(sqlite_huey: SqliteHuey, capsys: pytest.CaptureFixture[str]) -> None:
    task = sqlite_huey.task()(lambda filepath, commit_hash, dataset_name: None)
    sync = Sync()
    done = dispatch(make_config("auto", delay_seconds=0), RECORDS, task=lambda: task, sync=sync,
                    worker_running=True, each=True, task_kwargs={"dataset_name": "ds"})
    assert done.enqueued == tuple(RECORDS)
    assert done.synced == ()
    assert sync.calls == []
    assert [t.kwargs["filepath"] for t in sqlite_huey.pending()] == ["src/a.py", "src/b.py", "src/c.py", "src/d.py"]
    assert capsys.readouterr().err == ""


def test_dispatch_without_a_worker_falls_back_or_says_what_was_not_processed(
        capsys: pytest.CaptureFixture[str]) -> None:
    sync = Sync()
    done = dispatch(make_config("auto"), RECORDS[:2], task=never_loaded, sync=sync, worker_running=False)
    assert sync.calls == [RECORDS[:2]]
    assert done.synced == tuple(RECORDS[:2])
    assert capsys.readouterr().err == (
        "Code Query background worker is not running; falling back to synchronous processing of 2 file(s).\n"
        "Start the worker with: python cli.py worker start\n"
    )

    done = dispatch(make_config("auto", fallback_to_sync=False), RECORDS[:2], task=never_loaded, sync=sync,
                    worker_running=False)
    assert len(sync.calls) == 1
    assert done.skipped == tuple(RECORDS[:2])
    assert capsys.readouterr().err == (
        "Code Query background worker is not running and processing.fallback_to_sync is disabled: "
        "2 file(s) not processed.\n"
        "Start the worker with: python cli.py worker start\n"
        "or enable the fallback: codequery-gitcfg set processing.fallback_to_sync true\n"
        "not processed: src/a.py, src/b.py\n"
    )


def test_dispatch_redis_down_falls_back_to_sync(capsys: pytest.CaptureFixture[str]) -> None:
    q = dead_redis_huey()
    task = q.task()(lambda files: None)
    sync = Sync()
    done = dispatch(make_config("auto", delay_seconds=0), RECORDS, task=task, sync=sync, worker_running=True)
    assert sync.calls == [RECORDS]
    assert done.synced == tuple(RECORDS)
    assert done.enqueued == ()
    assert done.reason.startswith("ConnectionError")
    err = capsys.readouterr().err
    assert err.startswith("Could not queue 4 file(s) for the Code Query worker (ConnectionError: ")
    assert err.endswith("); processing them synchronously.\n")
    assert "Traceback" not in err


def test_dispatch_redis_down_without_fallback_names_the_files(capsys: pytest.CaptureFixture[str]) -> None:
    q = dead_redis_huey()
    task = q.task()(lambda files: None)
    sync = Sync()
    done = dispatch(make_config("auto", fallback_to_sync=False), RECORDS, task=task, sync=sync, worker_running=True)
    assert sync.calls == []
    assert done.skipped == tuple(RECORDS)
    err = capsys.readouterr().err
    assert err.startswith("Could not queue 4 file(s) for the Code Query worker (ConnectionError: ")
    assert err.endswith(") and processing.fallback_to_sync is disabled.\n"
                        "not processed: src/a.py, src/b.py, src/c.py, src/d.py\n")


def test_dispatch_a_task_module_that_does_not_import_falls_back(capsys: pytest.CaptureFixture[str]) -> None:
    def load() -> Any:
        import tasks_that_do_not_exist  # type: ignore[import-not-found]  # noqa: F401

    sync = Sync()
    done = dispatch(make_config("auto"), ["src/a.py"], task=load, sync=sync, worker_running=True)
    assert sync.calls == [["src/a.py"]]
    assert done.reason == "ModuleNotFoundError: No module named 'tasks_that_do_not_exist'"
    assert capsys.readouterr().err == (
        "Could not queue 1 file(s) for the Code Query worker (ModuleNotFoundError: No module named "
        "'tasks_that_do_not_exist'); processing them synchronously.\n"
    )


def test_dispatch_after_a_failure_midway_syncs_only_the_rest(sqlite_huey: SqliteHuey,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    task = sqlite_huey.task()(lambda files: None)
    with open(os.devnull) as handle:
        bad = {"filepath": "src/x.py", "handle": handle}
        records: List[Any] = ["src/a.py", "src/b.py", bad, "src/c.py"]
        sync = Sync()
        done = dispatch(make_config("auto", batch_size=2, delay_seconds=0), records, task=task, sync=sync,
                        worker_running=True)
    assert done.enqueued == ("src/a.py", "src/b.py")
    assert done.synced == (bad, "src/c.py")
    assert sync.calls == [[bad, "src/c.py"]]
    assert sqlite_huey.pending_count() == 1
    assert "Could not queue 2 file(s)" in capsys.readouterr().err


def test_dispatch_excluded_records_reach_neither_queue_nor_sync() -> None:
    sync = Sync()
    done = dispatch(make_config("manual"), ["tests/t.py", "src/a.py"], task=never_loaded, sync=sync,
                    worker_running=False)
    assert sync.calls == [["src/a.py"]]
    assert done.plan.excluded == ("tests/t.py",)


def test_dispatch_names_are_escaped_and_capped(capsys: pytest.CaptureFixture[str]) -> None:
    records = ["src/\x1b[31mred.py"] + [f"src/f{i}.py" for i in range(12)]
    dispatch(make_config("auto", fallback_to_sync=False), records, task=never_loaded, sync=Sync(),
             worker_running=False)
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == ("not processed: src/\\x1b[31mred.py, " + ", ".join(f"src/f{i}.py" for i in range(9))
                    + " and 3 more")


def test_dispatch_a_bad_config_raises_before_anything_runs() -> None:
    sync = Sync()
    with pytest.raises(ConfigError, match=r"processing\.batch_size"):
        dispatch(make_config("auto", batch_size=0), RECORDS, task=never_loaded, sync=sync, worker_running=True)
    assert sync.calls == []


# ------------------------------------------------------------------ heartbeat


def test_heartbeat_is_a_periodic_task_that_writes_the_queue_storage(sqlite_huey: SqliteHuey) -> None:
    assert worker_alive(sqlite_huey) is False  # no beat yet
    assert last_heartbeat(sqlite_huey) is None
    beat_task = install_heartbeat(sqlite_huey)
    # Every periodic check of the scheduler (once a minute) queues a beat.
    (due,) = sqlite_huey.read_periodic(utcnow())
    assert type(due) is beat_task.task_class
    sqlite_huey.execute(due)
    beat = last_heartbeat(sqlite_huey)
    assert beat is not None
    assert (beat.host, beat.pid) == (socket.gethostname(), os.getpid())
    assert abs(beat.time - time.time()) < 60
    assert worker_alive(sqlite_huey) is True
    assert worker_alive(sqlite_huey) is True  # reading does not consume the beat
    assert worker_alive(sqlite_huey, max_age=HEARTBEAT_MAX_AGE, now=beat.time + HEARTBEAT_MAX_AGE + 1) is False
    assert worker_alive(sqlite_huey, max_age=5, now=beat.time + 4) is True
    # A consumer reading the same file sees it too.
    other = SqliteHuey("test", filename=sqlite_huey.storage.filename)
    assert worker_alive(other) is True
    other.storage.close()


@pytest.mark.parametrize("value", [None, "beat", {"time": "now", "host": "h", "pid": 1},
                                   {"time": float("nan"), "host": "h", "pid": 1}, {"time": True, "host": "h", "pid": 1},
                                   {"time": 1.0, "host": 1, "pid": 1}, {"time": 1.0, "host": "h"}])
def test_a_value_that_is_not_a_beat_is_no_worker(sqlite_huey: SqliteHuey, value: Any) -> None:
    sqlite_huey.put(HEARTBEAT_KEY, value)
    assert last_heartbeat(sqlite_huey) is None
    assert worker_alive(sqlite_huey) is False


def test_worker_alive_with_the_broker_down_is_false() -> None:
    assert worker_alive(dead_redis_huey()) is False


# ---------------------------------------------------- a real huey_consumer

# The shape of Code Query's tasks.py: its queue, its two tasks and their signatures.
CQ_TASKS = '''
import json, os
from huey import RedisHuey, SqliteHuey
from codequery_gitcfg.huey_bridge import install_heartbeat

if os.environ.get("CQ_REDIS_PORT"):
    huey = RedisHuey("code-query-worker", host="127.0.0.1", port=int(os.environ["CQ_REDIS_PORT"]))
else:
    huey = SqliteHuey("code-query-worker", filename=os.environ["CQ_DB"])
install_heartbeat(huey)


def _log(entry):
    with open(os.environ["CQ_OUT"], "a") as f:
        f.write(json.dumps(entry) + "\\n")


@huey.task(retries=2, retry_delay=60)
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    _log({"task": "file", "filepath": filepath, "dataset_name": dataset_name, "commit_hash": commit_hash,
          "project_root": project_root, "job_id": job_id})
    return {"success": True, "filepath": filepath}


@huey.task()
def process_documentation_batch(files, dataset_name, project_root, job_id=None):
    _log({"task": "batch", "files": files, "dataset_name": dataset_name, "project_root": project_root,
          "job_id": job_id})
    return {"success": True, "count": len(files)}
'''


@pytest.fixture
def cq_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Load Code Query-shaped tasks (module ``cq_tasks``) here and for a consumer."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "cq_tasks.py").write_text(CQ_TASKS)
    loaded: List[Any] = []

    def load(redis_port: Optional[int] = None) -> Any:
        env = {"CQ_DB": str(work / "huey_jobs.db"), "CQ_OUT": str(work / "out.jsonl")}
        if redis_port is not None:
            env["CQ_REDIS_PORT"] = str(redis_port)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.syspath_prepend(str(work))
        sys.modules.pop("cq_tasks", None)
        module = importlib.import_module("cq_tasks")
        module.work, module.env = work, env
        loaded.append(module)
        return module

    yield load
    sys.modules.pop("cq_tasks", None)
    for module in loaded:
        if hasattr(module.huey.storage, "close"):
            module.huey.storage.close()


def _logged(module: Any) -> List[Dict[str, Any]]:
    out = Path(module.env["CQ_OUT"])
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_a_real_consumer_runs_both_task_shapes_and_beats(cq_tasks: Callable[..., Any]) -> None:
    tasks = cq_tasks()
    assert worker_alive(tasks.huey) is False
    kwargs = {"dataset_name": "ds", "project_root": "/p"}
    plan = plan_dispatch(make_config("auto", batch_size=3, delay_seconds=0), RECORDS, True)
    assert enqueue(plan, tasks.process_file_documentation, each=True, **kwargs).ok
    assert enqueue(plan, tasks.process_documentation_batch, **kwargs).ok

    with huey_helpers.consumer("cq_tasks.huey", tasks.work, tasks.env) as proc:
        wait_for(lambda: len(_logged(tasks)) == 6, "the consumer to run the 6 tasks")
        wait_for(lambda: worker_alive(tasks.huey), "the consumer's heartbeat")
        beat = last_heartbeat(tasks.huey)
        assert beat is not None
        assert beat.pid == proc.pid
        assert beat.host == socket.gethostname()
    assert proc.returncode is not None  # stopped

    logged = _logged(tasks)
    files = [e for e in logged if e["task"] == "file"]
    batches = [e for e in logged if e["task"] == "batch"]
    assert sorted((e["filepath"], e["commit_hash"]) for e in files) == [
        ("src/a.py", "abc123"), ("src/b.py", "HEAD"), ("src/c.py", "HEAD"), ("src/d.py", "HEAD")]
    assert all(e["dataset_name"] == "ds" and e["project_root"] == "/p" and e["job_id"] is None for e in files)
    assert sorted(json.dumps(e["files"]) for e in batches) == sorted(
        json.dumps(list(b)) for b in plan.batches)
    assert tasks.huey.pending_count() == 0
