"""The Huey post-commit hook's reading and settling of Code Query's queue, in process
(README, "Huey: the post-commit hook"): a queue that is not Code Query's, or not in a real
folder, is named in one line and left as it is; records Code Query's pre-commit hook adds
while the hook runs are kept; a queue replaced by something unreadable meanwhile is left
alone. The real `git commit` runs of the same hook are `tests/test_huey_bridge_queue.py`.

The task is a real Huey task (MemoryHuey), run by the hook with ``call_local``.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from codequery_gitcfg import huey_bridge
from huey import MemoryHuey

CONFIG = {"dataset_name": "proj", "processing": {"mode": "manual"}}
QUEUE = Path(".code-query") / "file_queue.json"
A, C = {"filepath": "a.py", "commit_hash": "abc"}, {"filepath": "c.py"}


def effective() -> Dict[str, Any]:
    from codequery_gitcfg.core.defaults import with_defaults

    return with_defaults(json.loads(json.dumps(CONFIG)))


@pytest.fixture
def top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A worktree's top, the hook's current folder (git runs post-commit there)."""
    (tmp_path / ".code-query").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_hook(during: Optional[Callable[[str], None]] = None) -> tuple[str, List[str]]:
    """The hook, once: what it said, and the files it documented (``during`` runs inside the task)."""
    huey = MemoryHuey(immediate=True)
    documented: List[str] = []

    @huey.task()
    def process_file_documentation(filepath: str, dataset_name: str, commit_hash: str, project_root: str,
                                   job_id: Optional[str] = None) -> None:
        documented.append(filepath)
        if during is not None:
            during(filepath)

    err = io.StringIO()
    code = huey_bridge.post_commit_main([], config=effective, task=lambda: process_file_documentation, each=True,
                                        worker=False, stderr=err)
    assert code == 0
    return err.getvalue(), documented


def write_queue(top: Path, content: Any) -> bytes:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    (top / QUEUE).write_bytes(raw)
    return raw


@pytest.mark.parametrize("content, said", [
    (b"\xff\xfe{}", "is not JSON (UnicodeDecodeError)"),
    (b'{"files": [', "is not JSON (JSONDecodeError)"),
    (b"[" * 100_000 + b"]" * 100_000, "is not JSON (RecursionError)"),
    ([A, C], 'is not Code Query\'s queue (an object with a "files" list)'),
    ({"files": {"a.py": 1}}, 'is not Code Query\'s queue (an object with a "files" list)'),
])
def test_a_queue_that_is_not_code_query_s_is_named_and_left_as_it_is(top: Path, content: Any, said: str) -> None:
    raw = write_queue(top, content)
    err, documented = run_hook()
    assert err == f"code-query: not documenting this commit: .code-query/file_queue.json {said}; it is left as it is\n"
    assert documented == [] and (top / QUEUE).read_bytes() == raw


@pytest.mark.parametrize("layout", ["file", "symlink"])
def test_a_state_folder_that_is_not_a_real_folder_is_not_read(top: Path, layout: str) -> None:
    (top / ".code-query").rmdir()
    if layout == "file":
        (top / ".code-query").write_text("not a folder\n")
    else:
        (top / "elsewhere").mkdir()
        (top / "elsewhere" / "file_queue.json").write_text(json.dumps({"files": [A]}))
        (top / ".code-query").symlink_to("elsewhere")
    err, documented = run_hook()
    assert err == ("code-query: not documenting this commit: .code-query/file_queue.json is not read: .code-query "
                   "is not a folder (a symlink or a file); it is left as it is\n")
    assert documented == []
    if layout == "symlink":
        assert json.loads((top / "elsewhere" / "file_queue.json").read_text()) == {"files": [A]}


def test_no_queue_is_nothing_to_do(top: Path) -> None:
    assert run_hook() == ("", [])
    assert not (top / QUEUE).exists()


def test_a_documented_queue_goes(top: Path) -> None:
    write_queue(top, {"files": [A, C]})
    assert run_hook() == ("", ["a.py", "c.py"])
    assert not (top / QUEUE).exists()


def test_records_queued_while_the_hook_runs_are_kept(top: Path) -> None:
    # Code Query's pre-commit hook (of a commit made meanwhile) appends to the queue.
    write_queue(top, {"files": [A, C], "note": "kept"})
    new = {"filepath": "new.py"}

    def append(filepath: str) -> None:
        if filepath == "c.py":
            data = json.loads((top / QUEUE).read_text())
            write_queue(top, {**data, "files": [*data["files"], new]})

    err, documented = run_hook(append)
    assert (err, documented) == ("", ["a.py", "c.py"])
    assert json.loads((top / QUEUE).read_text()) == {"files": [new], "note": "kept"}


def test_a_record_queued_again_meanwhile_is_kept_once_more(top: Path) -> None:
    write_queue(top, {"files": [A]})

    def append(filepath: str) -> None:
        write_queue(top, {"files": [A, A]})  # the same file, changed again and queued again

    run_hook(append)
    assert json.loads((top / QUEUE).read_text()) == {"files": [A]}


def test_a_queue_taken_meanwhile_is_not_written_again(top: Path) -> None:
    write_queue(top, {"files": [A]})
    err, _ = run_hook(lambda filepath: (top / QUEUE).unlink())
    assert err == "" and not (top / QUEUE).exists()


def test_a_queue_made_unreadable_meanwhile_is_left_as_it_is(top: Path) -> None:
    write_queue(top, {"files": [A]})
    err, documented = run_hook(lambda filepath: write_queue(top, b'{"files": ['))
    assert documented == ["a.py"]
    assert err == ("code-query: .code-query/file_queue.json changed while this hook ran and is not JSON "
                   "(JSONDecodeError); it is left as it is (the files handed off above may be handed off again)\n")
    assert (top / QUEUE).read_bytes() == b'{"files": ['


def test_a_queue_replaced_while_it_is_read_is_left_as_it_is(top: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = write_queue(top, {"files": [A]})
    real_open = os.open

    def swapping_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("file_queue.json"):  # between the hook's lstat and its open
            os.replace(write_queue_aside(top, raw), top / QUEUE)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(huey_bridge.os, "open", swapping_open)
    err, documented = run_hook()
    assert err == ("code-query: not documenting this commit: .code-query/file_queue.json was replaced while it "
                   "was read; it is left as it is\n")
    assert documented == []


def write_queue_aside(top: Path, raw: bytes) -> Path:
    aside = top / ".code-query" / "aside.json"
    aside.write_bytes(raw)
    return aside
