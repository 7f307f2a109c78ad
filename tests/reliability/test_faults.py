"""Fault injection (README: "Strict reading" and "Writing"; issue 6): whatever fails during a write -- os.write,
os.fsync, os.fchmod, os.replace, os.close or the temp file's creation, at every
call a save reaches; a full disk (RLIMIT_FSIZE); a read-only file or folder --
the original file is untouched byte for byte, no temp file remains, and the
OSError reaches the caller naming the config file (the CLI prints it, exit 1,
no traceback).

The injected errors look like the real ones: os.write/os.fsync/os.fchmod/os.close
raise an OSError without a filename (the kernel knows only a descriptor);
os.stat, os.open, os.replace and mkstemp name their paths as CPython does.
Faults after the os.replace (the folder's fsync) must not fail the write: the
new file is already in place. Closing the folder's descriptor is not faulted.
"""
from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import codequery_gitcfg.cli.main as cli
import pytest
from codequery_gitcfg.api import ConfigManager
from codequery_gitcfg.store import atomic

from support.reliability_helpers import (
    CONFIG_REL,
    PY,
    fork_call,
    full_config,
    init_repo,
    report,
    scaled,
    strict_read,
    temp_files,
    wait_pids,
)

pytestmark = pytest.mark.reliability

FAULTED = ("stat", "write", "fsync", "fchmod", "replace", "close", "open", "mkstemp")


# -- the fault injector ---------------------------------------------------------
class Faults:
    """Stands in for the ``os`` (and ``tempfile``) module that atomic.py uses.

    ``fail`` names one function; its ``nth`` call raises a realistic OSError.
    Calls are counted per function; ``replaced`` tells whether os.replace had
    already succeeded when the fault fired.
    """

    def __init__(self, fail: Optional[str] = None, nth: int = 0, short_writes: int = 0) -> None:
        self.fail, self.nth, self.short_writes = fail, nth, short_writes
        self.calls: Dict[str, int] = {}
        self.fired = False
        self.fired_after_replace = False
        self.replaced = False

    def _error(self, name: str, args: Tuple[Any, ...]) -> OSError:
        if name == "replace":
            return OSError(errno.EIO, os.strerror(errno.EIO), args[0], None, args[1])
        if name == "mkstemp":
            folder = os.fspath(args[2]) if len(args) > 2 else "."
            return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(folder, ".cqcfg-injected.tmp"))
        if name in ("stat", "open"):  # path-based calls name their path
            return OSError(errno.EIO, os.strerror(errno.EIO), args[0])
        code = {"write": errno.ENOSPC, "fsync": errno.EIO, "fchmod": errno.EPERM, "close": errno.EIO}[name]
        return OSError(code, os.strerror(code))

    def wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == "close" and self.replaced and name == self.fail:
                # Closing the folder's descriptor after the replace: not a fault
                # a write can meet in practice (see the report); never injected.
                return real(*args, **kwargs)
            if name == self.fail and self.calls[name] == self.nth:
                self.fired = True
                self.fired_after_replace = self.replaced
                if name == "mkstemp":
                    raise self._error(name, (kwargs.get("prefix"), kwargs.get("suffix"), kwargs.get("dir")))
                if name == "close":
                    real(*args, **kwargs)  # the descriptor is gone either way, as with a real EIO on close
                raise self._error(name, args)
            if name == "write" and self.short_writes:
                fd, data = args
                return real(fd, bytes(memoryview(data)[: self.short_writes]))
            result = real(*args, **kwargs)
            if name == "replace":
                self.replaced = True
            return result

        return call


class _Proxy:
    def __init__(self, real: Any, faults: Faults, names: Tuple[str, ...]) -> None:
        self._real, self._faults, self._names = real, faults, names

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._real, attr)
        return self._faults.wrap(attr, value) if attr in self._names else value


@contextlib.contextmanager
def injected(faults: Faults) -> Iterator[Faults]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atomic, "os", _Proxy(os, faults, ("stat", "write", "fsync", "fchmod", "replace", "close", "open")))
        mp.setattr(atomic, "tempfile", _Proxy(tempfile, faults, ("mkstemp",)))
        yield faults


# -- the writes under test ------------------------------------------------------
LEGACY = {"datasetName": "legacy", "version": "1.1.0", "excludePatterns": ["dist/*"]}


def _cli_set(cfg: Path) -> int:
    cwd = os.getcwd()
    os.chdir(cfg.parent.parent)
    try:
        return cli.main(["set", "processing.batch_size", "79"])
    finally:
        os.chdir(cwd)


# name -> (original content, the write); None content means "no file yet"
OPS: Dict[str, Tuple[Optional[Dict[str, Any]], Callable[[Path], Any]]] = {
    "save_config": (full_config(), lambda cfg: ConfigManager(cfg).save_config(full_config(batch_size=77))),
    "update": (full_config(), lambda cfg: ConfigManager(cfg).update(lambda d: d["processing"].__setitem__("batch_size", 78))),
    "update_processing_mode": (full_config(), lambda cfg: ConfigManager(cfg).update_processing_mode("auto")),
    "migrate_file": (LEGACY, lambda cfg: ConfigManager(cfg).migrate_file().changes),
    "create_default_config": (None, lambda cfg: ConfigManager(cfg).create_default_config()),
    "cli_set": (full_config(), _cli_set),
}


def _prepare(cfg: Path, content: Optional[Dict[str, Any]]) -> Optional[bytes]:
    if content is None:
        if cfg.exists():
            cfg.unlink()
        return None
    raw = (json.dumps(content, indent=2) + "\n").encode()
    cfg.write_bytes(raw)
    return raw


def _state(cfg: Path) -> Optional[bytes]:
    return cfg.read_bytes() if cfg.exists() else None


def _count_calls(cfg: Path, op: str, short: int = 0) -> Dict[str, int]:
    content, write = OPS[op]
    original = _prepare(cfg, content)
    with injected(Faults(short_writes=short)) as counter, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = write(cfg)
    assert result in (None, True, 0) or isinstance(result, (dict, list)), result
    assert _state(cfg) != original, f"{op} must change the file for the injection to mean anything"
    return counter.calls


# Bytes per os.write in the short-write rounds, so that a fault can hit mid-file
# (soak: 4 bytes, a fault at every 4th byte of the file).
SHORT = scaled(64, 4)


def _run_injections(cfg: Path, op: str, capsys: pytest.CaptureFixture[str]) -> Tuple[int, List[str], List[str]]:
    """Inject a fault at every call of every faulted function (and, with short
    writes, at every os.write of a file written 64 bytes at a time); return
    (injections, broken guarantees, errors that do not name the file)."""
    content, write = OPS[op]
    calls = _count_calls(cfg, op)
    short_calls = _count_calls(cfg, op, short=SHORT)["write"]
    plan = [(name, nth, 0) for name in FAULTED
            # close: only the temp file's descriptor (the first close) is faulted.
            for nth in range(1, (1 if name == "close" else calls.get(name, 0)) + 1)]
    plan += [("write", nth, SHORT) for nth in range(1, short_calls + 1)]
    injections = 0
    broken: List[str] = []
    unnamed: List[str] = []
    real_path = os.path.realpath(cfg)
    for name, nth, short in plan:
        original = _prepare(cfg, content)
        capsys.readouterr()
        where = f"{op}: {name} call {nth}" + (f" (short writes of {short} bytes)" if short else "")
        raised: Optional[BaseException] = None
        with injected(Faults(name, nth, short)) as faults, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = write(cfg)
            except BaseException as exc:
                raised, result = exc, None
        err = capsys.readouterr().err
        assert faults.fired, where
        injections += 1
        leftovers = temp_files(cfg.parent)
        if leftovers:
            broken.append(f"{where}: temp files left: {leftovers}")
            for leftover in leftovers:
                os.unlink(cfg.parent / leftover)
        failed = raised is not None or (op == "cli_set" and result != 0)
        if faults.fired_after_replace:
            # Only the folder's fsync comes after the replace: the new file is in place,
            # so reporting a failure now would break "on failure the original is untouched".
            if failed or _state(cfg) == original:
                broken.append(f"{where}: a fault after os.replace must not fail the write ({raised!r}, rc={result})")
            continue
        if not failed:
            broken.append(f"{where}: the fault was swallowed: the write reported success")
            continue
        if _state(cfg) != original:
            broken.append(f"{where}: the original file changed")
        if op == "cli_set":
            if result != 1 or "Traceback" in err:
                broken.append(f"{where}: CLI exit {result}, stderr {err!r}")
            if CONFIG_REL not in err:
                unnamed.append(f"{where}: CLI stderr {err.strip()!r}")
            continue
        if not isinstance(raised, OSError):
            broken.append(f"{where}: {raised!r} is not the OSError")
            continue
        if real_path not in str(raised):
            unnamed.append(f"{where}: {raised!r} -> str {str(raised)!r}")
    return injections, broken, unnamed


@pytest.mark.parametrize("op", sorted(OPS))
def test_fault_at_every_call_leaves_original_untouched(tmp_path: Path, op: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cfg = init_repo(tmp_path / "repo")
    injections, broken, _ = _run_injections(cfg, op, capsys)
    assert injections >= 6, injections
    with capsys.disabled():
        report(f"faults.{op}", faults_injected=injections, broken=len(broken))
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("op", sorted(OPS))
def test_fault_error_names_the_config_file(tmp_path: Path, op: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The README ("Strict reading" and "Writing") / issue 6: "the error names the path". os.write, os.fsync, os.fchmod
    and os.close errors carry no filename, and os.replace/mkstemp errors name the
    temp file, so the write must attach the config file's path itself."""
    cfg = init_repo(tmp_path / "repo")
    injections, _, unnamed = _run_injections(cfg, op, capsys)
    with capsys.disabled():
        report(f"faults.names_path.{op}", faults_injected=injections, unnamed=len(unnamed))
    assert not unnamed, f"{len(unnamed)} of {injections} errors do not name {cfg}:\n" + "\n".join(unnamed)


def test_short_writes_still_write_everything(tmp_path: Path) -> None:
    """os.write may write fewer bytes than asked (signals, pipes, quotas): the loop completes."""
    cfg = init_repo(tmp_path / "repo")
    target = full_config(batch_size=123)
    target["exclude_patterns"] = [f"dir{i}/*" for i in range(50)]
    with injected(Faults(short_writes=3)) as faults:
        ConfigManager(cfg).save_config(target)
    assert faults.calls["write"] > 100
    assert strict_read(cfg) == target
    assert temp_files(cfg.parent) == []
    report("faults.short_writes", write_calls=faults.calls["write"])


# -- full disk: RLIMIT_FSIZE ----------------------------------------------------------
LIMIT = 4096


def _big_patterns() -> List[str]:
    return [f"generated/folder-{i:04d}/**/*.js" for i in range(300)]  # ~10 KB in the file


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _full_disk_child(cfg: str, out: str) -> None:
    _limit_file_size()
    results = {}
    big = full_config()
    big["exclude_patterns"] = _big_patterns()
    for name, write in [
        ("save_config", lambda: ConfigManager(cfg).save_config(big)),
        ("update", lambda: ConfigManager(cfg).update(lambda d: d.__setitem__("exclude_patterns", _big_patterns()))),
    ]:
        try:
            write()
            results[name] = {"raised": None}
        except BaseException as exc:
            results[name] = {"raised": type(exc).__name__, "errno": getattr(exc, "errno", None), "str": str(exc),
                             "is_oserror": isinstance(exc, OSError)}
        results[name]["temps"] = temp_files(os.path.dirname(cfg))
        with open(cfg, "rb") as f:
            results[name]["bytes"] = f.read().decode("utf-8", "replace")
    with open(out, "w") as f:
        json.dump(results, f)


def test_full_disk_api(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    original = cfg.read_bytes()
    assert len(original) < LIMIT
    out = tmp_path / "result.json"
    pid = fork_call(_full_disk_child, str(cfg), str(out))
    status = wait_pids([pid], 60)[pid]
    assert status == 0, f"child failed: {status}"
    results = json.loads(out.read_text())
    for name, res in results.items():
        assert res["raised"] is not None, f"{name}: a write past RLIMIT_FSIZE reported success"
        assert res["is_oserror"] and res["errno"] == errno.EFBIG, res
        assert res["temps"] == [], f"{name}: temp file left behind: {res['temps']}"
        assert res["bytes"].encode() == original, f"{name}: original changed"
    assert cfg.read_bytes() == original and temp_files(cfg.parent) == []
    report("faults.full_disk_api", writes_refused=len(results))


def test_full_disk_api_error_names_path(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    out = tmp_path / "result.json"
    pid = fork_call(_full_disk_child, str(cfg), str(out))
    assert wait_pids([pid], 60)[pid] == 0
    results = json.loads(out.read_text())
    real = os.path.realpath(cfg)
    unnamed = {name: res["str"] for name, res in results.items() if real not in res["str"]}
    assert not unnamed, f"EFBIG errors do not name {real}: {unnamed}"


def test_full_disk_cli(tmp_path: Path) -> None:
    """``codequery-gitcfg set`` in a real process whose file size limit is hit."""
    cfg = init_repo(tmp_path / "repo")
    original = cfg.read_bytes()
    proc = subprocess.run(
        [PY, "-m", "codequery_gitcfg", "set", "exclude_patterns", json.dumps(_big_patterns())],
        cwd=cfg.parent.parent, capture_output=True, text=True, preexec_fn=_limit_file_size, timeout=60,
        # Without CI's coverage start-up: its data file would hit the same size limit.
        env={**{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error:"), proc.stderr
    assert cfg.read_bytes() == original
    assert temp_files(cfg.parent) == []
    report("faults.full_disk_cli", exit_code=proc.returncode)
    assert CONFIG_REL in proc.stderr, f"the error does not name the config file: {proc.stderr!r}"


# -- read-only file and folder --------------------------------------------------------
def _chattr_works(probe_dir: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    probe = probe_dir / "chattr-probe"
    probe.write_text("x")
    try:
        ok = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
        if ok:
            try:
                with open(probe, "w"):
                    pass
                ok = False  # immutable did not hold
            except OSError:
                pass
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()
    return ok


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _attempt_writes(cfg: str) -> Dict[str, Dict[str, Any]]:
    """Every kind of write; what each raised, and the CLI's exit code and stderr."""
    results: Dict[str, Dict[str, Any]] = {}
    writes = {
        "save_config": lambda: ConfigManager(cfg).save_config(full_config(batch_size=42)),
        "update": lambda: ConfigManager(cfg).update(lambda d: d["processing"].__setitem__("batch_size", 43)),
        "update_processing_mode": lambda: ConfigManager(cfg).update_processing_mode("auto"),
    }
    for name, write in writes.items():
        try:
            write()
            results[name] = {"raised": None, "str": ""}
        except BaseException as exc:
            results[name] = {"raised": type(exc).__name__, "is_oserror": isinstance(exc, OSError), "str": str(exc)}
    cwd = os.getcwd()
    err = io.StringIO()
    os.chdir(os.path.dirname(os.path.dirname(cfg)))
    try:
        with contextlib.redirect_stderr(err):
            try:
                rc: Any = cli.main(["set", "processing.batch_size", "44"])
            except BaseException as exc:
                rc = f"raised {exc!r}"
    finally:
        os.chdir(cwd)
    results["cli_set"] = {"rc": rc, "stderr": err.getvalue()}
    return results


def _judge(results: Dict[str, Dict[str, Any]], cfg: Path, original: bytes) -> Tuple[List[str], List[str]]:
    broken, unnamed = [], []
    real = os.path.realpath(cfg)
    for name, res in results.items():
        if name == "cli_set":
            if res["rc"] != 1 or "Traceback" in res["stderr"]:
                broken.append(f"cli_set: exit {res['rc']!r}, stderr {res['stderr']!r}")
            elif CONFIG_REL not in res["stderr"]:
                unnamed.append(f"cli_set: {res['stderr'].strip()!r}")
            continue
        if res["raised"] is None:
            broken.append(f"{name}: the write succeeded on a read-only target")
        elif not res["is_oserror"]:
            broken.append(f"{name}: raised {res['raised']} instead of the OSError")
        elif real not in res["str"]:
            unnamed.append(f"{name}: {res['str']!r}")
    if cfg.read_bytes() != original:
        broken.append("the original file changed")
    if temp_files(cfg.parent):
        broken.append(f"temp files left: {temp_files(cfg.parent)}")
    return broken, unnamed


def _as_nobody(fn: Callable[[], Dict[str, Any]], out: Path) -> None:
    """Run ``fn`` in a forked child that has dropped root for 'nobody'."""
    nobody = pwd.getpwnam("nobody")

    def child() -> None:
        os.chdir("/")  # the test's cwd may be closed to 'nobody'
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn()
        with open(out, "w") as f:
            json.dump(result, f)

    pid = fork_call(child)
    assert wait_pids([pid], 60)[pid] == 0, "the unprivileged child failed"


def _warm_up(tmp_path: Path) -> None:
    """Import everything a write needs before dropping privileges (the interpreter
    under /root cannot be read by 'nobody')."""
    cfg = init_repo(tmp_path / "warmup")
    _attempt_writes(str(cfg))
    import jsonschema  # noqa: F401

    import git  # noqa: F401


def _techniques() -> List[str]:
    return ["immutable", "permissions"]


@pytest.fixture
def readonly_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tuple[str, Path]]:
    """A repository whose config can be made read-only by the requested technique."""
    technique = request.param
    if technique == "immutable":
        if os.geteuid() != 0 or not _chattr_works(tmp_path):
            pytest.skip("chattr +i needs root (CAP_LINUX_IMMUTABLE) and a filesystem with the i attribute")
        yield technique, init_repo(tmp_path / "repo")
        return
    if os.geteuid() != 0:
        yield technique, init_repo(tmp_path / "repo")
        return
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("root, and no 'nobody' user to drop to: permission bits do not stop root")
    # tmp_path's parents are 0700 for root; 'nobody' needs a folder it can reach.
    base = Path(tempfile.mkdtemp(prefix="cq-readonly-"))
    try:
        base.chmod(0o755)
        cfg = init_repo(base / "repo")
        for folder, dirs, files in os.walk(base):
            for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
                os.lchown(name, nobody.pw_uid, nobody.pw_gid)
        _warm_up(tmp_path)
        yield technique, cfg
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_readonly(technique: str, cfg: Path, target: Path, tmp_path: Path) -> Dict[str, Dict[str, Any]]:
    if technique == "immutable":
        with _immutable(target), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _attempt_writes(str(cfg))
    mode = 0o444 if target.is_file() else 0o555
    target.chmod(mode)
    try:
        if os.geteuid() != 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _attempt_writes(str(cfg))
        out = cfg.parent.parent.parent / "nobody.json"  # in the folder 'nobody' owns
        _as_nobody(lambda: _attempt_writes(str(cfg)), out)
        return json.loads(out.read_text())
    finally:
        target.chmod(0o644 if target.is_file() else 0o755)


@pytest.mark.parametrize("readonly_repo", _techniques(), indirect=True)
@pytest.mark.parametrize("what", ["file", "folder"])
def test_readonly_target_untouched(readonly_repo: Tuple[str, Path], what: str, tmp_path: Path) -> None:
    technique, cfg = readonly_repo
    original = cfg.read_bytes()
    target = cfg if what == "file" else cfg.parent
    results = _run_readonly(technique, cfg, target, tmp_path)
    broken, _ = _judge(results, cfg, original)
    report(f"faults.readonly_{what}.{technique}", writes_refused=sum(
        1 for r in results.values() if r.get("raised") or r.get("rc") == 1), broken=len(broken))
    assert not broken, f"read-only {what} ({technique}):\n" + "\n".join(broken)


@pytest.mark.parametrize("readonly_repo", _techniques(), indirect=True)
@pytest.mark.parametrize("what", ["file", "folder"])
def test_readonly_error_names_path(readonly_repo: Tuple[str, Path], what: str, tmp_path: Path) -> None:
    technique, cfg = readonly_repo
    original = cfg.read_bytes()
    target = cfg if what == "file" else cfg.parent
    results = _run_readonly(technique, cfg, target, tmp_path)
    _, unnamed = _judge(results, cfg, original)
    assert not unnamed, f"read-only {what} ({technique}): errors do not name {cfg}:\n" + "\n".join(unnamed)


# -- issue 12, item 7: install on a full disk ------------------------------------------------
FOREIGN = "#!/bin/sh\necho foreign-ran >> \"$(git rev-parse --absolute-git-dir)/../foreign.log\"\n"


def _foreign_hooked(tmp_path: Path) -> Tuple[Path, Path]:
    root = tmp_path / "repo"
    init_repo(root)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(FOREIGN)
    hook.chmod(0o755)
    return root, hook


def _install_child(root: str, out: str) -> None:
    from codequery_gitcfg.git import install
    from codequery_gitcfg.git.repo import worktree_by_gitpython

    worktree = worktree_by_gitpython(root, {})
    assert worktree is not None
    os.chdir(root)
    with open(out, "w") as f:
        _limit_file_size_to(1024)  # our script is ~4 KiB: its write fails, info/exclude fits
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                install.install(worktree, ["pre-commit"], sys.executable, {})
        except OSError as exc:
            f.write(errno.errorcode.get(exc.errno or 0, "?"))


def _limit_file_size_to(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _assert_foreign_hook_intact(root: Path, hook: Path) -> None:
    assert hook.read_text() == FOREIGN and os.access(hook, os.X_OK)
    assert sorted(p.name for p in hook.parent.iterdir() if not p.name.endswith(".sample")) == ["pre-commit"]
    (root / "x").write_text("x")
    subprocess.run(["git", "add", "x"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=root, check=True)
    assert (root / "foreign.log").read_text() == "foreign-ran\n", "the user's hook no longer runs"


def test_install_on_a_full_disk_keeps_the_users_hook(tmp_path: Path) -> None:
    root, hook = _foreign_hooked(tmp_path)
    out = tmp_path / "child.out"
    pid = fork_call(_install_child, str(root), str(out))
    assert wait_pids([pid], 60)[pid] == 0
    assert out.read_text() == "EFBIG", "the install should have failed on the full disk"
    _assert_foreign_hook_intact(root, hook)
    report("faults.install_full_disk", installs_refused=1)


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_install_rolls_back_when_writing_ours_fails(tmp_path: Path, links: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from codequery_gitcfg.git import install

    root, hook = _foreign_hooked(tmp_path)
    if not links:
        def no_link(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)

    def full(path: str, data: bytes, mode: Optional[int] = None) -> bool:
        if os.path.basename(path) == "pre-commit":
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return atomic.write_atomic(path, data, mode)

    monkeypatch.setattr(install, "write_atomic", full)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(["install"])
    finally:
        os.chdir(cwd)
    monkeypatch.undo()
    assert code == 1 and "No space left on device" in err.getvalue()
    _assert_foreign_hook_intact(root, hook)


# -- issue 12, item 9: ownership under sudo ---------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as under sudo")
def test_sudo_set_keeps_the_repository_usable_by_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user")
    base = Path(tempfile.mkdtemp(prefix="cq-sudo-"))
    try:
        base.chmod(0o755)
        cfg = init_repo(base / "repo")
        for folder, dirs, names in os.walk(base):
            for name in [folder] + [os.path.join(folder, n) for n in dirs + names]:
                os.lchown(name, nobody.pw_uid, nobody.pw_gid)
        owner = (nobody.pw_uid, nobody.pw_gid)
        monkeypatch.setenv("SUDO_UID", str(nobody.pw_uid))  # git trusts root's sudo of the owner
        monkeypatch.chdir(cfg.parent.parent)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            assert cli.main(["set", "processing.batch_size", "11"]) == 0, err.getvalue()
        ours = cfg.parent.parent / ".git" / "codequery-gitcfg"
        made = [cfg, ours] + list(ours.iterdir())
        assert {str(p): (p.stat().st_uid, p.stat().st_gid) for p in made} == {str(p): owner for p in made}
        cfg.unlink()
        shutil.rmtree(cfg.parent)
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(["init"]) == 0
        assert (cfg.stat().st_uid, cfg.stat().st_gid) == owner
        assert (cfg.parent.stat().st_uid, cfg.parent.stat().st_gid) == owner
        _warm_up(tmp_path)
        out = base / "as-owner.json"

        def as_owner() -> Dict[str, Any]:
            manager = ConfigManager(str(cfg))
            manager.update_processing_mode("auto")
            return {"mode": manager.load_config()["processing"]["mode"]}

        _as_nobody(as_owner, out)
        assert json.loads(out.read_text()) == {"mode": "auto"}
        report("faults.sudo_ownership", files_checked=len(made) + 2)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if sys.platform == "win32":  # pragma: no cover
    pytestmark = [pytest.mark.reliability, pytest.mark.skip(reason="POSIX fault injection")]
