"""The bridge against a real Redis (a shared worker pool): heartbeat across processes,
both task shapes run by a real `huey_consumer`, and Redis going down → fallback.

Each test starts its own `redis-server` on a free port of 127.0.0.1 (nothing saved) and
stops it after; without `redis-server` (or the redis client) they skip, saying why.
"""
# huey ships no type information, so every @huey.task() is an untyped decorator.
# mypy: disallow-untyped-decorators=False
from __future__ import annotations

import importlib
import json
import socket
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from codequery_gitcfg.huey_bridge import (
    dispatch,
    enqueue,
    install_heartbeat,
    last_heartbeat,
    plan_dispatch,
    worker_alive,
)

from support import huey_helpers
from support.huey_helpers import redis_server, wait_for

TASKS = '''
import json, os
from huey import RedisHuey
from codequery_gitcfg.huey_bridge import install_heartbeat

huey = RedisHuey("code-query-worker", host="127.0.0.1", port=int(os.environ["CQ_REDIS_PORT"]))
install_heartbeat(huey)


def _log(entry):
    with open(os.environ["CQ_OUT"], "a") as f:
        f.write(json.dumps(entry) + "\\n")


@huey.task(retries=2, retry_delay=60)
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    _log({"task": "file", "filepath": filepath, "commit_hash": commit_hash, "dataset_name": dataset_name})


@huey.task()
def process_documentation_batch(files, dataset_name, project_root, job_id=None):
    _log({"task": "batch", "files": files, "dataset_name": dataset_name})
'''

RECORDS: List[Any] = [
    {"filepath": "src/a.py", "commit_hash": "abc123", "queued_at": "2024-05-01T10:00:00"},
    {"filepath": "src/b.py", "queued_at": "2024-05-01T10:00:01"},
    "src/c.py",
    {"filepath": "tests/test_a.py", "commit_hash": "abc123"},  # excluded by the default patterns
]


def auto(**processing: Any) -> Dict[str, Any]:
    return {"dataset_name": "ds", "processing": {"mode": "auto", "delay_seconds": 0, "batch_size": 2, **processing}}


@pytest.fixture
def redis() -> Iterator[Any]:
    with redis_server() as server:
        yield server


@pytest.fixture
def tasks(redis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    port, _ = redis
    (tmp_path / "cq_redis_tasks.py").write_text(TASKS)
    env = {"CQ_REDIS_PORT": str(port), "CQ_OUT": str(tmp_path / "out.jsonl")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("cq_redis_tasks", None)
    module = importlib.import_module("cq_redis_tasks")
    module.env, module.work = env, tmp_path
    yield module
    sys.modules.pop("cq_redis_tasks", None)
    module.huey.storage.conn.close()


def logged(module: Any) -> List[Dict[str, Any]]:
    out = Path(module.env["CQ_OUT"])
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_a_worker_elsewhere_is_seen_through_redis_and_runs_both_shapes(tasks: Any) -> None:
    from huey import RedisHuey

    # The hook's side: its own Huey on the shared Redis, no pid file, no registered beat.
    hook_side = RedisHuey("code-query-worker", host="127.0.0.1", port=int(tasks.env["CQ_REDIS_PORT"]))
    assert worker_alive(hook_side) is False

    plan = plan_dispatch(auto(), RECORDS, worker_alive(hook_side))
    assert plan.action == "sync"  # no worker anywhere yet: the fallback

    with huey_helpers.consumer("cq_redis_tasks.huey", tasks.work, tasks.env) as proc:
        wait_for(lambda: worker_alive(hook_side), "the consumer's heartbeat in Redis")
        beat = last_heartbeat(hook_side)
        assert beat is not None
        assert (beat.host, beat.pid) == (socket.gethostname(), proc.pid)

        plan = plan_dispatch(auto(), RECORDS, worker_alive(hook_side))
        assert plan.action == "enqueue"
        assert plan.excluded == (RECORDS[3],)
        kwargs = {"dataset_name": "ds", "project_root": str(tasks.work)}
        assert enqueue(plan, tasks.process_file_documentation, each=True, **kwargs).ok
        assert enqueue(plan, tasks.process_documentation_batch, **kwargs).ok
        wait_for(lambda: len(logged(tasks)) == 5, "the consumer to run 3 file tasks and 2 batches")
    assert proc.returncode is not None

    entries = logged(tasks)
    assert sorted((e["filepath"], e["commit_hash"]) for e in entries if e["task"] == "file") == [
        ("src/a.py", "abc123"), ("src/b.py", "HEAD"), ("src/c.py", "HEAD")]
    assert sorted(json.dumps(e["files"]) for e in entries if e["task"] == "batch") == sorted(
        json.dumps(list(b)) for b in plan.batches)
    # The beat outlives the worker only until max_age.
    assert worker_alive(hook_side, now=beat.time + 181) is False
    hook_side.storage.conn.close()


def test_redis_going_down_falls_back_to_sync(tasks: Any, redis: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, server = redis
    # The module installed it already; the hook may call it again, harmlessly.
    assert install_heartbeat(tasks.huey) is install_heartbeat(tasks.huey)
    synced: List[List[Any]] = []
    kwargs = {"dataset_name": "ds", "project_root": str(tasks.work)}

    done = dispatch(auto(), RECORDS, task=tasks.process_file_documentation, each=True, task_kwargs=kwargs,
                    sync=synced.append, worker_running=True)
    assert done.enqueued == tuple(RECORDS[:3])
    assert synced == []
    assert tasks.huey.pending_count() == 3

    huey_helpers.stop(server)  # Redis is down now
    assert worker_alive(tasks.huey) is False
    done = dispatch(auto(), RECORDS, task=tasks.process_file_documentation, each=True, task_kwargs=kwargs,
                    sync=synced.append, worker_running=True)
    assert synced == [RECORDS[:3]]
    assert done.synced == tuple(RECORDS[:3])
    assert done.enqueued == ()
    err = capsys.readouterr().err
    assert err.startswith("Could not queue 3 file(s) for the Code Query worker (ConnectionError: ")
    assert err.endswith("); processing them synchronously.\n")

    done = dispatch(auto(fallback_to_sync=False), RECORDS, task=tasks.process_file_documentation, each=True,
                    task_kwargs=kwargs, sync=synced.append, worker_running=True)
    assert len(synced) == 1
    assert done.skipped == tuple(RECORDS[:3])
    assert capsys.readouterr().err.endswith(
        ") and processing.fallback_to_sync is disabled.\nnot processed: src/a.py, src/b.py, src/c.py\n")
