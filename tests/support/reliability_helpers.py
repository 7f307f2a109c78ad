"""Shared pieces of the reliability suites (tests/reliability/).

Every suite runs in CI in bounded time; ``CODEQUERY_SOAK=1`` scales rounds and
examples up (see ``scaled``). Each test reports its counts with ``report``:
a ``RELIABILITY`` line on stdout (see it with ``pytest -s`` or ``-rP``) and,
when ``CODEQUERY_RELIABILITY_REPORT`` names a file, one JSON line appended there.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

# Read at import: the autouse fixture of conftest.py clears every CODEQUERY_* variable per test.
SOAK = os.environ.get("CODEQUERY_SOAK", "").strip().lower() not in ("", "0", "false", "no", "off")
REPORT_FILE = os.environ.get("CODEQUERY_RELIABILITY_REPORT", "")
SEED = int(os.environ.get("CODEQUERY_SEED", "0") or 0)  # replay a crash run's kill timings
PY = sys.executable
CONFIG_REL = os.path.join(".code-query", "config.json")


def scaled(ci: int, soak: int) -> int:
    """A count for this run: ``ci`` in CI, ``soak`` under CODEQUERY_SOAK=1."""
    return soak if SOAK else ci


def seconds(ci: float, soak: float) -> float:
    return soak if SOAK else ci


def report(test: str, **counts: Any) -> None:
    line = {"test": test, "soak": SOAK, **counts}
    print("RELIABILITY " + json.dumps(line, sort_keys=False))
    if REPORT_FILE:
        with open(REPORT_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def full_config(**processing: Any) -> Dict[str, Any]:
    """A valid, current config that sets every processing key."""
    proc = {
        "mode": "manual",
        "fallback_to_sync": True,
        "batch_size": 5,
        "delay_seconds": 300,
        "max_retries": 2,
        "worker_check_interval": 5,
        "queue_timeout": 30,
    }
    proc.update(processing)
    return {
        "schema_version": 2,
        "dataset_name": "project",
        "model": "claude-3-5-sonnet-20240620",
        "processing": proc,
        "exclude_patterns": ["*.test.js", "node_modules/*"],
    }


def git(cwd: str | os.PathLike[str], *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def init_repo(root: Path, config: Optional[Dict[str, Any]] = None, commit: bool = True) -> Path:
    """A git repository at ``root`` with a committed valid config; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    cfg = root / CONFIG_REL
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(json.dumps(config or full_config(), indent=2) + "\n")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-qm", "config")
    return cfg


def temp_files(folder: str | os.PathLike[str]) -> List[str]:
    """Temp files of the atomic writer (``.cqcfg-*.tmp``) left in ``folder``."""
    from codequery_gitcfg.store.atomic import TMP_PREFIX, TMP_SUFFIX

    return sorted(n for n in os.listdir(folder) if n.startswith(TMP_PREFIX) and n.endswith(TMP_SUFFIX))


def strict_read(path: str | os.PathLike[str]) -> Dict[str, Any]:
    """The core's strict reader plus the run-time validation: raises on anything torn or invalid."""
    import warnings

    from codequery_gitcfg.core import judge
    from codequery_gitcfg.store import files

    doc = files.read(os.fspath(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        judge.runtime(judge.judge(doc.data, doc.text))
    return doc.data


def read_valid(path: str | os.PathLike[str]) -> Dict[str, Any]:
    """Like ``strict_read`` but thread-safe (no warnings machinery): the strict
    reader, the migration and the schema's errors (unknown keys aside)."""
    from codequery_gitcfg.core.errors import ConfigError
    from codequery_gitcfg.core.migrate import migrate
    from codequery_gitcfg.core.schema import check
    from codequery_gitcfg.store import files

    doc = files.read(os.fspath(path))
    errors, _ = check(migrate(doc.data).config)
    if errors:
        raise ConfigError(errors, os.fspath(path))
    return doc.data


# -- forked workers -------------------------------------------------------------
def fork_call(fn: Callable[..., Any], *args: Any, stderr_path: Optional[str] = None) -> int:
    """Run ``fn(*args)`` in a forked child; exit 0 on return, 1 on any exception.

    The parent has every module imported already, so a fork costs milliseconds
    where a fresh interpreter costs a quarter of a second.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _forget_inherited_locks()
        if stderr_path:
            fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 2)
            os.close(fd)
        fn(*args)
        code = 0
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code)


def _forget_inherited_locks() -> None:
    """Drop the FileLock objects inherited from the parent.

    filelock >= 4 refuses an instance inherited across fork ("construct a new
    instance"), and codequery_gitcfg.locking caches one instance per path for
    the whole process, so a forked child that writes would get a RuntimeError.
    That bug has its own test (reliability/test_locks.py::
    test_forked_child_can_take_the_lock_its_parent_used); the other suites
    clear the cache here so they test what they are about. Harmless once fixed.
    """
    try:
        from codequery_gitcfg.store import locking
    except ImportError:
        return
    locks = getattr(locking, "_locks", None)
    if isinstance(locks, dict):
        locks.clear()


def wait_pids(pids: Iterable[int], timeout: float) -> Dict[int, int]:
    """Wait for every pid (bounded); SIGKILL stragglers. pid -> raw wait status."""
    pending = set(pids)
    out: Dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while pending:
        for pid in list(pending):
            got, status = os.waitpid(pid, os.WNOHANG)
            if got:
                out[pid] = status
                pending.discard(pid)
        if not pending:
            break
        if time.monotonic() > deadline:
            for pid in pending:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in pending:
                _, status = os.waitpid(pid, 0)
                out[pid] = -1  # timed out
            break
        time.sleep(0.005)
    return out


def read_ready(fd: int, timeout: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 4096) if ready else b""


class Deadline:
    """A bound on a loop's time, next to its bound on rounds."""

    def __init__(self, seconds_: float) -> None:
        self.end = time.monotonic() + seconds_

    @property
    def passed(self) -> bool:
        return time.monotonic() > self.end
