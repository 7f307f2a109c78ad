"""End to end: a real post-commit hook feeds a real SqliteHuey from the effective config."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import git

TASKS = '''
import os
from codequery_gitcfg.huey_bridge import default_huey

huey = default_huey()

@huey.task()
def document_files(files, dataset_name):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".documented"), "a") as f:
        f.write(dataset_name + ":" + ",".join(files) + "\\n")
'''

POST_COMMIT = '''#!{python}
import os, subprocess, sys
sys.path.insert(0, os.getcwd())
from codequery_gitcfg import effective_config
from codequery_gitcfg.huey_bridge import default_pid_file, enqueue, plan_dispatch, worker_running

config = effective_config()
out = subprocess.run(["git", "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root",
                      "--diff-filter=d", "HEAD"], check=True, stdout=subprocess.PIPE).stdout
files = sorted(os.fsdecode(n) for n in out.split(b"\\0") if n and not n.startswith(b".code-query"))
plan = plan_dispatch(config, files, worker_running(default_pid_file()))
print("plan:", plan.action, len(plan.batches), file=sys.stderr)
if plan.action == "enqueue":
    from codequery_tasks import document_files
    enqueue(plan, document_files, dataset_name=plan.dataset_name)
'''

INSPECT = '''
import json, sys, time
sys.path.insert(0, ".")
import codequery_tasks as t
out = []
for task in t.huey.scheduled() + t.huey.pending():
    out.append({"files": task.args[0], "retries": task.retries, "kwargs": task.kwargs,
                "eta_in": None if task.eta is None else (task.eta - __import__("datetime").datetime.now()).total_seconds()})
print(json.dumps(out))
'''

RUN_ONE = '''
import sys
sys.path.insert(0, ".")
import codequery_tasks as t
task = t.huey.dequeue()
t.huey.execute(task)
'''


def _setup(repo: Path, config: Dict[str, Any]) -> Path:
    (repo / "codequery_tasks.py").write_text(TASKS)
    (repo / ".code-query").mkdir(exist_ok=True)
    path = repo / ".code-query" / "config.json"
    path.write_text(json.dumps(config, indent=2) + "\n")
    (repo / ".gitignore").write_text(".documented\n__pycache__/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "setup")
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text(POST_COMMIT.format(python=sys.executable))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    # A live worker: the pid file holds this test process's pid.
    state = repo / ".git" / "codequery-gitcfg"
    state.mkdir(exist_ok=True)
    (state / "huey.pid").write_text(str(os.getpid()))
    return path


def _commit(repo: Path, names: List[str], env: Dict[str, str] | None = None) -> str:
    for name in names:
        (repo / name).write_text(f"{name} {time.time()}\n")
    git(repo, "add", *names)
    return git(repo, "commit", "-qm", f"change {names}", env=env).stderr


def _queue(repo: Path) -> List[Dict[str, Any]]:
    out = subprocess.run([sys.executable, "-c", INSPECT], cwd=repo, capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


@pytest.fixture
def auto_repo(repo: Path) -> Path:
    _setup(repo, {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 2,
                                                           "delay_seconds": 120, "max_retries": 4}})
    return repo


def test_commit_enqueues_batches_with_retries_and_delay(auto_repo: Path) -> None:
    err = _commit(auto_repo, ["a.py", "b.py", "c.py", "d.py", "e.py"])
    assert "plan: enqueue 3" in err
    queued = _queue(auto_repo)
    assert sorted(q["files"] for q in queued) == [["a.py", "b.py"], ["c.py", "d.py"], ["e.py"]]
    for q in queued:
        assert q["retries"] == 4 and q["kwargs"] == {"dataset_name": "proj"}
        assert 100 < q["eta_in"] <= 120  # scheduled delay_seconds ahead


def test_env_override_changes_batch_size_for_that_commit_only(auto_repo: Path) -> None:
    _commit(auto_repo, ["a.py", "b.py", "c.py"], env={"CODEQUERY_BATCH_SIZE": "1",
                                                    "CODEQUERY_PROCESSING_DELAY_SECONDS": "0"})
    first = _queue(auto_repo)
    assert sorted(q["files"] for q in first) == [["a.py"], ["b.py"], ["c.py"]]
    assert all(q["eta_in"] is None for q in first)  # delay 0: due at once
    _commit(auto_repo, ["x.py", "y.py", "z.py"])
    second = [q for q in _queue(auto_repo) if q not in first]
    assert sorted(q["files"] for q in second) == [["x.py", "y.py"], ["z.py"]]
    assert json.loads((auto_repo / ".code-query" / "config.json").read_text())["processing"]["batch_size"] == 2


def test_legacy_auto_process_file_drives_auto_mode_without_rewrite(repo: Path) -> None:
    path = _setup(repo, {"dataset_name": "legacy", "auto_process": True,
                         "processing": {"batch_size": 3, "delay_seconds": 0, "max_retries": 1}})
    before = path.read_bytes()
    err = _commit(repo, ["a.py", "b.py"])
    assert "plan: enqueue 1" in err
    queued = _queue(repo)
    assert queued == [{"files": ["a.py", "b.py"], "retries": 1, "kwargs": {"dataset_name": "legacy"}, "eta_in": None}]
    assert path.read_bytes() == before
    assert git(repo, "status", "--porcelain").stdout == ""


def test_manual_mode_enqueues_nothing(repo: Path) -> None:
    _setup(repo, {"dataset_name": "m", "processing": {"mode": "manual"}})
    assert "plan: sync 1" in _commit(repo, ["a.py"])
    assert _queue(repo) == []


def test_a_real_consumer_runs_a_queued_task(auto_repo: Path) -> None:
    _commit(auto_repo, ["a.py"], env={"CODEQUERY_PROCESSING_DELAY_SECONDS": "0"})
    subprocess.run([sys.executable, "-c", RUN_ONE], cwd=auto_repo, check=True, capture_output=True)
    assert (auto_repo / ".documented").read_text() == "proj:a.py\n"
    assert _queue(auto_repo) == []
