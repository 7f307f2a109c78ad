"""Turn an effective config into what Code Query's Huey post-commit hook does.

The README ("Huey"): manual mode processes synchronously; auto mode with a live
worker enqueues batches of ``batch_size`` records, ``delay_seconds`` ahead, with
``max_retries`` retries; auto mode without a worker processes synchronously if
``fallback_to_sync``, else skips with a message. A broker that fails while we
enqueue is handled the same way, record by record: nothing is dropped silently.

Records are what Code Query's queue file holds (``{"filepath": "a.py",
"commit_hash": "abc123", "queued_at": ...}``) or plain paths. The defaults are
Code Query's own: its worker's pid file ``<worktree>/.code-query/worker.pid``
and its queue ``SqliteHuey("code-query-worker",
filename="<worktree>/.code-query/huey_jobs.db")``. A worker on another machine
(a shared Redis) leaves no pid file here; :func:`install_heartbeat` and
:func:`worker_alive` see it through the queue's own storage.

huey is an optional extra. This module never imports it at module level, so
:func:`plan_dispatch`, :func:`worker_running` and a manual-mode
:func:`dispatch` work (and stay cheap in a post-commit hook) without huey.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import posixpath
import re
import stat
import sys
import time
from collections import Counter
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Literal,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    TextIO,
    Tuple,
    Union,
)

from .core.defaults import defaults
from .core.errors import ConfigError, escape
from .core.names import CONFIG_DIR
from .core.schema import field_errors

if TYPE_CHECKING:
    from pathlib import Path

    # huey ships no type information; "unused-ignore" keeps this quiet whether
    # or not the project's mypy config also ignores huey's missing stubs.
    from huey import Huey, SqliteHuey  # type: ignore[import-untyped, unused-ignore]
    from huey.api import Result, TaskWrapper  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "DB_FILE_NAME",
    "DEFAULT_WORKER_HINT",
    "HEARTBEAT_KEY",
    "HEARTBEAT_MAX_AGE",
    "HUEY_NAME",
    "PID_FILE_NAME",
    "QUEUE_FILE_NAME",
    "QUEUE_MAX_BYTES",
    "STATE_DIR_NAME",
    "Action",
    "Dispatch",
    "DispatchPlan",
    "EnqueueResult",
    "Heartbeat",
    "Record",
    "default_huey",
    "default_pid_file",
    "dispatch",
    "enqueue",
    "install_heartbeat",
    "last_heartbeat",
    "plan_dispatch",
    "post_commit_main",
    "record_path",
    "worker_alive",
    "worker_running",
]

Action = Literal["sync", "enqueue", "skip"]
PathArg = Union[str, "os.PathLike[str]"]
# A plain path, or one of Code Query's queue records: {"filepath": ..., "commit_hash": ..., ...}.
Record = Union[str, Mapping[str, Any]]

# Code Query's worker (tasks.py) consumes this queue: same name, same file.
HUEY_NAME = "code-query-worker"
# Code Query's folder at the worktree root; its worker writes its pid file there.
STATE_DIR_NAME = CONFIG_DIR  # Code Query keeps its worker state beside the config
PID_FILE_NAME = "worker.pid"
DB_FILE_NAME = "huey_jobs.db"

# Code Query's own command for starting its background worker.
DEFAULT_WORKER_HINT = "python cli.py worker start"

# Where the worker's beat lives in the queue's key-value storage.
HEARTBEAT_KEY = "codequery-gitcfg.heartbeat"
# Huey's scheduler runs periodic tasks once a minute; three missed beats mean
# the worker is gone (or busy for that long, when it has a single worker).
HEARTBEAT_MAX_AGE = 180.0

# Code Query's pre-commit hook queues the files of each commit here, in the worktree's .code-query.
QUEUE_FILE_NAME = "file_queue.json"
# Some 100,000 of Code Query's records: far above any commit, far below what would hurt to read
# (a queue linked to /dev/zero, or grown without bound, is refused, not read).
QUEUE_MAX_BYTES = 16 * 1024 * 1024

# A pid file holds a handful of digits; anything longer is not one of ours.
_PID_FILE_MAX_BYTES = 64
_PID_RE = re.compile(r"[0-9]+")
# A commit of thousands of files must not print thousands of lines.
_MAX_NAMES_SHOWN = 10


class DispatchPlan(NamedTuple):
    """What the post-commit hook should do with the records of a commit.

    ``batches`` always describes the records kept (also for "sync", so
    synchronous processing can go batch by batch, and for "skip", so the caller
    can say which files were left out); ``excluded`` holds those that
    ``exclude_patterns`` dropped. Only "enqueue" plans can be passed to
    :func:`enqueue`. Records are kept as given, in their order.
    """

    action: Action
    batches: Tuple[Tuple[Record, ...], ...]
    delay: float
    retries: int
    message: str = ""
    dataset_name: Optional[str] = None
    excluded: Tuple[Record, ...] = ()
    fallback_to_sync: bool = True

    @property
    def files(self) -> Tuple[Record, ...]:
        """All records of the plan, in their original order."""
        return tuple(f for batch in self.batches for f in batch)


class EnqueueResult(NamedTuple):
    """What :func:`enqueue` put on the queue, and what it could not.

    ``results`` holds one Huey ``Result`` per task queued (``None`` entries
    when the Huey was made with ``results=False``). On the first refusal of the
    broker ``enqueue`` stops: ``failed`` holds every record not queued (always
    the tail of ``plan.files``, in order), and ``reason`` says why.

    A request that got no answer (the connection dropped or timed out once it was
    sent) is not a refusal: the broker may hold the task. Its records are queued
    when the queue is seen to hold the task's id; otherwise they are counted as
    queued but ``unconfirmed`` (never also processed elsewhere: the caller names
    them), and ``reason`` says what happened.
    """

    results: Tuple[Optional[Result], ...]
    failed: Tuple[Record, ...] = ()
    reason: str = ""
    unconfirmed: Tuple[Record, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


class Dispatch(NamedTuple):
    """What :func:`dispatch` did: each record of the commit is in exactly one group."""

    plan: DispatchPlan
    enqueued: Tuple[Record, ...] = ()
    synced: Tuple[Record, ...] = ()
    skipped: Tuple[Record, ...] = ()  # not processed: no worker (or broker) and no fallback
    reason: str = ""  # why enqueueing failed, if it did
    # Of ``enqueued``: sent, but the broker's answer was lost and the queue could not
    # show the task; not processed here (a file goes one way only), named on stderr.
    unconfirmed: Tuple[Record, ...] = ()


class Heartbeat(NamedTuple):
    """The last beat a worker left in the queue's storage."""

    time: float  # seconds since the epoch, by the worker's clock
    host: str
    pid: int


def record_path(record: Record) -> str:
    """The file path of a record: the string itself, or its ``"filepath"``."""
    if isinstance(record, str):
        return record
    path = record.get("filepath") if isinstance(record, Mapping) else None
    if not isinstance(path, str):
        raise TypeError(f"a record is a path string or a mapping with a 'filepath' string, not {record!r}")
    return path


def _commit_hash(record: Record) -> str:
    # As Code Query's handler: record.get("commit_hash", "HEAD"); a null hash is missing too.
    value = None if isinstance(record, str) else record.get("commit_hash")
    return "HEAD" if value is None else value


def _check_records(records: Sequence[Record]) -> None:
    # A lone string is a Sequence too, and would be split into characters.
    if isinstance(records, (str, bytes)) or not isinstance(records, Sequence):
        raise TypeError("records must be a sequence of path strings or mappings with a 'filepath'")
    for index, record in enumerate(records):
        problem = _record_problem(index, record)
        if problem:
            raise TypeError(problem)


def _record_problem(index: int, record: Any) -> Optional[str]:
    """What is wrong with record ``index``, or None: the post-commit hook keeps a bad record
    in the queue, named, where plan_dispatch refuses the whole list."""
    try:
        path = record_path(record)
    except TypeError as exc:
        return str(exc)
    if not path:
        return f"record {index} has an empty path: {record!r}"
    if not isinstance(record, str):
        commit_hash = record.get("commit_hash")
        if commit_hash is not None and not isinstance(commit_hash, str):
            return f"record {index}: commit_hash must be a string, not {commit_hash!r} ({path!r})"
    return None


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    # Code Query matches fnmatch against the path relative to the worktree;
    # git and Code Query's queue give exactly that, maybe with a leading "./".
    rel = posixpath.normpath(path.replace(os.sep, "/"))
    return any(fnmatch.fnmatch(rel, pattern) for pattern in patterns)


def plan_dispatch(
    config: Mapping[str, Any],
    records: Sequence[Record],
    worker_running: bool,
    *,
    worker_hint: str = DEFAULT_WORKER_HINT,
) -> DispatchPlan:
    """Decide how the records of a commit get documented.

    ``config`` is an effective config (``codequery_gitcfg.effective_config()``).
    ``records`` are path strings or Code Query's queue records (mappings with a
    ``"filepath"``); those whose path matches ``exclude_patterns`` are dropped
    (``plan.excluded``). Missing keys take their defaults (README: "Config reference"); a value of
    the wrong type raises ``ConfigError`` (a ``ValueError``) naming the dotted
    field, with the file's own messages, because guessing would hide the bug
    that produced it. No records left means nothing to do: action "skip" with
    an empty message, so hooks stay quiet on empty and merge commits.
    ``worker_hint`` is the command shown to start the worker.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, not {type(config).__name__}")
    _check_records(records)

    # Missing keys take their defaults; values are judged by the schema, the
    # same rules and messages as the file (no second validator here).
    processing = config.get("processing")
    if processing is None:
        processing = {}
    elif not isinstance(processing, Mapping):
        raise ConfigError("processing: processing must be an object")
    default = defaults()  # the core's, not the public copies a caller may have changed
    processing = {**default["processing"], **processing}
    patterns = config.get("exclude_patterns")
    if patterns is None:
        patterns = default["exclude_patterns"]
    dataset_name = config.get("dataset_name")
    errors = field_errors(
        {"dataset_name": dataset_name or "unnamed", "processing": processing, "exclude_patterns": patterns}
    )
    if errors:
        raise ConfigError(errors)
    mode = processing["mode"]
    fallback = processing["fallback_to_sync"]
    batch_size = processing["batch_size"]

    kept = [r for r in records if not _excluded(record_path(r), patterns)]
    excluded = tuple(r for r in records if _excluded(record_path(r), patterns))
    batches = tuple(tuple(kept[i : i + batch_size]) for i in range(0, len(kept), batch_size))
    count = f"{len(kept)} file(s)"

    action: Action
    message = ""
    if not kept:
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
        delay=processing["delay_seconds"],
        retries=processing["max_retries"],
        message=message,
        dataset_name=dataset_name,
        excluded=excluded,
        fallback_to_sync=fallback,
    )


def enqueue(plan: DispatchPlan, task: TaskWrapper, /, *, each: bool = False, **task_kwargs: Any) -> EnqueueResult:
    """Put the records of an "enqueue" plan on the Huey queue of ``task``.

    ``task`` is a function decorated with ``@huey.task()`` on any Huey. By
    default each batch is one task call, the list of its records (as given)
    first: ``task(list(batch), **task_kwargs)``, the shape of Code Query's
    ``process_documentation_batch(files, dataset_name, project_root)``. With
    ``each=True`` each record is one call, as Code Query's handler calls
    ``process_file_documentation``: ``task(filepath=..., commit_hash=...,
    **task_kwargs)``, the hash from the record (``"HEAD"`` when it has none);
    the record's other keys (``queued_at``) are not passed. Either way each
    task has ``plan.retries`` retries and is due ``plan.delay`` seconds from
    now (delay 0: due at once, no eta).

    A broker failure does not raise: the first one stops the loop and the
    result names every record not queued, with the reason. A "sync" or "skip"
    plan, or a ``task`` that is not a Huey task, is a caller bug and raises.
    """
    from huey.api import TaskWrapper as _TaskWrapper  # type: ignore[import-untyped, unused-ignore]

    if plan.action != "enqueue":
        raise ValueError(f"cannot enqueue a {plan.action!r} plan; only 'enqueue' plans are queued")
    if not isinstance(task, _TaskWrapper):
        raise TypeError(
            f"task must be a Huey task (a function decorated with @huey.task()), not {task!r}"
        )
    if each and {"filepath", "commit_hash"} & set(task_kwargs):
        raise TypeError("with each=True, filepath and commit_hash come from each record, not task_kwargs")

    calls: List[Tuple[Tuple[Record, ...], Tuple[Any, ...], Dict[str, Any]]]
    if each:
        calls = [
            ((r,), (), {"filepath": record_path(r), "commit_hash": _commit_hash(r), **task_kwargs})
            for r in plan.files
        ]
    else:
        calls = [(batch, (list(batch),), dict(task_kwargs)) for batch in plan.batches]

    huey = task.huey
    try:
        # The broker answers before anything is sent: a failure here queued nothing.
        huey.pending_count()
    except Exception as exc:  # noqa: BLE001 -- as below
        return EnqueueResult((), plan.files, _reason(exc))
    results: List[Optional[Result]] = []
    unconfirmed: List[Record] = []
    reason = ""
    for index, (records, args, kwargs) in enumerate(calls):
        job = _job(task, args, kwargs, plan)
        try:
            results.append(huey.enqueue(job))
            continue
        # Each broker fails in its own way (redis.ConnectionError, sqlite3.Error,
        # OSError, a pickling error for a record it cannot store); whatever it
        # is, these records are not queued and the caller must hear of them.
        except Exception as exc:  # noqa: BLE001
            reason = reason or _reason(exc)
            answered = not _unanswered(exc)
        rest = tuple(r for recs, _, _ in calls[index + 1:] for r in recs)
        held = None if answered else _holds(huey, job.id)
        if answered or (held is False and job.eta is not None and job.eta > _now(huey)):
            # Refused, or not on the queue while it is not yet due (the schedule would show it): not queued.
            return EnqueueResult(tuple(results), records + rest, reason, tuple(unconfirmed))
        results.append(_result(huey, job))
        if not held:
            # Sent without an answer, and not seen on the queue: a worker may have taken it already.
            unconfirmed.extend(records)
        if held is None:  # the queue cannot be asked either: the rest is not sent
            return EnqueueResult(tuple(results), rest, reason, tuple(unconfirmed))
    return EnqueueResult(tuple(results), (), reason if unconfirmed else "", tuple(unconfirmed))


def _job(task: TaskWrapper, args: Tuple[Any, ...], kwargs: Dict[str, Any], plan: DispatchPlan) -> Any:
    """The task as schedule() builds it, with its id given here: a request that gets no
    answer is then looked for on the queue. (task.s() would swallow task kwargs that
    share a name with its own options: id, retries, timeout, ...) Delay 0: due now, no eta."""
    import uuid  # here, as huey: planning alone never pays for it (huey imports it anyway)

    from huey.utils import normalize_time  # type: ignore[import-untyped, unused-ignore]

    eta = normalize_time(delay=plan.delay, utc=task.huey.utc) if plan.delay > 0 else None
    return task.task_class(args, kwargs, id=str(uuid.uuid4()), eta=eta, retries=plan.retries)


def _unanswered(exc: BaseException) -> bool:
    """The broker may have the request: the connection failed or timed out once it was
    sent (redis' ConnectionError and TimeoutError, the socket's own). Any other failure is
    the broker's no, or ours before sending (a record that cannot be stored)."""
    return any(cls.__name__ in ("ConnectionError", "TimeoutError", "timeout") for cls in type(exc).__mro__)


def _holds(huey: Huey, task_id: str) -> Optional[bool]:
    """Whether the queue or the schedule holds the task ``task_id``; None if it cannot say.
    Read as messages: the tasks of other modules need not be importable here."""
    try:
        items = [*huey.storage.enqueued_items(), *huey.storage.scheduled_items()]
    except Exception:  # noqa: BLE001 -- the broker is still unreachable
        return None
    for data in items:
        try:
            if huey.serializer.deserialize(data).id == task_id:
                return True
        except Exception:  # noqa: BLE001,S112 -- another writer's message: not ours
            continue
    return False


def _now(huey: Huey) -> Any:
    """Now, as huey writes a task's eta (naive; UTC unless the Huey says otherwise)."""
    import datetime  # as uuid above

    from huey.utils import utcnow  # type: ignore[import-untyped, unused-ignore]

    return utcnow() if huey.utc else datetime.datetime.now()


def _result(huey: Huey, job: Any) -> Optional[Result]:
    from huey.api import Result as _Result  # type: ignore[import-untyped, unused-ignore]

    return _Result(huey, job) if huey.results else None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def dispatch(
    config: Mapping[str, Any],
    records: Sequence[Record],
    *,
    task: Union[TaskWrapper, Callable[[], TaskWrapper]],
    sync: Callable[[List[Record]], Any],
    worker_running: bool,
    each: bool = False,
    task_kwargs: Optional[Mapping[str, Any]] = None,
    worker_hint: str = DEFAULT_WORKER_HINT,
    stderr: Optional[TextIO] = None,
) -> Dispatch:
    """The whole post-commit decision, as Code Query's own handler makes it.

    Plans (:func:`plan_dispatch`), then: "sync" calls ``sync(records)``;
    "enqueue" calls :func:`enqueue` (``each`` and ``task_kwargs`` go to it);
    when the broker fails, the records not queued go to ``sync`` if
    ``processing.fallback_to_sync``, else they are named as not processed.
    ``task`` is the Huey task, or a callable that returns it (only called when
    enqueueing, so a manual-mode commit never imports the task module or
    huey; if it fails, that is a broker failure too). Messages go to
    ``stderr`` (default ``sys.stderr``). A bad config raises ``ConfigError``;
    what ``sync`` raises is the caller's.
    """
    err = sys.stderr if stderr is None else stderr
    plan = plan_dispatch(config, records, worker_running, worker_hint=worker_hint)
    if plan.message:
        print(plan.message, file=err)
    if plan.action == "skip":
        if plan.files:
            print(f"not processed: {_names(plan.files)}", file=err)
        return Dispatch(plan, skipped=plan.files)
    if plan.action == "sync":
        sync(list(plan.files))
        return Dispatch(plan, synced=plan.files)

    result = _enqueue_loaded(plan, task, each, task_kwargs or {})
    failed, unsure = result.failed, result.unconfirmed
    done = plan.files[: len(plan.files) - len(failed)]
    reason = _shown(result.reason)
    if unsure:
        # Sent, with no answer: processed here too, they could be documented twice.
        print(
            f"The Code Query worker's queue did not confirm {len(unsure)} file(s) ({reason}): they were sent, "
            "so they count as queued and are not processed here (a file goes one way only); "
            "if the worker does not document them, they need queueing again.\n"
            f"unconfirmed: {_names(unsure)}",
            file=err,
        )
    if not failed:
        return Dispatch(plan, enqueued=done, reason=result.reason, unconfirmed=unsure)
    if plan.fallback_to_sync:
        print(
            f"Could not queue {len(failed)} file(s) for the Code Query worker ({reason}); "
            "processing them synchronously.",
            file=err,
        )
        sync(list(failed))
        return Dispatch(plan, enqueued=done, synced=failed, reason=result.reason, unconfirmed=unsure)
    print(
        f"Could not queue {len(failed)} file(s) for the Code Query worker ({reason}) and "
        "processing.fallback_to_sync is disabled.\n"
        f"not processed: {_names(failed)}",
        file=err,
    )
    return Dispatch(plan, enqueued=done, skipped=failed, reason=result.reason, unconfirmed=unsure)


def _enqueue_loaded(
    plan: DispatchPlan,
    task: Union[TaskWrapper, Callable[[], TaskWrapper]],
    each: bool,
    task_kwargs: Mapping[str, Any],
) -> EnqueueResult:
    try:
        from huey.api import TaskWrapper as _TaskWrapper  # type: ignore[import-untyped, unused-ignore]

        wrapper = task if isinstance(task, _TaskWrapper) else task()
    # Code Query's handler falls back when its task module does not import; a
    # loader may fail in any way (ImportError, no repository, a broker at import).
    except Exception as exc:  # noqa: BLE001
        return EnqueueResult((), plan.files, _reason(exc))
    return enqueue(plan, wrapper, each=each, **task_kwargs)


def _names(records: Sequence[Record]) -> str:
    names = [_shown(record_path(r)) for r in records[:_MAX_NAMES_SHOWN]]
    more = len(records) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _shown(text: str) -> str:
    # File names come from the repository and reasons from the broker: neither
    # may move the cursor or recolour the terminal of the person committing.
    return escape(text)


# -- the post-commit hook itself (hooks/huey-post-commit.sh runs this) ----------------------

_QUEUE = posixpath.join(STATE_DIR_NAME, QUEUE_FILE_NAME)  # as messages name it
_UNTIL_THEN = "until then the hook keeps the queued files"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the lstat must not block the commit


class _UnreadableQueueError(Exception):
    """The queue file is there but is not read: what to say about it."""


def post_commit_main(
    argv: Sequence[str],
    *,
    config: Callable[[], Mapping[str, Any]],
    task: Callable[[], Any],
    each: bool = False,
    worker: Optional[bool] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Code Query's Huey post-commit hook, run at the worktree's top (README, "Huey").

    Reads ``.code-query/file_queue.json`` (only a regular file of at most
    ``QUEUE_MAX_BYTES``; anything else is named and left as it is), hands its
    records to :func:`dispatch` as the effective config says, and rewrites the
    queue atomically with what was neither queued nor documented: records a
    task raised for, those a task that fails to load could not take, those
    left for a worker that is not running, and malformed records, all named in
    one line. Records Code Query's pre-commit hook adds meanwhile are kept too.
    Until the queue is rewritten it is never changed, so a hook that is killed
    leaves every file queued (the next commit hands them off again).

    ``config`` reads the effective config (``codequery_gitcfg.effective_config``, the
    quick read: a sibling surface, so the hook passes it); ``task`` loads the Huey
    task (Code Query's ``process_file_documentation`` with ``each=True``, else a
    batch task); ``worker`` is whether a worker takes the queue (default:
    :func:`worker_running`). ``argv == ["--check"]``
    (``install`` and ``doctor``) only loads huey and the task: exit 1 and a
    line saying what to install when they do not load. Never a traceback: a
    post-commit hook cannot undo the commit, so it always exits 0.
    """
    err = sys.stderr if stderr is None else stderr
    if list(argv) == ["--check"]:
        problem = _check_task(task)
        if problem:
            print(escape(problem), file=err)
        return 1 if problem else 0
    try:
        _post_commit(config, task, each, worker, err)
    # Whatever escaped, the queue was not changed: nothing is lost, and the commit stands.
    except Exception as exc:  # noqa: BLE001
        print(escape(f"code-query: not documenting this commit: unexpected {_reason(exc)}; {_QUEUE} is left as "
                     "it was"), file=err)
    return 0


def _install_advice(exc: BaseException) -> Optional[str]:
    if isinstance(exc, ImportError) and exc.name == "huey":
        python = sys.executable
        return (f"install it there: `{python} -m pip install huey` (pipx: `pipx inject codequery-gitcfg huey`); "
                f"{_UNTIL_THEN}")
    return None


def _check_task(task: Callable[[], Any]) -> Optional[str]:
    """What keeps this Python from running the hook's task, or None."""
    python = sys.executable
    try:
        import huey  # noqa: F401 -- whether it imports is the question
    except ImportError as exc:
        return f"its Python ({python}) cannot import huey ({_reason(exc)}): {_install_advice(exc)}"
    try:
        task()
    # A task module may fail in any way as it is imported (a missing module, a broker at import).
    except Exception as exc:  # noqa: BLE001
        advice = _install_advice(exc) or ("run `codequery-gitcfg install --huey-post-commit` from the environment "
                                          f"Code Query's worker runs in; {_UNTIL_THEN}")
        return f"its Python ({python}) cannot import the task module (tasks.py at the worktree's top: " \
               f"{_reason(exc)}): {advice}"
    return None


def _post_commit(load_config: Callable[[], Mapping[str, Any]], task: Callable[[], Any], each: bool,
                 worker: Optional[bool], err: TextIO) -> None:
    root = os.getcwd()  # git runs post-commit at the worktree's top
    try:
        config = load_config()
    except (OSError, ValueError) as exc:
        print(escape(f"code-query: not documenting this commit: {exc}"), file=err)
        return
    try:
        taken = _read_queue(root)
    except _UnreadableQueueError as exc:
        print(escape(f"code-query: not documenting this commit: {_QUEUE} {exc}; it is left as it is"), file=err)
        return
    if taken is None:
        return
    records = taken[1]
    # A malformed record stays where it is, named; the others go their way.
    problems = {i: _record_problem(i, r) for i, r in enumerate(records)}
    valid = [r for i, r in enumerate(records) if problems[i] is None]
    failures: List[Tuple[Record, str]] = []
    common = {"dataset_name": config["dataset_name"], "project_root": root}
    size = config["processing"]["batch_size"]

    def sync(chosen: List[Record]) -> None:
        # What the worker would have done, here and now; one file failing stops no other.
        try:
            wrapper = task()
        except Exception as exc:  # noqa: BLE001 -- as in _check_task
            failures.extend((r, _failure(exc)) for r in chosen)
            return
        units = [[r] for r in chosen] if each else [chosen[i: i + size] for i in range(0, len(chosen), size)]
        for unit in units:
            try:
                if each:
                    wrapper.call_local(filepath=record_path(unit[0]), commit_hash=_commit_hash(unit[0]), **common)
                else:
                    wrapper.call_local(list(unit), **common)
            except Exception as exc:  # noqa: BLE001 -- whatever the task raises is that file's failure
                failures.extend((r, _failure(exc)) for r in unit)

    running = worker_running() if worker is None else worker
    done = dispatch(config, valid, task=task, sync=sync, worker_running=running, each=each, task_kwargs=common,
                    stderr=err)
    why_skipped = done.reason or "no worker is running"
    left = Counter(_key(r) for r, _ in failures) + Counter(_key(r) for r in done.skipped)
    reasons = {_key(r): why for r, why in failures}
    stay: List[Any] = []
    said: List[Tuple[str, str]] = []  # (name, reason), in the queue's order
    for index, record in enumerate(records):
        problem = problems[index]
        if problem is not None:
            stay.append(record)
            # Its problem names the record; "record N" (as in the file's "files" list, from 0) once.
            said.append((f"record {index}", problem.removeprefix(f"record {index}: ").removeprefix(f"record {index} ")))
        elif left[_key(record)] > 0:
            left[_key(record)] -= 1
            stay.append(record)
            said.append((record_path(record), reasons.get(_key(record), why_skipped)))
    if said:
        print(f"code-query: {len(said)} record(s) stay in {_QUEUE} for the next commit: {_grouped(said)}", file=err)
    _settle(root, taken, stay, err)


def _failure(exc: BaseException) -> str:
    advice = _install_advice(exc)
    return f"{_reason(exc)}; {advice}" if advice else _reason(exc)


def _key(record: Any) -> str:
    # Records come from JSON: equal records are the same text, whichever object holds them.
    return json.dumps(record, sort_keys=True)


def _grouped(said: Sequence[Tuple[str, str]]) -> str:
    """Names sharing a reason together, ``_MAX_NAMES_SHOWN`` at most, all escaped: one line."""
    groups: Dict[str, List[str]] = {}
    for name, why in said[:_MAX_NAMES_SHOWN]:
        groups.setdefault(why, []).append(name)
    shown = "; ".join(f"{', '.join(_shown(n) for n in names)} ({_shown(why)})" for why, names in groups.items())
    more = len(said) - _MAX_NAMES_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _read_queue(root: str) -> Optional[Tuple[Dict[str, Any], List[Any]]]:
    """(the queue's object, its records); None when there is no queue. Only a regular file
    in a real folder is read (lstat: no symlink followed), never past ``QUEUE_MAX_BYTES``."""
    folder = os.path.join(root, STATE_DIR_NAME)
    path = os.path.join(folder, QUEUE_FILE_NAME)
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            raise _UnreadableQueueError(f"is not read: {STATE_DIR_NAME} is not a folder (a symlink or a file)")
        before = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _UnreadableQueueError(f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(before.st_mode):
        raise _UnreadableQueueError("is not a regular file (a symlink, a device or a FIFO) and is not read")
    if before.st_size > QUEUE_MAX_BYTES:
        raise _UnreadableQueueError(f"is larger than {QUEUE_MAX_BYTES} bytes (16 MiB) and is not read")
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _UnreadableQueueError(f"cannot be read ({exc.strerror})") from None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(now.st_mode):
            raise _UnreadableQueueError("was replaced while it was read")
        raw = _read_at_most(fd, QUEUE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > QUEUE_MAX_BYTES:  # it grew after the lstat
        raise _UnreadableQueueError(f"is larger than {QUEUE_MAX_BYTES} bytes (16 MiB) and is not read")
    try:
        data = json.loads(raw.decode("utf-8"))
    # RecursionError: JSON nested thousands deep.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _UnreadableQueueError(f"is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("files", []), list):
        raise _UnreadableQueueError('is not Code Query\'s queue (an object with a "files" list)')
    return data, list(data.get("files", []))


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: List[bytes] = []
    while limit > 0:
        chunk = os.read(fd, min(limit, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def _settle(root: str, taken: Tuple[Dict[str, Any], List[Any]], stay: List[Any], err: TextIO) -> None:
    """Leave in the queue ``stay`` and whatever was queued since it was read; remove it when
    nothing is left (so the next commit does not even start Python)."""
    from .store.atomic import write_atomic  # only when the queue changes

    path = os.path.join(root, STATE_DIR_NAME, QUEUE_FILE_NAME)
    try:
        now = _read_queue(root)
    except _UnreadableQueueError as exc:
        print(escape(f"code-query: {_QUEUE} changed while this hook ran and {exc}; it is left as it is (the files "
                     "handed off above may be handed off again)"), file=err)
        return
    data, added = taken[0], []
    if now is not None:
        # Code Query's pre-commit hook appends: what was not there when this hook read it is new.
        seen = Counter(_key(r) for r in taken[1])
        for record in now[1]:
            if seen[_key(record)] > 0:
                seen[_key(record)] -= 1
            else:
                added.append(record)
        data = now[0]
    remaining = stay + added
    try:
        if remaining:
            write_atomic(path, (json.dumps({**data, "files": remaining}) + "\n").encode("utf-8"))
        elif now is not None:
            os.remove(path)
    except FileNotFoundError:
        pass  # taken by someone else in the meantime, with nothing of ours to keep
    except OSError as exc:
        print(escape(f"code-query: could not update {_QUEUE} ({exc.strerror}): it still lists every file of this "
                     "commit (those handed off above may be handed off again)"), file=err)


def worker_running(
    pid_file: Optional[PathArg] = None, *, environ: Optional[Mapping[str, str]] = None
) -> bool:
    """True only if ``pid_file`` holds the pid of a live process.

    ``pid_file`` defaults to Code Query's ``<worktree>/.code-query/worker.pid``
    (:func:`default_pid_file`; False outside a repository). A missing,
    unreadable, oversized or garbage file, a pid of 0 or below, and a stale pid
    (the process is gone) all give False. Without extra dependencies a pid
    reused by an unrelated process cannot be told apart, so workers should
    remove their pid file on exit. A pid file only describes this machine: for
    a worker elsewhere, see :func:`worker_alive`.
    """
    if pid_file is None:
        try:
            pid_file = default_pid_file(environ=environ)
        except (ValueError, ConfigError):
            return False
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
    """Code Query's worker pid file: ``<worktree>/.code-query/worker.pid``.

    The worktree is the one containing ``path`` (default: the current
    directory). Only computes the path (a check for a worker must not create
    folders). Raises ``ValueError`` ("not a git repository") outside one.
    """
    return _worktree_root(path, environ=environ) / STATE_DIR_NAME / PID_FILE_NAME


def default_huey(
    path: Optional[PathArg] = None,
    *,
    environ: Optional[Mapping[str, str]] = None,
    **huey_kwargs: Any,
) -> SqliteHuey:
    """Code Query's queue: ``SqliteHuey("code-query-worker", filename="<worktree>/.code-query/huey_jobs.db")``.

    The worktree is the one containing ``path`` (default: the current
    directory); its ``.code-query`` folder is created if missing. Tasks
    queued here are what Code Query's worker (``python cli.py worker start``)
    consumes. ``huey_kwargs`` go to ``SqliteHuey`` (for example
    ``immediate=True``). Raises ``ValueError`` ("not a git repository")
    outside a repository.
    """
    from huey import SqliteHuey as _SqliteHuey  # type: ignore[import-untyped, unused-ignore]

    state_dir = _worktree_root(path, environ=environ) / STATE_DIR_NAME
    state_dir.mkdir(parents=True, exist_ok=True)
    return _SqliteHuey(HUEY_NAME, filename=str(state_dir / DB_FILE_NAME), **huey_kwargs)


def install_heartbeat(huey: Huey, *, key: str = HEARTBEAT_KEY) -> TaskWrapper:
    """Make the consumer of ``huey`` leave a beat in the queue's own storage.

    Registers a periodic task (huey's scheduler runs it once a minute) and a
    startup hook (so a worker is seen as soon as it starts), both writing a
    :class:`Heartbeat` under ``key`` with ``huey.put``. Call it in the module
    that defines the worker's tasks; the hook's process may call it too (it
    then only registers, nothing runs), and a second call for the same
    ``huey`` and ``key`` returns the task of the first. Returns the periodic task.
    """
    installed: Dict[str, TaskWrapper] = huey.__dict__.setdefault("_codequery_gitcfg_heartbeats", {})
    if key in installed:
        return installed[key]

    def beat() -> None:
        import socket  # the worker's, not the post-commit hook's, to import

        huey.put(key, {"time": time.time(), "host": socket.gethostname(), "pid": os.getpid()})

    name = f"codequery_gitcfg_heartbeat[{key}]"
    huey.on_startup(name=name)(beat)
    installed[key] = huey.periodic_task(_every_check, name=name)(beat)
    return installed[key]


def _every_check(timestamp: Any) -> bool:
    return True


def last_heartbeat(huey: Huey, *, key: str = HEARTBEAT_KEY) -> Optional[Heartbeat]:
    """The last beat in ``huey``'s storage; None if there is none, it is not one
    of ours, or the storage cannot be read (a broker that is down)."""
    try:
        value = huey.get(key, peek=True)
    # As in enqueue: each broker fails in its own way, and a probe must answer.
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(value, Mapping):
        return None
    beat_time, host, pid = value.get("time"), value.get("host"), value.get("pid")
    if (
        not isinstance(beat_time, (int, float))
        or isinstance(beat_time, bool)
        or not math.isfinite(beat_time)
        or not isinstance(host, str)
        or not isinstance(pid, int)
    ):
        return None
    return Heartbeat(float(beat_time), host, pid)


def worker_alive(
    huey: Huey,
    *,
    max_age: float = HEARTBEAT_MAX_AGE,
    key: str = HEARTBEAT_KEY,
    now: Optional[float] = None,
) -> bool:
    """True if a worker of ``huey`` (on any machine) beat within ``max_age`` seconds.

    Needs :func:`install_heartbeat` in the worker. The beat carries the
    worker's clock: machines sharing a queue need clocks in step to well
    under ``max_age`` (a beat up to ``max_age`` ahead of ours, from a clock
    running early, counts too). A broker that is down gives False.
    """
    beat = last_heartbeat(huey, key=key)
    if beat is None:
        return False
    age = (time.time() if now is None else now) - beat.time
    return -max_age <= age <= max_age


def _worktree_root(path: Optional[PathArg] = None, *, environ: Optional[Mapping[str, str]] = None) -> Path:
    """Absolute top folder of the worktree containing ``path`` (default: cwd)."""
    start = os.getcwd() if path is None else os.path.abspath(os.fspath(path))
    if not os.path.exists(start):
        raise ValueError(f"not a git repository: {start} does not exist")
    env = os.environ if environ is None else environ
    if path is not None:
        # An explicit path means that path's repository, not whatever GIT_DIR a
        # calling hook left in the environment.
        env = {k: v for k, v in env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    # Plain `git rev-parse`, not GitPython: this runs in every post-commit hook. Imported
    # here: planning alone (plan_dispatch) needs no git layer, and a hook pays for each import.
    from .git.repo import worktree_from_git

    worktree = worktree_from_git(start if os.path.isdir(start) else os.path.dirname(start), env)
    if worktree is None:
        raise ValueError(f"not a git repository: {start}")
    from pathlib import Path  # not on the post-commit hook's path

    return Path(worktree.root)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        # The process exists; it just belongs to another user.
        return True
    except (OSError, OverflowError):
        return False
    return True
