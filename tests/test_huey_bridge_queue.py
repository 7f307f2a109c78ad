"""The Huey post-commit hook and Code Query's queue file (README, "Huey: the post-commit hook" and
"Reliability", "Hardening, round 2 (issue 22)"): the queue loses only what was queued or
documented. Whatever failed stays in `.code-query/file_queue.json`, named in one line, and a
queue file that is not a regular file of sensible size is never read and never touched.

Each test installs the hook with `install --huey-post-commit` and makes real `git commit`s
whose PATH lacks the virtual environment; where tasks go to a queue, a real `redis-server` on
127.0.0.1 is started and stopped by the test.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from support import huey_helpers
from support.hooks import bare_path, install, run_git
from support.repos import git

QUEUE = Path(".code-query") / "file_queue.json"

# Code Query's tasks.py, with two ways to break it: a file named bad* cannot be documented, and
# CQ_TASKS_BROKEN makes the module itself fail as it is imported (as a broker that is down at
# import, or a syntax error, would). CQ_REDIS_PORT selects a RedisHuey for the queuing tests.
TASKS = '''
import json, os
from huey import RedisHuey, SqliteHuey

if os.environ.get("CQ_TASKS_BROKEN"):
    raise RuntimeError("tasks.py cannot start: " + os.environ["CQ_TASKS_BROKEN"])
if os.environ.get("CQ_REDIS_PORT"):
    huey = RedisHuey("code-query-worker", host="127.0.0.1", port=int(os.environ["CQ_REDIS_PORT"]))
else:
    huey = SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db")


@huey.task()
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    if os.path.basename(filepath).startswith("bad"):
        raise ValueError("cannot document " + filepath)
    with open(os.path.join(project_root, ".documented"), "a") as f:
        f.write(json.dumps([dataset_name, filepath, commit_hash]) + "\\n")
'''

# What the Redis queue holds, asked through the worktree's own tasks module.
PENDING = '''
import json, sys
sys.path.insert(0, ".")
import tasks
print(json.dumps(sorted(t.kwargs["filepath"] for t in tasks.huey.pending() + tasks.huey.scheduled())))
'''

# The queue's documented limit (README, "Huey: the post-commit hook"): some 100,000 records.
QUEUE_MAX_BYTES = 16 * 1024 * 1024
MANUAL = {"dataset_name": "proj", "processing": {"mode": "manual"}}
AUTO = {"dataset_name": "proj", "processing": {"mode": "auto", "delay_seconds": 0}}


def setup(repo: Path, config: Dict[str, Any], *, worker: bool = False) -> Path:
    (repo / "tasks.py").write_text(TASKS)
    (repo / ".code-query").mkdir(exist_ok=True)
    (repo / ".code-query" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (repo / ".gitignore").write_text(".documented\n__pycache__/\n.code-query/*\n!.code-query/config.json\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "setup")
    install(repo, "-t", "pre-commit", "--huey-post-commit")
    if worker:  # a live worker, as Code Query's `worker start` leaves its pid file
        (repo / ".code-query" / "worker.pid").write_text(str(os.getpid()))
    return repo


def commit(repo: Path, records: List[Any], **env: str) -> str:
    """Queue ``records`` as Code Query's pre-commit hook does, commit a change; the commit's stderr."""
    (repo / "change.txt").write_text(f"{time.time()}\n")
    (repo / QUEUE).write_text(json.dumps({"files": records}))
    git(repo, "add", "change.txt")
    proc = run_git(repo, "commit", "-qm", "change", **env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def queued(repo: Path) -> List[Any]:
    files: List[Any] = json.loads((repo / QUEUE).read_text())["files"]
    return files


def documented(repo: Path) -> List[str]:
    path = repo / ".documented"
    return [json.loads(line)[1] for line in path.read_text().splitlines()] if path.exists() else []


def lines(err: str, start: str = "code-query: ") -> List[str]:
    return [line for line in err.splitlines() if line.startswith(start)]


@pytest.fixture
def redis_port() -> Iterator[int]:
    with huey_helpers.redis_server() as (port, _):
        yield port


def on_redis(repo: Path, port: int) -> List[str]:
    out = subprocess.run([sys.executable, "-c", PENDING], cwd=repo, capture_output=True, text=True, check=True,
                         env={**os.environ, "CQ_REDIS_PORT": str(port)})
    names: List[str] = json.loads(out.stdout)
    return names


A, BAD, C = ({"filepath": "a.py", "commit_hash": "abc"}, {"filepath": "bad\x1b[2J.py", "commit_hash": "abc"},
             {"filepath": "c.py"})


def test_a_task_that_raises_for_one_file_keeps_only_that_file_queued_and_names_it(repo: Path) -> None:
    setup(repo, MANUAL)
    err = commit(repo, [A, BAD, C])
    assert documented(repo) == ["a.py", "c.py"]
    assert queued(repo) == [BAD]  # as it was queued: the next commit tries it again
    [line] = lines(err)
    assert "bad\\x1b[2J.py" in line and "\x1b" not in err  # named, escaped
    assert "ValueError: cannot document bad" in line
    assert "a.py" not in line and "c.py" not in line

    # Fixed (here: renamed away by the test), the next commit documents it and the queue goes.
    (repo / "tasks.py").write_text(TASKS.replace('startswith("bad")', 'startswith("never")'))
    git(repo, "add", "tasks.py")
    err = run_git(repo, "commit", "-qm", "fix tasks").stderr
    assert lines(err) == []
    assert documented(repo) == ["a.py", "c.py", BAD["filepath"]]
    assert not (repo / QUEUE).exists()


def test_without_a_worker_the_fallback_documents_the_others_and_keeps_the_failing_one(repo: Path) -> None:
    setup(repo, AUTO)
    err = commit(repo, [A, BAD, C])
    assert documented(repo) == ["a.py", "c.py"]
    assert queued(repo) == [BAD]
    assert len(lines(err)) == 1


def test_a_task_module_that_fails_to_import_loses_nothing(repo: Path, redis_port: int) -> None:
    setup(repo, AUTO, worker=True)
    port = str(redis_port)
    # Enqueueing cannot load the task, and neither can the fallback that imports it again.
    err = commit(repo, [A, C], CQ_REDIS_PORT=port, CQ_TASKS_BROKEN="no broker")
    assert queued(repo) == [A, C]
    assert documented(repo) == [] and on_redis(repo, redis_port) == []
    [line] = lines(err)
    assert "a.py" in line and "c.py" in line and "RuntimeError: tasks.py cannot start: no broker" in line

    # Once it imports, the next commit queues what was kept, and the queue file goes.
    err = commit(repo, [*queued(repo), {"filepath": "d.py"}], CQ_REDIS_PORT=port)
    assert lines(err) == []
    assert on_redis(repo, redis_port) == ["a.py", "c.py", "d.py"]
    assert not (repo / QUEUE).exists()


def test_a_malformed_record_is_kept_and_named_the_others_are_queued(repo: Path, redis_port: int) -> None:
    setup(repo, AUTO, worker=True)
    broken = [{"path": "x.py"}, 42, {"filepath": "b.py", "commit_hash": 5}, {"filepath": ""}]
    err = commit(repo, [A, *broken, C], CQ_REDIS_PORT=str(redis_port))
    assert on_redis(repo, redis_port) == ["a.py", "c.py"]
    assert queued(repo) == broken
    [line] = lines(err)
    assert line.startswith("code-query: 4 record(s) stay in .code-query/file_queue.json for the next commit: ")
    assert "record 1 (" in line and "x.py" in line and "record 2 (" in line and "not 42" in line
    assert "record 3 (commit_hash must be a string, not 5 ('b.py'))" in line and "record 4 (has an empty path" in line


def test_a_queue_that_is_not_json_is_left_as_it_is(repo: Path) -> None:
    setup(repo, MANUAL)
    (repo / QUEUE).write_text('{"files": [')
    (repo / "change.txt").write_text("x\n")
    git(repo, "add", "change.txt")
    err = run_git(repo, "commit", "-qm", "change").stderr
    assert "Traceback" not in err
    assert (repo / QUEUE).read_text() == '{"files": ['
    assert len(lines(err)) == 1 and "file_queue.json" in err


def test_a_committed_queue_symlink_to_dev_zero_is_not_read_nor_touched(repo: Path) -> None:
    setup(repo, MANUAL)
    (repo / QUEUE).symlink_to("/dev/zero")
    git(repo, "add", "-f", str(QUEUE))
    proc = subprocess.run(["git", "commit", "-qm", "a queue that never ends"], cwd=repo, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PATH": bare_path()})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert os.readlink(repo / QUEUE) == "/dev/zero"
    [line] = lines(proc.stderr)
    assert "file_queue.json" in line and "not a regular file" in line and "left as it is" in line


def test_a_queue_over_the_size_limit_is_not_read_nor_touched(repo: Path) -> None:
    setup(repo, MANUAL)
    with open(repo / QUEUE, "wb") as f:  # sparse: no disk used
        f.truncate(QUEUE_MAX_BYTES + 1)
    before = os.stat(repo / QUEUE)
    (repo / "change.txt").write_text("x\n")
    git(repo, "add", "change.txt")
    err = run_git(repo, "commit", "-qm", "change").stderr
    after = os.stat(repo / QUEUE)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    [line] = lines(err)
    assert f"larger than {QUEUE_MAX_BYTES} bytes" in line and "left as it is" in line
    from codequery_gitcfg.huey_bridge import QUEUE_MAX_BYTES as limit

    assert limit == QUEUE_MAX_BYTES


def test_a_python_without_huey_keeps_the_queue_and_says_what_to_install(repo: Path, tmp_path: Path) -> None:
    from codequery_gitcfg.git import install as installer
    from codequery_gitcfg.git.repo import worktree_by_gitpython

    setup(repo, MANUAL)
    python = huey_helpers.python_without_huey(tmp_path / "no-huey")
    worktree = worktree_by_gitpython(str(repo), os.environ)
    assert worktree is not None
    assert installer.install(worktree, ["pre-commit"], str(python), os.environ, huey=True) == 0
    err = commit(repo, [A, C])
    assert queued(repo) == [A, C] and documented(repo) == []
    [line] = lines(err)
    assert "No module named 'huey'" in line and f"{python} -m pip install huey" in line
