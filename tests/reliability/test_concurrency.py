"""Concurrency (README: "Strict reading" and "Writing"; issue 6): processes and threads editing and reading one
config at once. Edits of different keys (CLI ``set`` in real processes and
in-process, ``update_processing_mode``, ``update``) are all kept; read-modify-write
increments lose nothing; a reader never sees a torn, invalid or mixed file;
threads reading through one ConfigManager always get exactly one written version.

CI: ~400 locked writes by 11 writers, 2 readers. Soak (CODEQUERY_SOAK=1): ~15000.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import codequery_gitcfg.cli.main as cli
import pytest
from codequery_gitcfg.api import ConfigManager, load_config_with_env_override
from codequery_gitcfg.core import fmt, judge
from codequery_gitcfg.core.document import Document

from support.reliability_helpers import (
    CONFIG_REL,
    PY,
    Deadline,
    fork_call,
    full_config,
    init_repo,
    read_valid,
    report,
    scaled,
    seconds,
    wait_pids,
)

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")]

MODELS = ["claude-3-5-sonnet-20240620", "claude-3-opus-20240229", "claude-3-haiku-20240307", "claude-sonnet-4-20250514"]


def _get(data: Dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def _set(dotted: str, value: Any) -> Callable[[Dict[str, Any]], None]:
    def change(data: Dict[str, Any]) -> None:
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    return change


class Owner:
    """One writer that alone writes one key; before each write it checks that its
    previous write is still in the file (anything else is a lost update)."""

    def __init__(self, name: str, key: str, value: Callable[[int], Any], write: Callable[[str, int], None]) -> None:
        self.name, self.key, self.value, self.write = name, key, value, write

    def run(self, cfg: str, rounds: int, out: str) -> None:
        kept = 0
        for i in range(rounds):
            if i:
                current = _get(read_valid(cfg), self.key)
                if current != self.value(i - 1):
                    raise AssertionError(f"{self.name}: lost update: {self.key} is {current!r}, "
                                         f"wrote {self.value(i - 1)!r} in round {i - 1}")
                kept += 1
            self.write(cfg, i)
        with open(out, "w") as f:
            json.dump({"writes": rounds, "checked": kept}, f)


def _cli_in_process(key: str, text: Callable[[int], str]) -> Callable[[str, int], None]:
    def write(cfg: str, i: int) -> None:
        os.chdir(os.path.dirname(os.path.dirname(cfg)))
        code = cli.main(["set", key, text(i)])
        if code != 0:
            raise AssertionError(f"set {key} {text(i)} exited {code}")

    return write


def _cli_subprocess(key: str, text: Callable[[int], str]) -> Callable[[str, int], None]:
    def write(cfg: str, i: int) -> None:
        proc = subprocess.run([PY, "-m", "codequery_gitcfg", "set", key, text(i)],
                              cwd=os.path.dirname(os.path.dirname(cfg)), capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        if proc.returncode != 0 or proc.stderr:
            raise AssertionError(f"set {key} {text(i)}: exit {proc.returncode}: {proc.stderr}")

    return write


def _api_update(key: str, value: Callable[[int], Any]) -> Callable[[str, int], None]:
    def write(cfg: str, i: int) -> None:
        ConfigManager(cfg).update(_set(key, value(i)))

    return write


def _mode(i: int) -> str:
    return ["auto", "manual"][i % 2]


OWNERS = [
    # real `python -m codequery_gitcfg set` processes
    Owner("cli-proc:queue_timeout", "processing.queue_timeout", lambda i: i + 1,
          _cli_subprocess("processing.queue_timeout", lambda i: str(i + 1))),
    Owner("cli-proc:worker_check_interval", "processing.worker_check_interval", lambda i: 1 + i % 3600,
          _cli_subprocess("processing.worker_check_interval", lambda i: str(1 + i % 3600))),
    # the CLI's code path in forked processes (many more rounds for the same time)
    Owner("cli:max_retries", "processing.max_retries", lambda i: i % 101,
          _cli_in_process("processing.max_retries", lambda i: str(i % 101))),
    Owner("cli:model", "model", lambda i: MODELS[i % len(MODELS)],
          _cli_in_process("model", lambda i: MODELS[i % len(MODELS)])),
    Owner("cli:exclude_patterns", "exclude_patterns", lambda i: [f"gen-{i}/*", "dist/*"][: 1 + i % 2],
          _cli_in_process("exclude_patterns", lambda i: json.dumps([f"gen-{i}/*", "dist/*"][: 1 + i % 2]))),
    # the API
    Owner("api:update_processing_mode", "processing.mode", _mode,
          lambda cfg, i: ConfigManager(cfg).update_processing_mode(_mode(i))),
    Owner("api:update:batch_size", "processing.batch_size", lambda i: 1 + i % 1000,
          _api_update("processing.batch_size", lambda i: 1 + i % 1000)),
    Owner("api:update:fallback_to_sync", "processing.fallback_to_sync", lambda i: i % 2 == 0,
          _api_update("processing.fallback_to_sync", lambda i: i % 2 == 0)),
    Owner("api:update:worktree.branch", "worktree.branch", lambda i: f"branch-{i}",
          _api_update("worktree.branch", lambda i: f"branch-{i}")),
]


def _increment(cfg: str, rounds: int) -> None:
    manager = ConfigManager(cfg)
    for _ in range(rounds):
        manager.update(lambda d: d["processing"].__setitem__("delay_seconds", d["processing"]["delay_seconds"] + 1))


def _reader(cfg: str, stop: str, out: str, allowed: Optional[List[bytes]] = None) -> None:
    """Read continuously, without a lock, as Code Query's workers do."""
    reads = 0
    contents = set()
    problems: List[str] = []
    deadline = Deadline(600)
    allowed_set = set(allowed) if allowed else None
    while not os.path.exists(stop) and not deadline.passed:
        try:
            with open(cfg, "rb") as f:
                raw = f.read()
            doc = Document.parse(raw, cfg)
            read_valid(cfg)  # a second, independent read through the strict reader
            if allowed_set is not None and raw not in allowed_set:
                problems.append(f"not one of the written versions: {raw[:200]!r}")
            elif raw != fmt.dump(doc.data, fmt.detect(doc.text)):
                problems.append(f"not a complete rendering of its own data: {raw[:200]!r}")
            contents.add(raw)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        reads += 1
        if len(problems) > 20:
            break
    with open(out, "w") as f:
        json.dump({"reads": reads, "distinct": len(contents), "problems": problems}, f)


def test_concurrent_writers_of_different_keys_lose_nothing(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo", full_config(delay_seconds=0))
    t0 = time.monotonic()
    fork_rounds, proc_rounds, inc_rounds = scaled(60, 1500), scaled(6, 150), scaled(60, 1500)
    stop = str(tmp_path / "stop")
    errlog = str(tmp_path / "workers.stderr")
    reader_out = str(tmp_path / "reader.json")
    reader = fork_call(_reader, str(cfg), stop, reader_out, stderr_path=errlog)

    pids: Dict[int, str] = {}
    threads: List[threading.Thread] = []
    thread_errors: List[str] = []
    for n, owner in enumerate(OWNERS):
        out = str(tmp_path / f"owner{n}.json")
        if owner.name.startswith("cli-proc:"):
            def run(owner: Owner = owner, out: str = out) -> None:
                try:
                    owner.run(str(cfg), proc_rounds, out)
                except BaseException as exc:
                    thread_errors.append(f"{owner.name}: {exc}")

            threads.append(threading.Thread(target=run))
        else:
            pids[fork_call(owner.run, str(cfg), fork_rounds, out, stderr_path=errlog)] = owner.name
    for _ in range(2):
        pids[fork_call(_increment, str(cfg), inc_rounds, stderr_path=errlog)] = "api:update:increment"
    try:
        for thread in threads:
            thread.start()
        statuses = wait_pids(pids, seconds(120, 3600))
        for thread in threads:
            thread.join(seconds(120, 3600))
    finally:
        Path(stop).touch()
        reader_status = wait_pids([reader], 30)[reader]
    assert reader_status == 0
    log = Path(errlog).read_text() if os.path.exists(errlog) else ""
    failed = {pids[p]: s for p, s in statuses.items() if s != 0}
    assert not failed and not thread_errors, f"writers failed: {failed} {thread_errors}\n{log}"

    final = read_valid(cfg)
    for owner in OWNERS:
        rounds = proc_rounds if owner.name.startswith("cli-proc:") else fork_rounds
        assert _get(final, owner.key) == owner.value(rounds - 1), f"{owner.name}: its last write was lost"
    assert final["processing"]["delay_seconds"] == 2 * inc_rounds, (
        f"lost {2 * inc_rounds - final['processing']['delay_seconds']} read-modify-write increments")
    result = json.loads(Path(reader_out).read_text())
    assert not result["problems"], "the reader saw a bad file:\n" + "\n".join(result["problems"])
    assert result["distinct"] > 1 and result["reads"] > 10, result
    writes = sum(proc_rounds if o.name.startswith("cli-proc:") else fork_rounds for o in OWNERS) + 2 * inc_rounds
    checks = sum((proc_rounds if o.name.startswith("cli-proc:") else fork_rounds) - 1 for o in OWNERS)
    report("concurrency.different_keys", writers=len(OWNERS) + 2, updates_kept=writes, lost_update_checks=checks,
           increments_kept=2 * inc_rounds, reader_reads=result["reads"], reader_distinct_files=result["distinct"],
           seconds=round(time.monotonic() - t0, 1))


# -- whole-config writers and readers ----------------------------------------------
N_VERSIONS = 50


def _version(i: int) -> Dict[str, Any]:
    """Every version has the same size: a rewrite is invisible to size checks."""
    cfg = full_config(batch_size=100 + i, max_retries=10 + i % 90)
    cfg["dataset_name"] = f"ver-{i:03d}"
    return cfg


def _save_versions(cfg: str, parity: int, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    manager = ConfigManager(cfg)
    choices = [i for i in range(N_VERSIONS) if i % 2 == parity]
    for _ in range(rounds):
        manager.save_config(_version(rng.choice(choices)))


def test_threads_reading_one_manager_see_whole_versions(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo", _version(0))
    sizes = {len(fmt.dump(_version(i))) for i in range(N_VERSIONS)}
    assert len(sizes) == 1
    expected = [judge.runtime(judge.judge(_version(i))) for i in range(N_VERSIONS)]
    allowed = [fmt.dump(_version(i)) for i in range(N_VERSIONS)] + [cfg.read_bytes()]
    manager = ConfigManager(cfg)
    manager.load_config()
    rounds = scaled(300, 10000)
    stop_flag = str(tmp_path / "stop")
    reader_out = str(tmp_path / "reader.json")
    errlog = str(tmp_path / "writers.stderr")
    reader = fork_call(_reader, str(cfg), stop_flag, reader_out, allowed, stderr_path=errlog)
    writers = [fork_call(_save_versions, str(cfg), parity, rounds, parity + 1, stderr_path=errlog) for parity in (0, 1)]

    stop = threading.Event()
    errors: List[str] = []
    reads = [0]
    seen: set = set()
    lock = threading.Lock()

    def read_loop(env: Optional[Dict[str, str]]) -> None:
        n = 0
        local_seen = set()
        while not stop.is_set() and n < 10**7:
            try:
                result = load_config_with_env_override(manager, env) if env else manager.load_config()
                idx = int(result["dataset_name"][4:])
                want = expected[idx]
                if env:
                    want = {**want, "processing": {**want["processing"], "batch_size": 7}}
                if result != want:
                    errors.append(f"mixed or wrong version: {result} != {want}")
                local_seen.add(idx)
                # The caller owns its copy: scribbling on it changes nothing for others.
                result["processing"]["batch_size"] = -1
                result["exclude_patterns"].append("scribble/*")
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            n += 1
            if len(errors) > 20:
                break
        with lock:
            reads[0] += n
            seen.update(local_seen)

    threads = [threading.Thread(target=read_loop, args=(None,)) for _ in range(3)]
    threads.append(threading.Thread(target=read_loop, args=({"CODEQUERY_BATCH_SIZE": "7"},)))
    t0 = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        statuses = wait_pids(writers, seconds(60, 3600))
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        Path(stop_flag).touch()
        reader_status = wait_pids([reader], 30)[reader]
    assert reader_status == 0
    log = Path(errlog).read_text() if os.path.exists(errlog) else ""
    assert all(s == 0 for s in statuses.values()), f"writers failed: {statuses}\n{log}"
    assert not errors, "\n".join(errors[:20])
    # Once the writers stop, the cache is not stale: the manager returns the file's version.
    on_disk = int(read_valid(cfg)["dataset_name"][4:])
    assert manager.load_config() == expected[on_disk]
    result = json.loads(Path(reader_out).read_text())
    assert not result["problems"], "\n".join(result["problems"])
    assert len(seen) > 1, "the threads never saw the writers' versions change"
    report("concurrency.threads_read_one_manager", writer_processes=2, saves=2 * rounds, thread_reads=reads[0],
           versions_seen_by_threads=len(seen), reader_process_reads=result["reads"],
           seconds=round(time.monotonic() - t0, 1))


def test_threads_updating_in_one_process_lose_nothing(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo", full_config(delay_seconds=0))
    shared = ConfigManager(cfg)
    n_threads, rounds = 4, scaled(30, 1000)
    errors: List[str] = []

    def work(k: int) -> None:
        manager = shared if k % 2 else ConfigManager(str(cfg))  # shared and separate instances
        try:
            for _ in range(rounds):
                manager.update(lambda d: d["processing"].__setitem__("delay_seconds", d["processing"]["delay_seconds"] + 1))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds(60, 1200))
    assert not any(t.is_alive() for t in threads), "an updating thread hung"
    assert not errors, errors
    assert read_valid(cfg)["processing"]["delay_seconds"] == n_threads * rounds
    report("concurrency.threads_update", threads=n_threads, increments_kept=n_threads * rounds)


def _update_own_file(cfg: str, rounds: int) -> None:
    manager = ConfigManager(cfg)
    for i in range(rounds):
        manager.update(_set("processing.batch_size", 1 + i % 1000))
        if read_valid(cfg)["processing"]["batch_size"] != 1 + i % 1000:
            raise AssertionError(f"{cfg}: lost update in round {i}")


def test_two_config_files_in_one_folder(tmp_path: Path) -> None:
    """Two configs side by side (``--file``, ``ConfigManager(other_path)``) have two
    locks; one writer's clean-up of stale temp files must never delete the other
    writer's temp file in flight (FileNotFoundError from os.replace)."""
    cfg = init_repo(tmp_path / "repo")
    other = cfg.parent / "other.json"
    other.write_bytes(cfg.read_bytes())
    rounds = scaled(150, 3000)
    errlog = tmp_path / "writers.stderr"
    t0 = time.monotonic()
    pids = [fork_call(_update_own_file, str(path), rounds, stderr_path=str(errlog)) for path in (cfg, other)]
    statuses = wait_pids(pids, seconds(60, 1800))
    log = errlog.read_text() if errlog.exists() else ""
    report("concurrency.two_files_one_folder", writers=2, updates=2 * rounds,
           failed_writers=sum(1 for s in statuses.values() if s != 0), seconds=round(time.monotonic() - t0, 1))
    assert all(s == 0 for s in statuses.values()), f"a writer failed:\n{log[-3000:]}"
    assert read_valid(cfg)["processing"]["batch_size"] == read_valid(other)["processing"]["batch_size"] == 1 + (rounds - 1) % 1000


def test_cache_sees_every_same_size_rewrite(tmp_path: Path) -> None:
    """The README ("Writing"): the cache notices every edit, including a same-size rewrite in place
    within one timestamp tick, even with the mtime put back (git's "racy git")."""
    cfg = init_repo(tmp_path / "repo", _version(0))
    manager = ConfigManager(cfg)
    rounds = scaled(300, 10000)
    stale = 0
    for i in range(rounds):
        manager.load_config()  # cache the current version
        k = (i * 7 + 1) % N_VERSIONS
        st = cfg.stat()
        raw = fmt.dump(_version(k))
        with open(cfg, "r+b") as f:  # in place, as an editor with backupcopy=yes writes
            f.write(raw)
            f.truncate()
        if i % 2:
            os.utime(cfg, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime as the cached one
        if manager.load_config() != judge.runtime(judge.judge(_version(k))):
            stale += 1
    report("concurrency.cache_same_size_rewrites", rewrites=rounds, stale_reads=stale)
    assert stale == 0, f"{stale} of {rounds} loads returned a stale cached config"


# -- issue 12, item 5: temp names of neighbouring files ----------------------------------------
def test_cleanup_of_one_file_never_matches_a_longer_neighbours_temp_file(tmp_path: Path) -> None:
    from codequery_gitcfg.store import atomic

    folder = tmp_path / "f"
    folder.mkdir()
    theirs = [".cqcfg-config.json.local.abcd1234.tmp", ".cqcfg-config.json.abcd1234.x.tmp",
              ".cqcfg-config.json.a.abcd1234.tmp"]
    mine = ".cqcfg-config.json.k2_9zzab.tmp"
    for name in theirs + [mine]:
        (folder / name).write_text("{")
    assert atomic.remove_stale_temps(str(folder / "config.json")) == 1
    assert sorted(os.listdir(folder)) == sorted(theirs)


def _write_many(cfg: str, rounds: int) -> None:
    manager = ConfigManager(cfg)
    for i in range(rounds):
        manager.save_config(full_config(batch_size=1 + i % 1000))


def test_config_json_and_config_json_local_written_at_once(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    local = cfg.parent / "config.json.local"
    local.write_bytes(cfg.read_bytes())
    rounds = scaled(120, 3000)
    errlog = tmp_path / "writers.stderr"
    pids = [fork_call(_write_many, str(path), rounds, stderr_path=str(errlog)) for path in (cfg, local)]
    statuses = wait_pids(pids, seconds(120, 3600))
    log = errlog.read_text() if errlog.exists() else ""
    report("concurrency.prefix_neighbours", writes=2 * rounds,
           failed_writers=sum(1 for s in statuses.values() if s != 0))
    assert all(s == 0 for s in statuses.values()), f"a writer failed:\n{log[-3000:]}"
    assert read_valid(local)["processing"]["batch_size"] == 1 + (rounds - 1) % 1000


# -- issue 12, item 4: one lock per real file ---------------------------------------------------
def _git(cwd: str | os.PathLike[str], *args: str, env: Optional[Dict[str, str]] = None) -> str:
    proc = subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


class Nested:
    """A superproject whose submodule ``sub`` holds a config, and the paths that reach it."""

    def __init__(self, tmp_path: Path) -> None:
        self.upstream = tmp_path / "upstream"
        init_repo(self.upstream)
        self.top = tmp_path / "super"
        init_repo(self.top)
        _git(self.top, "submodule", "add", "-q", str(self.upstream), "sub")
        _git(self.top, "commit", "-qm", "submodule")
        self.sub = self.top / "sub"
        self.cfg = self.sub / CONFIG_REL
        (self.sub / "cfg-link").symlink_to(".code-query")
        assert (self.top / ".git" / "modules" / "sub").is_dir()

    def managers(self) -> Dict[str, Callable[[], ConfigManager]]:
        from codequery_gitcfg.git import ops

        def cli_from_top() -> ConfigManager:
            return ops.Workspace(cwd=str(self.top), environ={}).manager("sub/" + CONFIG_REL)[0]

        def cli_in_sub() -> ConfigManager:
            return ops.Workspace(cwd=str(self.sub), environ={}).manager(None)[0]

        def relative_git_dir() -> ConfigManager:
            # As git sets it for a hook (GIT_DIR=.git, relative), the API called from the submodule.
            os.chdir(self.sub)
            os.environ["GIT_DIR"] = ".git"
            try:
                manager = ConfigManager(CONFIG_REL)
                assert manager.lock_path  # the worktree found while GIT_DIR is set
            finally:
                del os.environ["GIT_DIR"]
            return manager

        return {
            "cli --file from the superproject": cli_from_top,
            "cli inside the submodule": cli_in_sub,
            "api inside the submodule": lambda: ConfigManager(self.cfg),
            "api through a symlink": lambda: ConfigManager(self.sub / "cfg-link" / "config.json"),
            "api from the superproject's path": lambda: ConfigManager(self.top / "sub" / ".code-query" / "config.json"),
            "api with a relative GIT_DIR": relative_git_dir,
        }


def test_every_path_to_a_submodule_config_takes_one_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = Nested(tmp_path)
    expected = str(nested.top / ".git" / "modules" / "sub" / "codequery-gitcfg" / ".code-query%config.json.lock")
    cwd = os.getcwd()
    try:
        locks = {name: make().lock_path for name, make in nested.managers().items()}
    finally:
        os.chdir(cwd)
    assert locks == {name: os.path.realpath(expected) for name in locks}, locks


def test_a_relative_git_dir_keeps_containment_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codequery_gitcfg.core.errors import OutsideWorktreeError

    cfg = init_repo(tmp_path / "repo")
    (tmp_path / "outside.json").write_text(json.dumps(full_config()))
    cfg.unlink()
    cfg.symlink_to(tmp_path / "outside.json")
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("GIT_DIR", ".git")
    with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
        ConfigManager(CONFIG_REL).load_config()
    cfg.unlink()
    cfg.write_text(json.dumps(full_config()))
    manager = ConfigManager(CONFIG_REL)
    assert manager.lock_path == str(tmp_path / "repo" / ".git" / "codequery-gitcfg" / ".code-query%config.json.lock")
    manager.update_processing_mode("auto")
    assert subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=tmp_path / "repo", capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "GIT_DIR"}).stdout == " M .code-query/config.json\n"


def _append_patterns(make_name: str, top: str, prefix: str, rounds: int) -> None:
    nested = Nested.__new__(Nested)
    nested.top = Path(top)
    nested.sub = nested.top / "sub"
    nested.cfg = nested.sub / CONFIG_REL
    manager = nested.managers()[make_name]()
    manager.lock_timeout = seconds(60, 600)
    for i in range(rounds):
        manager.update(lambda d, i=i: d.__setitem__("exclude_patterns", [*d.get("exclude_patterns", []), f"{prefix}{i}/*"]))
        # filelock is not fair: a writer that re-locks at once can starve the other past
        # the default timeout (a message, not a lost update: the longer timeout above).
        time.sleep(random.random() * 0.004)


def test_writer_pairs_on_a_submodule_config_lose_nothing(tmp_path: Path) -> None:
    """Every pair of paths to one submodule config, writing at once: no lost update,
    no writer deleting the other's temp file."""
    nested = Nested(tmp_path)
    names = list(nested.managers())
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    rounds = scaled(15, 300)
    errlog = tmp_path / "writers.stderr"
    failed = 0
    for n, (a, b) in enumerate(pairs):
        nested.cfg.write_text(json.dumps(full_config(), indent=2) + "\n")
        pids = [fork_call(_append_patterns, name, str(nested.top), f"w{n}{side}-", rounds, stderr_path=str(errlog))
                for side, name in (("a", a), ("b", b))]
        statuses = wait_pids(pids, seconds(120, 1800))
        failed += sum(1 for s in statuses.values() if s != 0)
        log = errlog.read_text() if errlog.exists() else ""
        assert not failed, f"{a} + {b}: a writer failed:\n{log[-3000:]}"
        kept = [p for p in read_valid(nested.cfg)["exclude_patterns"] if p.startswith(f"w{n}")]
        assert len(kept) == 2 * rounds, f"{a} + {b}: {2 * rounds - len(kept)} updates lost"
    log = errlog.read_text() if errlog.exists() else ""
    report("concurrency.submodule_writer_pairs", pairs=len(pairs), updates=2 * rounds * len(pairs),
           failed_writers=failed)
    assert failed == 0, log[-3000:]
