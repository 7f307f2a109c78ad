"""What Huey guarantees once a task is queued, and what the README says of it (issue 22, row 13).

Huey delivers a task at most once: a consumer takes it off the queue, then runs it, and
killed in between (SIGKILL, the OOM killer, a power cut) the task is gone: no consumer
runs it again. The bridge cannot change that once the task is Huey's; the README says so,
and promises what the hook itself keeps: every file it hands on is queued, documented
here, or named.
"""
# huey ships no type information, so every @huey.task() is an untyped decorator.
# mypy: disallow-untyped-decorators=False
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from codequery_gitcfg.huey_bridge import dispatch

from support.huey_helpers import consumer, wait_for
from support.readme import README

pytestmark = pytest.mark.reliability

TASKS = '''
import os, time
from huey import SqliteHuey

huey = SqliteHuey("code-query-worker", filename=os.environ["CQ_DB"])


@huey.task()
def process_file_documentation(filepath, commit_hash, dataset_name, project_root):
    with open(os.environ["CQ_OUT"], "a") as f:
        f.write("started " + filepath + "\\n")
    time.sleep(float(os.environ.get("CQ_SLEEP", "0")))
    with open(os.environ["CQ_OUT"], "a") as f:
        f.write("finished " + filepath + "\\n")
'''
AUTO = {"dataset_name": "ds", "processing": {"mode": "auto", "delay_seconds": 0}}


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    pytest.importorskip("huey")
    (tmp_path / "cq_killed_tasks.py").write_text(TASKS)
    env = {"CQ_DB": str(tmp_path / "huey_jobs.db"), "CQ_OUT": str(tmp_path / "out.txt")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("cq_killed_tasks", None)
    module: Any = importlib.import_module("cq_killed_tasks")
    module.env, module.work = env, tmp_path
    yield module
    sys.modules.pop("cq_killed_tasks", None)


def lines(module: Any) -> List[str]:
    out = Path(module.env["CQ_OUT"])
    return out.read_text().splitlines() if out.exists() else []


def send(module: Any, path: str) -> Any:
    synced: List[Any] = []
    done = dispatch(AUTO, [path], task=module.process_file_documentation, each=True, sync=synced.extend,
                    worker_running=True, task_kwargs={"dataset_name": "ds", "project_root": str(module.work)})
    assert (done.enqueued, synced) == ((path,), [])
    return done


def test_a_worker_killed_mid_task_loses_that_task_as_the_readme_says(tasks: Any) -> None:
    send(tasks, "src/a.py")
    slow: Dict[str, str] = {**tasks.env, "CQ_SLEEP": "60"}
    with consumer("cq_killed_tasks.huey", tasks.work, slow) as proc:
        wait_for(lambda: "started src/a.py" in lines(tasks), "the worker to start the task")
        proc.kill()  # mid-task
        proc.wait(timeout=10)
    assert tasks.huey.pending_count() == 0 and tasks.huey.scheduled_count() == 0  # off the queue already

    # A new worker runs what is queued after it (the sentinel) and never the lost task.
    with consumer("cq_killed_tasks.huey", tasks.work, tasks.env):
        send(tasks, "src/sentinel.py")
        wait_for(lambda: "finished src/sentinel.py" in lines(tasks), "the new worker to run the sentinel")
    assert [line for line in lines(tasks) if line.endswith("src/a.py")] == ["started src/a.py"]


def test_the_readme_says_what_huey_guarantees_and_what_the_hook_adds() -> None:
    text = README.read_text(encoding="utf-8")
    huey = text.split("## Huey", 1)[1]
    assert "never a file dropped without a word" not in text  # a promise no queue of Huey's keeps
    assert "at most once" in huey
    assert "killed while it runs a task" in huey
    assert "unconfirmed" in huey  # a lost reply (row 12): named, never processed both ways
