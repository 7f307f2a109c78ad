"""Turn an effective config into what Code Query's Huey post-commit hook does.

SPEC section 7: manual mode processes synchronously; auto mode with a live
worker enqueues batches of ``batch_size`` files, ``delay_seconds`` ahead, with
``max_retries`` retries; auto mode without a worker processes synchronously if
``fallback_to_sync``, else skips with a message.

huey is an optional extra. This module never imports it at module level, so
:func:`plan_dispatch` and :func:`worker_running` work (and the core package can
re-export them) without huey installed; only :func:`enqueue` and
:func:`default_huey` need it.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .core.defaults import DEFAULT_PROCESSING
from .core.errors import ConfigError
from .core.judge import field_errors
from .git.repo import find_worktree

if TYPE_CHECKING:
    # huey ships no type information; "unused-ignore" keeps this quiet whether
    # or not the project's mypy config also ignores huey's missing stubs.
    from huey import SqliteHuey  # type: ignore[import-untyped, unused-ignore]
    from huey.api import Result, TaskWrapper  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "DEFAULT_WORKER_HINT",
    "HUEY_NAME",
    "STATE_DIR_NAME",
    "Action",
    "DispatchPlan",
    "default_huey",
    "default_pid_file",
    "enqueue",
    "plan_dispatch",
    "worker_running",
]

Action = Literal["sync", "enqueue", "skip"]
PathArg = Union[str, "os.PathLike[str]"]

# A constant, not something derived from the repository path: the consumer must
# build a Huey with the same name to see the queued tasks, and moving or
# renaming the repository must not orphan them. The database file is already
# per repository (it lives in its git directory), so the name need not be.
HUEY_NAME = "codequery-gitcfg"

# Folder inside the git directory: never shows in `git status`, never committed,
# and per worktree, like the worktree's own config file.
STATE_DIR_NAME = "codequery-gitcfg"

# Code Query's own command for starting its background worker.
DEFAULT_WORKER_HINT = "python server.py worker start"

# A pid file holds a handful of digits; anything longer is not one of ours.
_PID_FILE_MAX_BYTES = 64
_PID_RE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class DispatchPlan:
    """What the post-commit hook should do with the files of a commit.

    ``batches`` always describes the files (also for "sync", so synchronous
    processing can go batch by batch, and for "skip", so the caller can say
    which files were left out); only "enqueue" plans can be passed to
    :func:`enqueue`.
    """

    action: Action
    batches: Tuple[Tuple[str, ...], ...]
    delay: float
    retries: int
    message: str = ""
    dataset_name: Optional[str] = None

    @property
    def files(self) -> Tuple[str, ...]:
        """All files of the plan, in their original order."""
        return tuple(f for batch in self.batches for f in batch)


def plan_dispatch(
    config: Mapping[str, Any],
    files: Sequence[str],
    worker_running: bool,
    *,
    worker_hint: str = DEFAULT_WORKER_HINT,
) -> DispatchPlan:
    """Decide how the files of a commit get documented.

    ``config`` is an effective config (``codequery_gitcfg.effective_config()``).
    Missing processing keys take their SPEC 2.1 defaults; a value of the wrong
    type raises ``ValueError`` naming the dotted field, because guessing would
    hide the bug that produced it. No files means nothing to do: action "skip"
    with an empty message, so hooks stay quiet on empty and merge commits.
    ``worker_hint`` is the command shown to start the worker.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, not {type(config).__name__}")
    # A lone string is a Sequence[str] too, and would be split into characters.
    if isinstance(files, (str, bytes)) or not isinstance(files, Sequence):
        raise TypeError("files must be a sequence of path strings")
    for f in files:
        if not isinstance(f, str):
            raise TypeError(f"files must contain strings, got {type(f).__name__}: {f!r}")

    # Missing keys take their defaults; values are judged by the schema, the
    # same rules and messages as the file (no second validator here).
    processing = config.get("processing")
    if processing is None:
        processing = {}
    elif not isinstance(processing, Mapping):
        raise ConfigError("processing: processing must be an object")
    processing = {**DEFAULT_PROCESSING, **processing}
    dataset_name = config.get("dataset_name")
    errors = field_errors({"dataset_name": dataset_name or "unnamed", "processing": processing})
    if errors:
        raise ConfigError(errors)
    mode = processing["mode"]
    fallback = processing["fallback_to_sync"]
    batch_size = processing["batch_size"]
    delay = processing["delay_seconds"]
    retries = processing["max_retries"]

    batches = tuple(
        tuple(files[i : i + batch_size]) for i in range(0, len(files), batch_size)
    )
    count = f"{len(files)} file(s)"

    action: Action
    message = ""
    if not files:
        action = "skip"
    elif mode == "manual":
        action = "sync"
    elif worker_running:
        action = "enqueue"
    elif fallback:
        action = "sync"
        message = (
            "Code Query background worker is not running; falling back to "
            f"synchronous processing of {count}.\n"
            f"Start the worker with: {worker_hint}"
        )
    else:
        action = "skip"
        message = (
            "Code Query background worker is not running and "
            f"processing.fallback_to_sync is disabled: {count} not processed.\n"
            f"Start the worker with: {worker_hint}\n"
            "or enable the fallback: codequery-gitcfg set processing.fallback_to_sync true"
        )
    return DispatchPlan(
        action=action,
        batches=batches,
        delay=delay,
        retries=retries,
        message=message,
        dataset_name=dataset_name,
    )


def enqueue(plan: DispatchPlan, task: TaskWrapper, /, **task_kwargs: Any) -> List[Optional[Result]]:
    """Put every batch of an "enqueue" plan on the Huey queue of ``task``.

    ``task`` is a function decorated with ``@huey.task()`` on any Huey
    instance. Each batch becomes one task call, ``task(list(batch),
    **task_kwargs)``, with ``plan.retries`` retries, due ``plan.delay`` seconds
    from now (delay 0: due at once, no eta). Returns one Huey ``Result`` per
    batch, in order (``None`` entries if the Huey was made with
    ``results=False``).

    Raises ``ValueError`` for any other action: enqueueing a "sync" or "skip"
    plan is a caller bug, and silently doing nothing would lose the files.
    """
    from huey.api import TaskWrapper as _TaskWrapper  # type: ignore[import-untyped, unused-ignore]

    if plan.action != "enqueue":
        raise ValueError(f"cannot enqueue a {plan.action!r} plan; only 'enqueue' plans are queued")
    if not isinstance(task, _TaskWrapper):
        raise TypeError(
            f"task must be a Huey task (a function decorated with @huey.task()), not {task!r}"
        )

    results: List[Optional[Result]] = []
    for batch in plan.batches:
        if plan.delay > 0:
            results.append(
                task.schedule(
                    args=(list(batch),),
                    kwargs=dict(task_kwargs),
                    delay=plan.delay,
                    retries=plan.retries,
                )
            )
        else:
            # schedule() always sets an eta, and task.s() would swallow task
            # kwargs that share a name with its own options (id, retries,
            # timeout, ...); building the task the way schedule() does, without
            # an eta, queues it as due now and passes task_kwargs untouched.
            results.append(
                task.huey.enqueue(
                    task.task_class((list(batch),), dict(task_kwargs), retries=plan.retries)
                )
            )
    return results


def worker_running(pid_file: PathArg) -> bool:
    """True only if ``pid_file`` holds the pid of a live process.

    A missing, unreadable, oversized or garbage file, a pid of 0 or below, and
    a stale pid (the process is gone) all give False. Without extra
    dependencies a pid reused by an unrelated process cannot be told apart,
    so workers should remove their pid file on exit.
    """
    try:
        with open(pid_file, "rb") as fh:
            raw = fh.read(_PID_FILE_MAX_BYTES + 1)
    except (OSError, ValueError):
        return False
    if len(raw) > _PID_FILE_MAX_BYTES:
        return False
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return False
    # Strict digits: int() would also take "+12", "1_2" and Unicode digits, and
    # pid 0 / -1 would signal our process group / every process.
    if not _PID_RE.fullmatch(text):
        return False
    pid = int(text)
    if pid <= 0:
        return False
    return _pid_alive(pid)


def default_pid_file(
    path: Optional[PathArg] = None, *, environ: Optional[Mapping[str, str]] = None
) -> Path:
    """``<git dir>/codequery-gitcfg/huey.pid`` of the repository at ``path``.

    Only computes the path (a check for a worker must not create folders).
    """
    return _git_dir(path, environ=environ) / STATE_DIR_NAME / "huey.pid"


def default_huey(
    path: Optional[PathArg] = None,
    *,
    environ: Optional[Mapping[str, str]] = None,
    **huey_kwargs: Any,
) -> SqliteHuey:
    """A ``SqliteHuey`` named ``HUEY_NAME`` with its database under the git dir.

    The database is ``<git dir>/codequery-gitcfg/huey.db`` of the repository
    at ``path`` (default: the current directory); the folder is created. Inside
    the git directory the queue is never committed nor shown by ``git status``.
    ``huey_kwargs`` go to ``SqliteHuey`` (for example ``immediate=True``).
    Raises ``ValueError`` ("not a git repository") outside a repository.
    """
    from huey import SqliteHuey as _SqliteHuey  # type: ignore[import-untyped, unused-ignore]

    state_dir = _git_dir(path, environ=environ) / STATE_DIR_NAME
    state_dir.mkdir(parents=True, exist_ok=True)
    return _SqliteHuey(HUEY_NAME, filename=str(state_dir / "huey.db"), **huey_kwargs)


def _git_dir(path: Optional[PathArg] = None, *, environ: Optional[Mapping[str, str]] = None) -> Path:
    """Absolute git directory of the worktree containing ``path`` (default: cwd)."""
    start = os.getcwd() if path is None else os.path.abspath(os.fspath(path))
    if not os.path.exists(start):
        raise ValueError(f"not a git repository: {start} does not exist")
    env = os.environ if environ is None else environ
    if path is not None:
        # An explicit path means that path's repository, not whatever GIT_DIR a
        # calling hook left in the environment (as GitPython's Repo(path) does).
        env = {k: v for k, v in env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    worktree = find_worktree(start, env)
    if worktree is None:
        raise ValueError(f"not a git repository: {start}")
    return Path(worktree.git_dir)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        # The process exists; it just belongs to another user.
        return True
    except (OSError, OverflowError):
        return False
    return True
