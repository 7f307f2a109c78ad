"""Real components for the Huey tests: a `huey_consumer` process and a `redis-server`,
each bounded in time and always stopped."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Long enough for a loaded 2-core machine shared by several suites.
DEADLINE = 60.0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago (another process may take it since:
    ``redis_server`` tries again when its server cannot bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Bound, never listening: every connection to them is refused, and no other process (another
# xdist worker, another suite on this machine) can start a server there while we hold them.
_REFUSING: List[socket.socket] = []


def refused_port() -> int:
    """A port of 127.0.0.1 where nothing listens, for as long as this process lives ("Redis is down")."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _REFUSING.append(s)
    return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def consumer_command(huey_path: str) -> List[str]:
    """The `huey_consumer` of this interpreter's environment (its script, else its entry point)."""
    script = Path(sys.executable).parent / "huey_consumer"
    # One thread worker, polling fast, the scheduler every second: quick to start and to stop.
    options = [huey_path, "-w", "1", "-k", "thread", "-d", "0.1", "-m", "0.5", "-s", "1"]
    if script.is_file():
        return [str(script), *options]
    return [sys.executable, "-c", "from huey.bin.huey_consumer import consumer_main; consumer_main()", *options]


@contextlib.contextmanager
def consumer(huey_path: str, cwd: Path, env: Optional[Dict[str, str]] = None,
             log: Optional[Path] = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run `huey_consumer huey_path` in ``cwd`` until the block ends (SIGINT, then kill)."""
    environ = dict(os.environ, **(env or {}))
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(cwd), str(REPO_ROOT), environ.get("PYTHONPATH")) if p)
    out = open(log or cwd / "consumer.log", "ab")
    proc = subprocess.Popen(consumer_command(huey_path), cwd=cwd, env=environ, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)
        out.close()


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A throw-away `redis-server` on a free port of 127.0.0.1, nothing written to disk:
    (port, process); ``stop(process)`` takes it down early."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; CI installs it)")
    redis = pytest.importorskip("redis", reason="the redis client is not installed (pip install redis)")
    for attempt in range(5):
        # A free port can be taken between free_port() and the server's bind (parallel workers,
        # other suites on the machine): a server that exits at once gets another port.
        port = free_port()
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=port)

        def up(proc: subprocess.Popen[bytes] = proc, client: Any = client) -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {proc.returncode}")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        try:
            wait_for(up, "redis-server to answer", timeout=20)
        except AssertionError:
            exited = proc.poll() is not None  # it could not bind: try another port
            stop(proc)
            client.close()
            if not exited or attempt == 4:
                raise
            continue
        client.close()
        break
    try:
        yield port, proc
    finally:
        stop(proc)


def python_without_huey(folder: Path) -> Path:
    """A virtual environment with every package of this one but huey (a plain `pipx install` of
    the wheel): its site-packages links to this environment's entries, huey's left out."""
    import site
    import venv

    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / ("Scripts" if os.name == "nt" else "bin") / "python"
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    source = Path(next(p for p in site.getsitepackages() if (Path(p) / "huey").is_dir()))
    for entry in source.iterdir():
        if not entry.name.lower().startswith("huey"):
            (target / entry.name).symlink_to(entry)
    return python
