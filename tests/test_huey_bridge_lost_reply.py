"""A lost reply is not a refusal (issue 22, row 12; README: "Huey").

Redis took the task, but its answer never came back: before, the bridge counted the
file as not queued and processed it synchronously, and the worker documented it again.
Now each task has its id before it is sent; after a failure without an answer the
bridge looks for that id on the queue: there, it is queued; when the queue cannot be
asked, it is named as unconfirmed and not processed here. A file is never sent both ways.

A real ``redis-server`` on 127.0.0.1, behind a loopback proxy that forwards every
request and drops the reply to the first task pushed (then closes that connection).
redis-py's own retry is off: it would send the request again and queue the task twice,
which the README names.
"""
# huey ships no type information, so every @huey.task() is an untyped decorator.
# mypy: disallow-untyped-decorators=False
from __future__ import annotations

import collections
import contextlib
import select
import socket
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest
from codequery_gitcfg.huey_bridge import dispatch

from support.huey_helpers import redis_server

pytestmark = pytest.mark.reliability

RECORDS: List[Any] = [
    {"filepath": "src/a.py", "commit_hash": "abc123"},
    {"filepath": "src/b.py", "commit_hash": "abc123"},
    "src/c.py",
]
DEADLINE = 30.0  # the proxy stops by itself after this long


class ReplyDropper:
    """127.0.0.1:port → Redis. Every byte of every request goes through; the reply to the
    first request holding ``trigger`` is dropped and that client connection closed.
    ``refuse_after``: once it has dropped that reply, it takes no new connection."""

    def __init__(self, redis_port: int, trigger: bytes = b"LPUSH", refuse_after: bool = False) -> None:
        self.redis_port, self.trigger, self.refuse_after = redis_port, trigger, refuse_after
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.end = time.monotonic() + DEADLINE
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.end

    def _accept(self) -> None:
        while self._running() and not (self.refuse_after and self.dropped):
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:  # shut down by _pipe: refusing
                break
            thread = threading.Thread(target=self._pipe, args=(client,), daemon=True)
            self.threads.append(thread)
            thread.start()
        self.listener.close()  # refused from now on

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.redis_port), timeout=5)
        dropping = False
        try:
            while self._running():
                ready, _, _ = select.select([client, upstream], [], [], 0.1)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    if self.trigger in data and not self.dropped:
                        dropping = True
                        self.dropped += 1
                        if self.refuse_after:  # from this instant no connection gets through
                            self.listener.shutdown(socket.SHUT_RDWR)
                    upstream.sendall(data)
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    if dropping:
                        return  # Redis answered; the client never hears it
                    client.sendall(data)
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def redis() -> Iterator[int]:
    with redis_server() as (port, _):
        yield port


@contextlib.contextmanager
def hook_side(redis_port: int, **proxy: Any) -> Iterator[tuple[Any, Any, ReplyDropper]]:
    """(the hook's RedisHuey, through the proxy; its file task; the proxy)."""
    from huey import RedisHuey
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    dropper = ReplyDropper(redis_port, **proxy)
    huey = RedisHuey("code-query-worker", host="127.0.0.1", port=dropper.port, retry=Retry(NoBackoff(), 0))

    @huey.task()
    def process_file_documentation(filepath: str, commit_hash: str, dataset_name: str, project_root: str) -> None:
        pass

    try:
        yield huey, process_file_documentation, dropper
    finally:
        huey.storage.conn.close()
        dropper.close()


def queued(redis_port: int) -> Dict[str, int]:
    """How many tasks the queue holds for each file, read straight from Redis."""
    from huey import RedisHuey

    direct = RedisHuey("code-query-worker", host="127.0.0.1", port=redis_port)
    try:
        # The messages themselves: this Huey's registry does not know the hook side's task.
        messages = [direct.serializer.deserialize(data) for data in direct.storage.enqueued_items()]
        return dict(collections.Counter(message.kwargs["filepath"] for message in messages))
    finally:
        direct.storage.conn.close()


def auto(delay: float, fallback: bool = True) -> Dict[str, Any]:
    return {"dataset_name": "ds", "processing": {"mode": "auto", "delay_seconds": delay, "fallback_to_sync": fallback}}


def send(config: Dict[str, Any], task: Any, synced: List[Any], err: Optional[Any] = None) -> Any:
    return dispatch(config, RECORDS, task=task, each=True, sync=synced.extend, worker_running=True,
                    task_kwargs={"dataset_name": "ds", "project_root": "/p"}, stderr=err)


def paths(records: Any) -> List[str]:
    return [r if isinstance(r, str) else r["filepath"] for r in records]


@pytest.mark.parametrize("delay", [0, 300])
def test_a_task_whose_reply_was_lost_is_found_on_the_queue_and_not_processed_here(
        redis: int, delay: float, capsys: pytest.CaptureFixture[str]) -> None:
    with hook_side(redis) as (_, task, dropper):
        synced: List[Any] = []
        done = send(auto(delay), task, synced)
        assert dropper.dropped == 1  # the first push reached Redis; its answer did not come back
    on_queue = queued(redis)
    # Each file one way, once: on the queue, never also here.
    assert synced == []
    assert paths(done.enqueued) == ["src/a.py", "src/b.py", "src/c.py"]
    assert on_queue == {"src/a.py": 1, "src/b.py": 1, "src/c.py": 1}
    assert (done.synced, done.skipped, done.unconfirmed) == ((), (), ())
    assert "synchronously" not in capsys.readouterr().err


def test_when_the_queue_cannot_be_asked_the_file_is_named_unconfirmed_and_not_processed_here(
        redis: int, capsys: pytest.CaptureFixture[str]) -> None:
    with hook_side(redis, refuse_after=True) as (_, task, dropper):
        synced: List[Any] = []
        done = send(auto(0), task, synced)
        assert dropper.dropped == 1
    on_queue = queued(redis)
    assert on_queue == {"src/a.py": 1}  # it did arrive
    assert paths(done.unconfirmed) == ["src/a.py"]
    assert paths(synced) == ["src/b.py", "src/c.py"]  # never sent: the configured fallback
    assert paths(done.synced) == ["src/b.py", "src/c.py"]
    assert paths(done.enqueued) == ["src/a.py"]
    err = capsys.readouterr().err
    assert "not processed here" in err and "src/a.py" in err
    assert "processing them synchronously" in err


def test_without_the_fallback_the_unsent_ones_are_named_as_not_processed(
        redis: int, capsys: pytest.CaptureFixture[str]) -> None:
    with hook_side(redis, refuse_after=True) as (_, task, _dropper):
        synced: List[Any] = []
        done = send(auto(0, fallback=False), task, synced)
    assert synced == []
    assert paths(done.unconfirmed) == ["src/a.py"]
    assert paths(done.skipped) == ["src/b.py", "src/c.py"]
    err = capsys.readouterr().err
    assert "not processed: src/b.py, src/c.py" in err
    assert queued(redis) == {"src/a.py": 1}
