"""Tests for codequery_gitcfg.huey_bridge, against real Huey storages (no mocks)."""
# huey ships no type information, so every @huey.task() is an untyped decorator.
# mypy: disallow-untyped-decorators=False

from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping

import huey
import pytest
from huey import MemoryHuey, SqliteHuey

from codequery_gitcfg.huey_bridge import (
    DEFAULT_WORKER_HINT,
    HUEY_NAME,
    DispatchPlan,
    default_huey,
    default_pid_file,
    enqueue,
    plan_dispatch,
    worker_running,
)

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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
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
    "mode, fallback, running",
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


@pytest.mark.parametrize("size, expected", [(1, [1] * 7), (7, [7]), (1000, [7])])
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
    "key, value, fragment",
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
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.action = "enqueue"  # type: ignore[misc]


def test_plan_dispatch_and_worker_running_work_without_huey(tmp_path: Path) -> None:
    # huey is an optional extra: blocking its import must not break planning.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["huey"] = None
        from codequery_gitcfg.huey_bridge import plan_dispatch, worker_running
        plan = plan_dispatch({"processing": {"mode": "auto"}}, ["a", "b"], False)
        assert plan.action == "sync", plan
        assert worker_running(sys.argv[1]) is False
        print("ok")
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "missing.pid")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
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
    results = enqueue(plan, document, dataset_name=plan.dataset_name)
    after = utcnow()

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
    assert len(scheduled) == 3 and calls == []

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
    results = enqueue(plan, document, target=str(out))

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
    (result,) = enqueue(plan, flaky)
    for expected_retries_left in (1, 0):
        sqlite_huey.execute(sqlite_huey.dequeue())
        (requeued,) = sqlite_huey.pending()
        assert requeued.retries == expected_retries_left
    sqlite_huey.execute(sqlite_huey.dequeue())
    assert len(attempts) == 3
    assert result is not None and result.get() == "ok"


def test_task_kwargs_named_like_huey_options_pass_through(sqlite_huey: SqliteHuey) -> None:
    @sqlite_huey.task()
    def document(files: List[str], id: str, timeout: int, priority: str) -> None:
        return None

    for delay in (0, 60):
        plan = plan_dispatch(make_config("auto", delay_seconds=delay), FILES[:1], True)
        enqueue(plan, document, id="my-id", timeout=9, priority="high")
    for t in sqlite_huey.pending():
        assert t.kwargs == {"id": "my-id", "timeout": 9, "priority": "high"}
        assert t.id != "my-id" and t.timeout is None and t.priority is None


def test_enqueue_works_with_any_huey() -> None:
    q = MemoryHuey("mem")

    @q.task()
    def document(files: List[str]) -> int:
        return len(files)

    plan = plan_dispatch(make_config("auto", batch_size=4, delay_seconds=0), FILES, True)
    results = enqueue(plan, document)
    assert q.pending_count() == 2
    for _ in range(2):
        q.execute(q.dequeue())
    assert [r.get() for r in results if r is not None] == [4, 3]

    nores = MemoryHuey("mem-noresults", results=False)
    assert enqueue(plan, nores.task()(lambda files: None)) == [None, None]
    assert nores.pending_count() == 2


@pytest.mark.parametrize(
    "config, running",
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
    assert enqueue(plan, sqlite_huey.task()(lambda files: None)) == []
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


def test_default_huey_lives_under_the_git_dir(repo: Path) -> None:
    q = default_huey(repo)
    try:
        db = repo / ".git" / "codequery-gitcfg" / "huey.db"
        assert q.name == HUEY_NAME
        assert Path(q.storage.filename) == db.resolve()

        @q.task()
        def document(files: List[str], dataset_name: str) -> str:
            return f"{dataset_name}:{len(files)}"

        plan = plan_dispatch(make_config("auto", batch_size=2, delay_seconds=0), FILES[:3], True)
        results = enqueue(plan, document, dataset_name="ds")
        assert db.is_file()
        # The db is inside .git: nothing for git to report.
        assert git("status", "--porcelain", "--untracked-files=all", cwd=repo) == ""

        # A consumer is another process with its own Huey on the same file.
        consumer = default_huey(repo)
        consumer.task()(document.func)
        while True:
            task = consumer.dequeue()
            if task is None:
                break
            consumer.execute(task)
        assert [r.get() for r in results if r is not None] == ["ds:2", "ds:1"]
        consumer.storage.close()
    finally:
        q.storage.close()


def test_default_huey_from_cwd_subdir_or_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = (repo / ".git" / "codequery-gitcfg" / "huey.db").resolve()
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
    assert default_pid_file(repo, environ=environ) == (repo / ".git").resolve() / "codequery-gitcfg" / "huey.pid"


def test_linked_worktree_gets_its_own_queue(repo: Path, tmp_path: Path) -> None:
    git("commit", "-q", "--allow-empty", "-m", "init", cwd=repo)
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", str(wt), cwd=repo)
    q = default_huey(wt)
    try:
        db = Path(q.storage.filename)
        assert db.parent.parent == (repo / ".git" / "worktrees" / "wt").resolve()
        assert db.parent.is_dir()
    finally:
        q.storage.close()


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


def test_default_pid_file_only_computes_the_path(repo: Path) -> None:
    pid_file = default_pid_file(repo)
    assert pid_file == (repo / ".git").resolve() / "codequery-gitcfg" / "huey.pid"
    assert not pid_file.parent.exists()
    assert worker_running(pid_file) is False
    pid_file.parent.mkdir()
    pid_file.write_text(str(os.getpid()))
    assert worker_running(pid_file) is True


def test_huey_version_is_supported() -> None:
    # The bridge relies on TaskWrapper.schedule(retries=...) and Task(retries=...).
    assert int(huey.__version__.split(".")[0]) >= 2
