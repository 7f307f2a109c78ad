"""End to end: the README's post-commit hook, run by real `git commit`s, feeds Code Query's queue.

The hook is taken from README.md itself (so the README's example is what is tested). Before
it, a Code Query-shaped pre-commit hook fills `.code-query/file_queue.json` with Code Query's
records; `tasks.py` has Code Query's queue and task signatures.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from codequery_gitcfg.git import hueyhook

from support import huey_helpers
from support.huey_helpers import REPO_ROOT, wait_for
from support.repos import git


def readme_hook() -> str:
    """The post-commit hook of the README's Huey section, as `install --huey-post-commit` writes
    it for this interpreter: the README shows the template verbatim."""
    section = (REPO_ROOT / "README.md").read_text(encoding="utf-8").split("## Huey: the post-commit hook", 1)[1]
    match = re.search(r"```python\n(#!/bin/sh\n.*?)```", section, re.S)
    assert match, "the README's Huey section has no post-commit hook"
    assert match.group(1) == (REPO_ROOT / "hooks" / hueyhook.TEMPLATE).read_text(encoding="utf-8")
    return hueyhook.render(sys.executable).decode("utf-8")


# Code Query's pre-commit hook queues the staged files; this one writes the same records.
PRE_COMMIT = '''#!{python}
import datetime, json, os, subprocess
names = subprocess.run(["git", "diff", "--cached", "--name-only", "-z", "--diff-filter=d"],
                       check=True, stdout=subprocess.PIPE).stdout.split(b"\\0")
head = subprocess.run(["git", "rev-parse", "HEAD"], stdout=subprocess.PIPE).stdout.decode().strip()
queue = os.path.join(".code-query", "file_queue.json")
files = json.load(open(queue))["files"] if os.path.exists(queue) else []
for name in names:
    if name and not name.startswith(b".code-query"):
        files.append({{"filepath": os.fsdecode(name), "commit_hash": head,
                      "queued_at": datetime.datetime.now().isoformat()}})
with open(queue, "w") as f:
    json.dump({{"files": files}}, f)
'''

# Code Query's tasks.py: its queue (relative to the worktree root, as Code Query opens it) and
# its task's signature; the "documentation" is a line in .documented. CQ_REDIS_PORT switches
# to a RedisHuey, for the broker-down tests.
TASKS = '''
import json, os
from huey import RedisHuey, SqliteHuey

if os.environ.get("CQ_REDIS_PORT"):
    huey = RedisHuey("code-query-worker", host="127.0.0.1", port=int(os.environ["CQ_REDIS_PORT"]))
else:
    huey = SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db")


@huey.task(retries=2, retry_delay=60)
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    with open(os.path.join(project_root, ".documented"), "a") as f:
        f.write(json.dumps([dataset_name, filepath, commit_hash]) + "\\n")
    return {"success": True, "filepath": filepath}
'''

INSPECT = '''
import datetime, json, sys
sys.path.insert(0, ".")
import tasks
now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
print(json.dumps([{"args": list(t.args), "kwargs": t.kwargs, "retries": t.retries,
                   "eta_in": None if t.eta is None else (t.eta - now).total_seconds()}
                  for t in tasks.huey.scheduled() + tasks.huey.pending()]))
'''


def _install(repo: Path, name: str, text: str) -> None:
    hook = repo / ".git" / "hooks" / name
    hook.write_text(text)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _setup(repo: Path, config: Dict[str, Any], *, worker: bool = True) -> Path:
    (repo / "tasks.py").write_text(TASKS)
    (repo / ".code-query").mkdir(exist_ok=True)
    path = repo / ".code-query" / "config.json"
    path.write_text(json.dumps(config, indent=2) + "\n")
    # Code Query's run-time files stay out of git; the config is committed.
    (repo / ".gitignore").write_text(".documented\n__pycache__/\n.code-query/*\n!.code-query/config.json\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "setup")
    _install(repo, "pre-commit", PRE_COMMIT.format(python=sys.executable))
    _install(repo, "post-commit", readme_hook())
    if worker:
        # A live worker, as Code Query's `worker start` leaves it: its pid in .code-query/worker.pid.
        (repo / ".code-query" / "worker.pid").write_text(str(os.getpid()))
    return path


def _commit(repo: Path, names: List[str], env: Optional[Dict[str, str]] = None) -> str:
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"{name} {time.time()}\n")
    git(repo, "add", *names)
    stderr = git(repo, "commit", "-qm", f"change {names}", env=env).stderr
    assert "Traceback" not in stderr, stderr
    return stderr


def _queue(repo: Path) -> List[Dict[str, Any]]:
    out = subprocess.run([sys.executable, "-c", INSPECT], cwd=repo, capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def _documented(repo: Path) -> List[List[str]]:
    path = repo / ".documented"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _head(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", rev).stdout.strip()


AUTO = {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 2, "delay_seconds": 120,
                                               "max_retries": 4}}


@pytest.fixture
def auto_repo(repo: Path) -> Path:
    _setup(repo, AUTO)
    return repo


def test_readme_hook_is_the_one_under_test() -> None:
    hook = readme_hook()
    assert f"\npython={shlex.quote(sys.executable)}\n" in hook
    assert "post_commit_main(sys.argv[1:], config=effective_config, task=task, each=True)" in hook


def test_commit_enqueues_code_query_records_for_the_file_task(auto_repo: Path) -> None:
    parent = _head(auto_repo)
    err = _commit(auto_repo, ["a.py", "b.py", "tests/test_a.py", "node_modules/m/index.js"])
    assert err == ""
    queued = _queue(auto_repo)
    # One task per record, as Code Query's handler calls process_file_documentation; the
    # excluded files (tests/, node_modules/) are not queued, and queued_at is not passed.
    assert sorted(q["kwargs"]["filepath"] for q in queued) == ["a.py", "b.py"]
    for q in queued:
        assert q["args"] == []
        assert q["kwargs"] == {"filepath": q["kwargs"]["filepath"], "commit_hash": parent,
                               "dataset_name": "proj", "project_root": str(auto_repo.resolve())}
        assert q["retries"] == 4
        assert 100 < q["eta_in"] <= 120  # scheduled delay_seconds ahead
    assert not (auto_repo / ".code-query" / "file_queue.json").exists()  # the queue was taken
    assert git(auto_repo, "status", "--porcelain").stdout == ""


def test_env_override_changes_delay_and_retries_for_that_commit_only(auto_repo: Path) -> None:
    _commit(auto_repo, ["a.py"], env={"CODEQUERY_PROCESSING_DELAY_SECONDS": "0",
                                      "CODEQUERY_PROCESSING_MAX_RETRIES": "1"})
    first = _queue(auto_repo)
    assert [(q["kwargs"]["filepath"], q["retries"], q["eta_in"]) for q in first] == [("a.py", 1, None)]
    _commit(auto_repo, ["x.py"])
    second = [q for q in _queue(auto_repo) if q not in first]
    assert [(q["kwargs"]["filepath"], q["retries"]) for q in second] == [("x.py", 4)]
    assert json.loads((auto_repo / ".code-query" / "config.json").read_text()) == AUTO


def test_legacy_auto_process_file_drives_auto_mode_without_rewrite(repo: Path) -> None:
    path = _setup(repo, {"dataset_name": "legacy", "auto_process": True,
                         "processing": {"batch_size": 3, "delay_seconds": 0, "max_retries": 1}})
    before = path.read_bytes()
    _commit(repo, ["a.py", "b.py"])
    assert sorted((q["kwargs"]["filepath"], q["retries"], q["eta_in"]) for q in _queue(repo)) == [
        ("a.py", 1, None), ("b.py", 1, None)]
    assert path.read_bytes() == before
    assert git(repo, "status", "--porcelain").stdout == ""


def test_manual_mode_documents_synchronously(repo: Path) -> None:
    _setup(repo, {"dataset_name": "m", "processing": {"mode": "manual"}})
    parent = _head(repo)
    assert _commit(repo, ["a.py", "tests/t.py"]) == ""
    assert _documented(repo) == [["m", "a.py", parent]]
    assert _queue(repo) == []


def test_no_worker_falls_back_to_sync_with_a_message(repo: Path) -> None:
    _setup(repo, AUTO, worker=False)
    err = _commit(repo, ["a.py"])
    assert err == ("Code Query background worker is not running; falling back to synchronous processing "
                   "of 1 file(s).\nStart the worker with: python cli.py worker start\n")
    assert [d[1] for d in _documented(repo)] == ["a.py"]
    assert _queue(repo) == []


def test_redis_down_falls_back_to_sync(repo: Path) -> None:
    pytest.importorskip("redis", reason="the redis client is not installed (pip install redis)")
    _setup(repo, AUTO)
    err = _commit(repo, ["a.py", "b.py"], env={"CQ_REDIS_PORT": str(huey_helpers.refused_port())})
    assert err.startswith("Could not queue 2 file(s) for the Code Query worker (ConnectionError: ")
    assert err.endswith("); processing them synchronously.\n")
    assert [d[1] for d in _documented(repo)] == ["a.py", "b.py"]


def test_redis_down_without_fallback_names_the_files(repo: Path) -> None:
    pytest.importorskip("redis", reason="the redis client is not installed (pip install redis)")
    _setup(repo, {"dataset_name": "proj", "processing": {"mode": "auto", "fallback_to_sync": False}})
    err = _commit(repo, ["a.py", "b.py"], env={"CQ_REDIS_PORT": str(huey_helpers.refused_port())})
    assert ") and processing.fallback_to_sync is disabled.\nnot processed: a.py, b.py\n" in err
    # Neither queued nor documented: they stay in the queue for the next commit (README, "Huey").
    assert err.splitlines()[-1].startswith(
        "code-query: 2 record(s) stay in .code-query/file_queue.json for the next commit: a.py, b.py (ConnectionError: ")
    assert [r["filepath"] for r in json.loads((repo / ".code-query" / "file_queue.json").read_text())["files"]] == [
        "a.py", "b.py"]
    assert _documented(repo) == []


def test_a_real_consumer_runs_the_queued_tasks(auto_repo: Path) -> None:
    parent = _head(auto_repo)
    _commit(auto_repo, ["a.py", "b.py"], env={"CODEQUERY_PROCESSING_DELAY_SECONDS": "0"})
    with huey_helpers.consumer("tasks.huey", auto_repo, log=auto_repo / ".code-query" / "consumer.log"):
        wait_for(lambda: len(_documented(auto_repo)) == 2, "the consumer to document 2 files")
    assert sorted(_documented(auto_repo)) == [["proj", "a.py", parent], ["proj", "b.py", parent]]
    assert _queue(auto_repo) == []
