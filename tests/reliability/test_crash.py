"""Crash safety (README: "Strict reading" and "Writing"; issue 6): a writer killed with SIGKILL at a random instant
leaves the config equal, byte for byte, to one of the versions it was writing;
temp files it leaves behind never break a later load or save, and a later save
removes them.

CI: 200 + 100 forked-writer kills and 12 fresh-interpreter kills.
Soak (CODEQUERY_SOAK=1): 5000 + 2000 and 300.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest
from codequery_gitcfg.api import ConfigManager
from codequery_gitcfg.core import fmt

from support.reliability_helpers import (
    PY,
    SEED,
    Deadline,
    fork_call,
    full_config,
    init_repo,
    report,
    scaled,
    seconds,
    strict_read,
    temp_files,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)"),
]

N_VERSIONS = 64


def version(i: int) -> Dict[str, Any]:
    """Distinct, valid versions of quite different sizes (0 to 40 patterns)."""
    cfg = full_config(batch_size=1 + i % 1000, max_retries=i % 101, delay_seconds=i)
    cfg["dataset_name"] = f"crash-{i}"
    cfg["exclude_patterns"] = [f"generated-{i}/part{j}/*" for j in range((i * 7) % 41)]
    return cfg


class Written:
    """The versions a writer may leave, known by their data: a rewrite keeps the style of the
    file it replaces (a list written on one line stays on one line), so one version's bytes
    vary with what was there before, its data never. Torn or mixed bytes match none."""

    def __init__(self, versions: Dict[int, Dict[str, Any]]) -> None:
        self._by_data = {json.dumps(data, sort_keys=True): i for i, data in versions.items()}

    def __len__(self) -> int:
        return len(self._by_data)

    def _key(self, raw: object) -> Optional[str]:
        try:
            return json.dumps(json.loads(raw), sort_keys=True) if isinstance(raw, bytes) else None
        except ValueError:
            return None

    def __contains__(self, raw: object) -> bool:
        return self._key(raw) in self._by_data

    def __getitem__(self, raw: bytes) -> int:
        return self._by_data[self._key(raw) or ""]


def update_change(k: int) -> Callable[[Dict[str, Any]], None]:
    def change(data: Dict[str, Any]) -> None:
        data["processing"]["batch_size"] = 1 + k
        data["exclude_patterns"] = [f"upd-{k}/p{j}/*" for j in range((k * 5) % 37)]

    return change


def _save_writer(cfg: str, start: int, progress_fd: int) -> None:
    manager = ConfigManager(cfg)
    deadline = Deadline(30)
    i = start
    while not deadline.passed:
        manager.save_config(version(i % N_VERSIONS))
        os.write(progress_fd, b".")
        i += 1

def _update_writer(cfg: str, start: int, progress_fd: int) -> None:
    manager = ConfigManager(cfg)
    deadline = Deadline(30)
    k = start
    while not deadline.passed:
        manager.update(update_change(k % N_VERSIONS))
        os.write(progress_fd, b".")
        k += 1


def _drain(fd: int) -> int:
    total = 0
    os.set_blocking(fd, False)
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        total += len(chunk)
    return total


def _kill_loop(tmp_path: Path, cfg: Path, writer: Callable[[str, int, int], None],
               later_write: Callable[[ConfigManager, int], None], allowed: Written,
               kills_wanted: int, budget: float, max_delay: float) -> Dict[str, int]:
    seed = SEED or random.randrange(1 << 30)
    rng = random.Random(seed)
    folder = cfg.parent
    errlog = str(tmp_path / "writer.stderr")
    parent = ConfigManager(cfg)
    stats = {"seed": seed, "kills": 0, "writes_completed": 0, "kills_leaving_temp": 0, "temps_cleaned_by_later_save": 0,
             "loads_after_kill": 0, "versions_seen": 0}
    seen = set()
    deadline = Deadline(budget)
    while stats["kills"] < kills_wanted and not deadline.passed:
        r, w = os.pipe()
        pid = fork_call(writer, str(cfg), rng.randrange(N_VERSIONS), w, stderr_path=errlog)
        os.close(w)
        time.sleep(rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        stats["writes_completed"] += _drain(r)
        os.close(r)
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            log = Path(errlog).read_text() if os.path.exists(errlog) else ""
            pytest.fail(f"writer ended on its own (status {status}) before the kill:\n{log}")
        stats["kills"] += 1

        raw = cfg.read_bytes()
        assert raw in allowed, f"after kill {stats['kills']} the file is not one of the written versions:\n{raw!r}"
        seen.add(allowed[raw])
        strict_read(cfg)  # parses strictly and validates

        leftovers = temp_files(folder)
        if leftovers:
            stats["kills_leaving_temp"] += 1
        # A leftover temp file never breaks the next load (fresh manager, no cache help) ...
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert ConfigManager(cfg).load_config()["dataset_name"]
        stats["loads_after_kill"] += 1
        # ... nor the next save, which removes it. (The next writer's save would
        # remove it too; doing it here, with a short lock timeout, also proves
        # the killed writer's lock never blocks.)
        if leftovers and rng.random() < 0.5:
            later_write(ConfigManager(cfg, lock_timeout=2), rng.randrange(N_VERSIONS))
            assert temp_files(folder) == [], "a later save must remove leftover temp files"
            assert cfg.read_bytes() in allowed
            stats["temps_cleaned_by_later_save"] += 1
    # In the end a save cleans up whatever the last kill left.
    later_write(parent, 0)
    assert temp_files(folder) == []
    assert cfg.read_bytes() in allowed
    stats["versions_seen"] = len(seen)
    assert stats["kills"] >= min(kills_wanted, 50), f"too few kills within the time budget: {stats}"
    assert stats["writes_completed"] > 0, "the writers never completed a write: the kills tested nothing"
    return stats


def test_sigkill_during_save_config_never_tears(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    allowed = Written({i: version(i) for i in range(N_VERSIONS)})
    assert len(allowed) == N_VERSIONS
    manager = ConfigManager(cfg)
    manager.save_config(version(0))
    manager.save_config(version(1))
    assert cfg.read_bytes() == fmt.dump(version(1)), "save_config output is not the canonical dump"
    t0 = time.monotonic()
    stats = _kill_loop(tmp_path, cfg, _save_writer, lambda m, i: m.save_config(version(i)), allowed,
                       kills_wanted=scaled(200, 5000), budget=seconds(30, 900), max_delay=0.03)
    report("crash.save_config", seconds=round(time.monotonic() - t0, 1), **stats)


def test_sigkill_during_update_never_tears(tmp_path: Path) -> None:
    base = full_config()
    base["dataset_name"] = "crash-update"
    cfg = init_repo(tmp_path / "repo", base)
    versions: Dict[int, Dict[str, Any]] = {}
    for k in range(N_VERSIONS):
        data = {**base, "processing": dict(base["processing"])}
        update_change(k)(data)
        versions[k] = data
    allowed = Written(versions)
    assert len(allowed) == N_VERSIONS
    ConfigManager(cfg).update(update_change(0))
    assert cfg.read_bytes() in allowed

    t0 = time.monotonic()
    stats = _kill_loop(tmp_path, cfg, _update_writer, lambda m, k: m.update(update_change(k)), allowed,
                       kills_wanted=scaled(100, 2000), budget=seconds(20, 600), max_delay=0.03)
    report("crash.update", seconds=round(time.monotonic() - t0, 1), **stats)


_SUBPROCESS_WRITER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [sys.argv[3], sys.argv[4]]  # this module's folder, and tests/ for support
    from test_crash import version, N_VERSIONS
    from codequery_gitcfg.api import ConfigManager
    manager = ConfigManager(sys.argv[1])
    i = int(sys.argv[2])
    manager.save_config(version(i % N_VERSIONS))
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    for _ in range(100000):
        i += 1
        manager.save_config(version(i % N_VERSIONS))
    """
)


def test_sigkill_fresh_interpreter_writer(tmp_path: Path) -> None:
    """The same with a real ``python`` process (no fork): nothing shared with the test."""
    cfg = init_repo(tmp_path / "repo")
    allowed = Written({i: version(i) for i in range(N_VERSIONS)})
    ConfigManager(cfg).save_config(version(0))
    rng = random.Random()
    kills = with_temp = 0
    wanted = scaled(12, 300)
    deadline = Deadline(seconds(15, 900))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    here, tests = str(Path(__file__).parent), str(Path(__file__).parents[1])
    t0 = time.monotonic()
    while kills < wanted and not deadline.passed:
        proc = subprocess.Popen([PY, "-c", _SUBPROCESS_WRITER, str(cfg), str(rng.randrange(N_VERSIONS)), here, tests],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line != b"ready\n":
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"writer did not start: {line!r} {err.decode(errors='replace')}")
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, f"writer ended on its own ({proc.returncode}): {err.decode(errors='replace')}"
        kills += 1
        assert cfg.read_bytes() in allowed
        strict_read(cfg)
        if temp_files(cfg.parent):
            with_temp += 1
        ConfigManager(cfg).load_config()
    ConfigManager(cfg, lock_timeout=2).save_config(version(3))
    assert temp_files(cfg.parent) == []
    assert kills >= min(wanted, 5)
    report("crash.fresh_interpreter", kills=kills, kills_leaving_temp=with_temp,
           seconds=round(time.monotonic() - t0, 1))


def _leftover_name(cfg: Path) -> str:
    """Make the core leave a temp file exactly as a writer killed just before
    os.replace would (os.replace fails, the clean-up's unlink does nothing);
    return its name, so planted leftovers are named as the core names them."""
    from codequery_gitcfg.store import atomic

    class _Os:
        def __getattr__(self, name: str) -> Any:
            if name == "replace":
                def replace(*args: Any) -> None:
                    raise OSError(5, "simulated death before replace")
                return replace
            if name == "unlink":
                return lambda *args: None
            return getattr(os, name)

    before = set(temp_files(cfg.parent))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atomic, "os", _Os())
        with pytest.raises(OSError):
            ConfigManager(cfg).save_config(full_config(batch_size=3))
    new = set(temp_files(cfg.parent)) - before
    assert len(new) == 1, new
    return new.pop()


def test_planted_temp_files_never_break_load_or_save(tmp_path: Path) -> None:
    """Leftovers of every shape: empty, garbage, a valid-looking config, read-only,
    a symlink to a file outside, a directory with the temp name."""
    from codequery_gitcfg.store.atomic import TMP_SUFFIX

    cfg = init_repo(tmp_path / "repo")
    folder = cfg.parent
    real_leftover = _leftover_name(cfg)
    prefix = real_leftover[: -(8 + len(TMP_SUFFIX))]  # mkstemp adds 8 random characters

    def name(tag: str) -> str:
        return f"{prefix}{tag:_<8}{TMP_SUFFIX}"

    outside = tmp_path / "outside.json"
    outside.write_text('{"dataset_name": "OUTSIDE"}\n')
    outside_before = (outside.read_bytes(), outside.stat().st_mtime_ns)
    (folder / name("empty")).write_bytes(b"")
    (folder / name("garbage")).write_bytes(os.urandom(4096))
    (folder / name("config")).write_text('{"dataset_name": "not-me"}\n')
    ro = folder / name("readonly")
    ro.write_text("{")
    ro.chmod(0o444)
    (folder / name("link")).symlink_to(outside)
    (folder / name("dir")).mkdir()
    before = cfg.read_bytes()
    planted = len(temp_files(folder))
    assert planted == 7

    manager = ConfigManager(cfg)
    assert manager.load_config()["dataset_name"] == "project"
    assert manager.load_raw_config()["dataset_name"] == "project"
    assert manager.validate_config_file() == []
    assert cfg.read_bytes() == before, "reading must not write"

    manager.update(lambda d: d["processing"].__setitem__("batch_size", 9))
    assert strict_read(cfg)["processing"]["batch_size"] == 9
    # Every leftover file is gone; a directory that merely has the name is left alone.
    assert temp_files(folder) == [name("dir")]
    assert (outside.read_bytes(), outside.stat().st_mtime_ns) == outside_before, "the link's target was touched"

    # And again, through the CLI and save_config.
    (folder / name("again")).write_bytes(b"\x00" * 10)
    import codequery_gitcfg.cli.main as cli

    cwd = os.getcwd()
    os.chdir(cfg.parent.parent)
    try:
        assert cli.main(["set", "processing.max_retries", "7"]) == 0
    finally:
        os.chdir(cwd)
    assert temp_files(folder) == [name("dir")]
    (folder / name("third")).write_bytes(b"x")
    manager.save_config(full_config(batch_size=11))
    assert temp_files(folder) == [name("dir")]
    assert strict_read(cfg)["processing"]["batch_size"] == 11
    report("crash.planted_temps", planted=planted + 2, loads=3, saves=3)
