"""Hostile input, property-based (README: "Config reference" to "Python API"; issue 6).

Arbitrary bytes, arbitrary JSON, config-shaped values, CODEQUERY_* environment
values, legacy-shaped configs, CLI arguments and paths never raise anything but
the documented errors (ConfigError and its subclasses, which are ValueErrors;
FileNotFoundError/OSError for the file system), never a RecursionError or a
traceback; migration is pure and idempotent and its output validates or is
refused; path attacks are refused and nothing outside the worktree is read or
written.

Example counts are printed as RELIABILITY lines; CODEQUERY_SOAK=1 runs 30x more.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import codequery_gitcfg.cli.main as cli
import pytest
from codequery_gitcfg.api import ConfigManager, apply_env, effective_config, load_config_with_env_override
from codequery_gitcfg.core import env, judge
from codequery_gitcfg.core.document import Document
from codequery_gitcfg.core.errors import ConfigError, EnvOverrideError, OutsideWorktreeError, ReadError
from codequery_gitcfg.core.migrate import ConfigMigrator, migrate
from codequery_gitcfg.core.reader import MAX_DEPTH
from codequery_gitcfg.core.schema import check
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from support.reliability_helpers import PY, SOAK, full_config, init_repo, read_valid, report, scaled

pytestmark = pytest.mark.reliability


def fuzz_settings(ci: int, soak_factor: int = 30) -> settings:
    # Deterministic in CI (the same examples every run, so a mutant is killed or not, never
    # by luck); a soak run explores new random examples, and what it finds becomes an @example.
    return settings(max_examples=scaled(ci, ci * soak_factor), deadline=None, database=None, derandomize=not SOAK,
                    suppress_health_check=list(HealthCheck))


class Count:
    def __init__(self) -> None:
        self.n = 0
        self.by: Dict[str, int] = {}

    def __call__(self, outcome: str = "") -> None:
        self.n += 1
        if outcome:
            self.by[outcome] = self.by.get(outcome, 0) + 1


@contextlib.contextmanager
def quiet() -> Iterator[Tuple[io.StringIO, io.StringIO]]:
    """Capture the CLI's output and keep warnings out of the test run."""
    out, err = io.StringIO(), io.StringIO()
    saved = warnings.showwarning
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield out, err
        finally:
            warnings.showwarning = saved


@contextlib.contextmanager
def cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_cli(args: List[str], where: Path) -> Tuple[int, str, str]:
    """cli.main in-process: any exception escaping it is a traceback for the user."""
    with cwd(where), quiet() as (out, err):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


# -- strategies ------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
)
JSON = st.recursive(SCALARS, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)),
                    max_leaves=25)

TOKENS = [
    "{", "}", "[", "]", ",", ":", " ", "\n", "\r\n", "\t", '"a"', '"dataset_name"', '"processing"', '"mode"', '"x"',
    "1", "-0", "1.5e3", "1e400", "-1e999", "NaN", "Infinity", "-Infinity", "true", "false", "null", '"\\ud800"',
    '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\"', "9" * 4400, "<<<<<<< HEAD\n", "=======\n",
    ">>>>>>> branch\n", "||||||| base\n", "\ufeff", "/*", "*/", "//", "'a'", "\x00", "\u2028", "é",
]
TOKEN_TEXT = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)

SEEDS = [
    json.dumps(full_config(), indent=2).encode() + b"\n",
    json.dumps({"datasetName": "p", "version": "1.1.0", "excludePatterns": ["a/*"],
                "worktreeInfo": {"isWorktree": True, "datasetNote": "n"}}, indent=4).encode(),
    json.dumps({"dataset_name": "p", "auto_process": True}, indent="\t").replace("\n", "\r\n").encode(),
    b"\xef\xbb\xbf" + json.dumps({"dataset_name": "p", "processing": {"mode": "auto"}}).encode(),
]


@st.composite
def mutated(draw: Any) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "truncate", "utf16", "marker"]))
        pos = draw(st.integers(0, len(raw)))
        if op == "flip" and raw:
            raw[min(pos, len(raw) - 1)] ^= draw(st.integers(1, 255))
        elif op == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([t.encode("utf-8", "surrogatepass") for t in TOKENS]))
        elif op == "delete":
            del raw[pos:pos + draw(st.integers(1, 16))]
        elif op == "dup":
            raw[pos:pos] = raw[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del raw[pos:]
        elif op == "utf16":
            raw = bytearray(bytes(raw).decode("utf-8", "replace").encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"]))))
        elif op == "marker":
            raw[pos:pos] = draw(st.sampled_from([b"\n<<<<<<< HEAD\n", b"\n=======\n", b"\n>>>>>>> theirs\n"]))
    return bytes(raw)


@st.composite
def serialized(draw: Any) -> Tuple[bytes, Any]:
    value = draw(st.one_of(JSON, st.dictionaries(st.text(max_size=8), JSON, max_size=6)))
    text = json.dumps(value, indent=draw(st.sampled_from([None, 2, 4, "\t"])), ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    return raw, value


ANY_BYTES = st.one_of(st.binary(max_size=2048), TOKEN_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      serialized().map(lambda p: p[0]), mutated())


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _plain(value: Any) -> bool:
    """Nothing the strict reader is documented to refuse."""
    if isinstance(value, float):
        return not math.isnan(value) and abs(value) != float("inf")
    if isinstance(value, int):
        return len(str(abs(value))) <= 4300
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return True


def _runtime_quietly(data: Any, text: Optional[str] = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return judge.runtime(judge.judge(data, text))


# -- 1. bytes and JSON, in memory ---------------------------------------------------------
def test_arbitrary_bytes_parse_or_clear_error() -> None:
    count = Count()

    @fuzz_settings(1000)
    @given(ANY_BYTES)
    @example(b"[" * 10_000)
    @example(b'{"a":' * 10_000)
    @example(b"[" * 100_000 + b"]" * 100_000)
    @example(b'{"dataset_name": "x", "n": 1' + b"0" * 5000 + b"}")
    @example(b'{"dataset_name": "\\ud800"}')
    @example(b'{"dataset_name": "x", "dataset_name": "y"}')
    @example(b"\xff\xfe{\x00}\x00")
    @example(b"")
    def check_bytes(raw: bytes) -> None:
        try:
            doc = Document.parse(raw, "config.json")
        except ConfigError as exc:
            assert str(exc) and exc.problems, "an error without a message"
            count("refused")
            return
        assert isinstance(doc.data, dict)
        try:
            result = _runtime_quietly(doc.data, doc.text)
        except ConfigError:
            count("invalid")
            return
        assert isinstance(result, dict) and isinstance(result["processing"], dict)
        count("valid")

    check_bytes()
    report("fuzz.bytes_in_memory", inputs=count.n, **count.by)


def test_arbitrary_json_values_read_back_or_clear_error() -> None:
    count = Count()

    @fuzz_settings(1000)
    @given(serialized())
    def check_json(pair: Tuple[bytes, Any]) -> None:
        raw, value = pair
        accept = isinstance(value, dict) and _depth(value) <= MAX_DEPTH and _plain(value)
        try:
            doc = Document.parse(raw, "config.json")
        except ConfigError:
            assert not accept, f"refused a plain JSON object: {raw[:300]!r}"
            count("refused")
            return
        assert accept, f"accepted what must be refused: {raw[:300]!r}"
        assert doc.data == value, "the strict reader changed the data"
        try:
            _runtime_quietly(doc.data, doc.text)
            count("valid")
        except ConfigError:
            count("invalid")

    check_json()
    report("fuzz.json_values", inputs=count.n, **count.by)


def test_deep_nesting_never_recursion_error(tmp_path: Path) -> None:
    cfg = init_repo(tmp_path / "repo")
    cases = [b"[" * 10_000, b"{" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
             b'{"dataset_name": "x", "exclude_patterns": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
             b'{"x": "' + b"[" * 100_000 + b'"}']
    for raw in cases:
        cfg.write_bytes(raw)
        if raw.startswith(b'{"x"'):  # brackets inside a string are not nesting: it parses
            assert Document.parse(raw, "").data["x"].startswith("[[[")
        else:
            with pytest.raises(ReadError):
                Document.parse(raw, "")
        with pytest.raises(ConfigError):
            ConfigManager(cfg).load_config()
        with pytest.raises(ConfigError):
            effective_config(cfg.parent.parent, environ={})
        assert ConfigManager(cfg).validate_config_file()
        for args in (["validate"], ["migrate", "--check"], ["show"], ["set", "model", "claude-3-opus-20240229"]):
            code, _, err = run_cli(args, cfg.parent.parent)
            assert code in (0, 1) and "Traceback" not in err, (args, code, err[:300])
            assert code == 1 or args == ["show"], (args, code)  # `show` shows file values; the rest refuse
        assert cfg.read_bytes() == raw
    report("fuzz.deep_nesting_files", inputs=len(cases))


def _nested(kind: str, depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


@pytest.mark.parametrize("where", ["exclude_patterns", "unknown_key", "processing"])
def test_deep_python_structures_through_the_api(tmp_path: Path, where: str) -> None:
    """The README ("Strict reading"): "No input ever ends in a traceback or RecursionError"; ("Python API"): "every
    invalid input raises ValueError". A caller's dict nested 10 000 deep (the file
    reader stops at 32, callers of the API do not) must be refused, not crash."""
    cfg = init_repo(tmp_path / "repo")
    original = cfg.read_bytes()
    deep = _nested("list", 10_000) if where != "processing" else _nested("dict", 10_000)
    config: Dict[str, Any] = {"dataset_name": "x"}
    config[{"exclude_patterns": "exclude_patterns", "unknown_key": "extra", "processing": "processing"}[where]] = deep
    manager = ConfigManager(cfg)
    calls: Dict[str, Callable[[], Any]] = {
        "validate_config": lambda: manager.validate_config(config),
        "save_config": lambda: manager.save_config(config),
        "migrate_config": lambda: ConfigMigrator.migrate_config(config),
        "detect_version+migrate": lambda: migrate(config),
        "update": lambda: manager.update(lambda d: d.__setitem__("extra", deep)),
    }
    crashed = []
    for name, call in calls.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call()
        except ValueError:
            pass
        except RecursionError:
            crashed.append(name)
    assert cfg.read_bytes() == original or read_valid(cfg)
    assert not crashed, f"RecursionError from: {crashed}"


# -- 2. bytes through files, the API and the CLI ------------------------------------------------
def test_arbitrary_files_through_api_and_cli(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    count = Count()

    @fuzz_settings(120)
    @given(ANY_BYTES)
    @example(b'{"dataset_name": "ok", "processing": {"mode": "auto"}}')
    @example(b'{"datasetName": "legacy", "version": "1.1.0"}')
    def check_file(raw: bytes) -> None:
        cfg.write_bytes(raw)
        manager = ConfigManager(cfg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                manager.load_config()
                outcome = "loads"
            except ConfigError:
                outcome = "refused"
            try:
                manager.load_raw_config()
            except ConfigError:
                pass
            problems = manager.validate_config_file()
            assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
            try:
                effective_config(root, environ={})
            except ConfigError:
                pass
        for args in (["validate"], ["migrate", "--check"], ["show"], ["show", "--effective", "--origin"],
                     ["show", "--json", "--origin"]):
            code, _, err = run_cli(args, root)
            assert code in (0, 1) and "Traceback" not in err, (args, code, err)
            assert cfg.read_bytes() == raw, f"{args} changed the file"
        code, _, err = run_cli(["set", "processing.batch_size", "7"], root)
        assert code in (0, 1), (code, err)
        if code == 0:
            assert read_valid(cfg)["processing"]["batch_size"] == 7
        else:
            assert cfg.read_bytes() == raw
        cfg.write_bytes(raw)
        code, _, err = run_cli(["migrate"], root)
        assert code in (0, 1), (code, err)
        if code == 1:
            assert cfg.read_bytes() == raw, "a refused migration wrote the file"
        elif cfg.read_bytes() != raw:
            assert run_cli(["validate"], root)[0] == 0, "migrate wrote a file that does not validate"
        count(outcome)

    check_file()
    report("fuzz.files_api_cli", inputs=count.n, **count.by)


# -- 3. config-shaped values --------------------------------------------------------------
PROC_VALUES = st.one_of(
    st.sampled_from(["auto", "manual", "AUTO", "", " auto"]), st.booleans(), st.integers(-5, 5000),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.none(), st.text(max_size=6), JSON,
)
# Mostly valid values (so that the deeper code runs), sometimes anything.
VALID_PROC = {
    "mode": st.sampled_from(["auto", "manual"]),
    "fallback_to_sync": st.booleans(),
    "batch_size": st.integers(1, 1000),
    "delay_seconds": st.one_of(st.integers(0, 604800), st.floats(0, 604800)),
    "max_retries": st.integers(0, 100),
    "worker_check_interval": st.one_of(st.integers(1, 3600), st.floats(0.001, 3600)),
    "queue_timeout": st.one_of(st.integers(0, 3600), st.floats(0, 3600)),
}
PROCESSING = st.one_of(
    st.fixed_dictionaries({}, optional={k: st.one_of(v, v, v, PROC_VALUES) for k, v in VALID_PROC.items()}),
    st.fixed_dictionaries({}, optional={k: st.one_of(v, v, v, PROC_VALUES) for k, v in VALID_PROC.items()}),
    st.dictionaries(st.sampled_from(list(VALID_PROC) + ["Mode", "batchSize", "extra"]), PROC_VALUES, max_size=7),
    JSON,
)
MODELS = ["claude-3-5-sonnet-20240620", "claude-3-opus-20240229", "gpt-4", "bad model", "x" * 101, ""]
VALID_NAME = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)
NAMES = st.one_of(VALID_NAME, VALID_NAME, VALID_NAME,
                  st.sampled_from(["project", "proj_feature", "a.b-c", "", " ", "x" * 101, "bad/name"]),
                  st.text(max_size=12), st.integers(), st.none(), st.booleans())
VALID_PATTERNS = st.lists(st.sampled_from(["*.js", "dist/*", "ok/**", "[!a]b", "node_modules/*", "a?c", "*.py[co]"]),
                          max_size=5)
PATTERNS = st.one_of(
    VALID_PATTERNS, VALID_PATTERNS,
    st.lists(st.one_of(st.sampled_from(["*.js", "dist/*", "../x", "/abs", "C:x", "[a", "a]", "ok/**", "", "a\x00b",
                                        "x" * 257, "[!a]b", "a/../b"]), st.text(max_size=8)), max_size=5),
    JSON,
)
BOOLISH = st.one_of(st.booleans(), st.booleans(), st.integers(0, 1), st.none(), st.text(max_size=3))
WORKTREE = st.one_of(
    st.fixed_dictionaries({}, optional={
        "isWorktree": BOOLISH, "is_worktree": BOOLISH,
        "branch": st.one_of(st.text(max_size=8), st.text(max_size=8), st.integers()),
        "mainDatasetName": NAMES, "main_dataset_name": NAMES, "datasetNote": st.text(max_size=10)}),
    st.fixed_dictionaries({}, optional={"other": JSON, "branch": st.text(max_size=3)}),
    JSON,
)


@st.composite
def shuffled(draw: Any, base: Any) -> Dict[str, Any]:
    data = draw(base)
    keys = draw(st.permutations(list(data)))
    return {k: data[k] for k in keys}


LEGACY = shuffled(st.fixed_dictionaries({}, optional={
    "datasetName": NAMES, "mainDatasetName": NAMES, "dataset_name": NAMES,
    "excludePatterns": PATTERNS, "exclude_patterns": PATTERNS,
    "createdAt": st.text(max_size=20), "created_at": st.one_of(st.text(max_size=20), st.integers()),
    "version": st.one_of(st.sampled_from(["1.0.0", "1.1.0", "2"]), st.text(max_size=5), st.integers(0, 3)),
    "auto_process": BOOLISH,
    "processing": PROCESSING,
    "worktreeInfo": WORKTREE, "worktree": WORKTREE,
    "schema_version": st.one_of(st.integers(-1, 4), st.booleans(), st.text(max_size=2), st.none(), st.floats(0, 3)),
    "model": st.one_of(st.sampled_from(MODELS), st.text(max_size=10)),
    "$schema": st.one_of(st.text(max_size=10), st.integers()),
    "unknownKey": JSON, "dataset_nam": st.text(max_size=5),
}))
# Shapes Code Query really wrote, with random values: few keys, so most of them validate.
REALISTIC = st.one_of(
    shuffled(st.fixed_dictionaries({"datasetName": NAMES}, optional={
        "mainDatasetName": NAMES, "excludePatterns": PATTERNS, "createdAt": st.text(max_size=20),
        "version": st.sampled_from(["1.0.0", "1.1.0"]), "worktreeInfo": WORKTREE})),
    shuffled(st.fixed_dictionaries({"dataset_name": NAMES, "auto_process": BOOLISH}, optional={
        "model": st.sampled_from(MODELS), "exclude_patterns": PATTERNS, "processing": PROCESSING})),
    shuffled(st.fixed_dictionaries({"dataset_name": NAMES, "processing": PROCESSING}, optional={
        "schema_version": st.sampled_from([0, 1, 2]), "model": st.sampled_from(MODELS), "worktree": WORKTREE,
        "exclude_patterns": PATTERNS, "$schema": st.text(max_size=10)})),
)
CONFIGS = st.one_of(LEGACY, REALISTIC, REALISTIC)


def test_migration_is_pure_idempotent_and_validates_or_refuses() -> None:
    count = Count()

    @fuzz_settings(800)
    @given(CONFIGS)
    @example({"datasetName": "a", "mainDatasetName": "b", "dataset_name": "c"})
    @example({"dataset_name": "x", "auto_process": True, "processing": {"mode": "manual"}})
    @example({"worktreeInfo": {"isWorktree": True, "is_worktree": False, "datasetNote": "n"}, "datasetName": "p"})
    @example({"dataset_name": "x"})
    @example({"schema_version": 3, "dataset_name": "x"})
    def check_migration(config: Dict[str, Any]) -> None:
        snapshot = copy.deepcopy(config)
        order = json.dumps(config)
        try:
            result = migrate(config)
        except ConfigError:
            assert config == snapshot and json.dumps(config) == order, "a refused migration changed its input"
            with pytest.raises(ConfigError):
                _runtime_quietly(config)
            count("refused")
            return
        assert config == snapshot and json.dumps(config) == order, "migration changed its input"
        again = migrate(result.config)
        assert again.changes == [], f"not idempotent: {again.changes}"
        assert json.dumps(again.config) == json.dumps(result.config), "not idempotent"
        if result.changes:
            assert result.config.get("schema_version") == 2
        for key in config:
            if key not in result.config:
                assert any(key in change for change in result.changes), f"{key} dropped without a report: {result.changes}"
        assert ConfigMigrator.migrate_config(config) == result.config
        for step in (ConfigMigrator._migrate_v0_to_v1, ConfigMigrator._migrate_v1_to_v2):
            try:
                step(config)
            except ConfigError:
                pass
            assert config == snapshot, f"{step.__name__} changed its input"
        errors, _ = check(result.config)
        if errors:
            with pytest.raises(ConfigError):
                _runtime_quietly(config)
            count("refused_by_schema")
        else:
            merged = _runtime_quietly(config)
            assert set(merged["processing"]) >= {"mode", "batch_size", "delay_seconds", "max_retries"}
            assert config == snapshot
            count("valid")

    check_migration()
    report("fuzz.migration_properties", inputs=count.n, **count.by)


def test_legacy_files_migrate_to_valid_files_or_are_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    count = Count()

    @fuzz_settings(150)
    @given(CONFIGS, st.sampled_from([2, 4, "\t"]), st.booleans())
    def check_files(config: Dict[str, Any], indent: Any, crlf: bool) -> None:
        text = json.dumps(config, indent=indent)
        raw = (text.replace("\n", "\r\n") if crlf else text).encode() + (b"\r\n" if crlf else b"\n")
        cfg.write_bytes(raw)
        code, _, err = run_cli(["migrate", "--check"], root)
        assert code in (0, 1) and cfg.read_bytes() == raw, (code, err)
        code, _, err = run_cli(["migrate"], root)
        assert code in (0, 1), (code, err)
        after = cfg.read_bytes()
        if code == 1 or after == raw:
            assert after == raw, "a refused migration wrote the file"
            count("left_alone")
            return
        assert run_cli(["validate"], root)[0] == 0, f"migrated file does not validate:\n{after.decode()}"
        assert run_cli(["migrate", "--check"], root)[0] == 0
        assert run_cli(["migrate"], root)[0] == 0 and cfg.read_bytes() == after, "a second migrate changed the file"
        assert (b"\r\n" in after) == crlf, "line endings not kept"
        # the API's migrate_file agrees: nothing left to do
        assert ConfigManager(cfg).migrate_file().changes == []
        count("migrated")

    check_files()
    report("fuzz.legacy_files", inputs=count.n, **count.by)


def test_config_values_through_save_config(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    count = Count()

    @fuzz_settings(200)
    @given(CONFIGS)
    def check_save(config: Dict[str, Any]) -> None:
        before = cfg.read_bytes()
        snapshot = copy.deepcopy(config)
        manager = ConfigManager(cfg)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                manager.save_config(config)
        except ConfigError:
            assert cfg.read_bytes() == before, "a refused save wrote the file"
            count("refused")
            return
        except ValueError as exc:  # allowed by the README's "Python API", but say which
            assert cfg.read_bytes() == before
            count(type(exc).__name__)
            return
        assert config == snapshot, "save_config changed its argument"
        read_valid(cfg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            manager.load_config()
        count("saved")

    check_save()
    report("fuzz.save_config", inputs=count.n, **count.by)


def test_migrate_from_version_out_of_range() -> None:
    """ConfigMigrator.migrate_config(config, from_version) with a version it does not
    know must be refused with a ConfigError (a ValueError), not a KeyError."""
    bad: List[str] = []
    for version in (-1, -5, 3, 99):
        try:
            ConfigMigrator.migrate_config({"dataset_name": "x"}, from_version=version)
            bad.append(f"{version}: accepted")
        except ValueError:
            pass
        except Exception as exc:
            bad.append(f"{version}: {type(exc).__name__}: {exc}")
    assert not bad, bad


# -- 4. environment -------------------------------------------------------------------
ENV_VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "0", "1", "-1", "+5", " 7 ", "1e3", "1e400", "nan", "inf", "-inf", "0x10", "1_000",
                     "\u0661\u0662", "true", "False", "YES", "off", "on ", "auto", "manual", "AUTO", "9" * 25, "3600.0000001",
                     "1.5", ".5", "5.", "-0", "\t1\n", "604800", "604801", "1000", "1001", "100", "101", "claude-3-opus-20240229",
                     "a" * 101, "\udcff", "\ud800"]),
    st.integers(-(10**25), 10**25).map(str),
    st.floats().map(repr),
)
ENVIRON = st.dictionaries(st.sampled_from(sorted(env.variables()) + ["CODEQUERY_UNKNOWN", "CODEQUERY_"]), ENV_VALUES,
                          max_size=5)


def test_arbitrary_environment_values(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    raw = cfg.read_bytes()
    mtime = cfg.stat().st_mtime_ns
    manager = ConfigManager(cfg)
    count = Count()

    @fuzz_settings(1000)
    @given(ENVIRON)
    @example({"CODEQUERY_BATCH_SIZE": "0"})
    @example({"CODEQUERY_BATCH_SIZE": "5", "CODEQUERY_PROCESSING_BATCH_SIZE": "6"})
    @example({"CODEQUERY_WORKTREE_IS_WORKTREE": "yes"})
    def check_env(environ: Dict[str, str]) -> None:
        outcomes = set()
        for load in (lambda: load_config_with_env_override(manager, environ),
                     lambda: effective_config(root, environ=environ),
                     lambda: apply_env(manager.load_config(), environ)):
            try:
                result = load()
            except EnvOverrideError as exc:
                named = [name for name in environ if name in str(exc)]
                assert named, f"the error names no variable: {exc}"
                outcomes.add("refused")
                continue
            errors, _ = check(result)
            assert not errors, f"an override produced an invalid effective config: {errors}"
            for name, value in environ.items():
                path = env.variables().get(name)
                if path and value.strip() and path != "processing.batch_size":
                    node: Any = result
                    for part in path.split("."):
                        node = node[part]
                    assert node is not None
            outcomes.add("applied")
        assert len(outcomes) == 1, f"the three entry points disagree: {outcomes}"
        assert cfg.read_bytes() == raw and cfg.stat().st_mtime_ns == mtime, "an override was written to disk"
        count(outcomes.pop())

    check_env()
    report("fuzz.environment_api", inputs=count.n, **count.by)


def test_arbitrary_environment_through_the_cli(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    raw = cfg.read_bytes()
    count = Count()

    def settable(value: str) -> bool:
        try:
            value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value

    @fuzz_settings(200)
    @given(ENVIRON.map(lambda e: {k: v for k, v in e.items() if settable(v)}))
    def check_cli_env(environ: Dict[str, str]) -> None:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in environ.items():
                mp.setenv(name, value)
            code, _out, err = run_cli(["show", "--effective", "--origin"], root)
            code2, _, err2 = run_cli(["set", "processing.max_retries", "3"], root)
        assert code in (0, 1) and "Traceback" not in err, (code, err)
        if code == 1:
            assert any(name in err for name in environ), err
        assert code2 == 0, f"an environment override must not stop `set`: {err2}"
        expected = json.loads(raw)
        expected["processing"]["max_retries"] = 3
        assert json.loads(cfg.read_bytes()) == expected, "an override was written to disk"
        count("refused" if code else "shown")

    check_cli_env()
    report("fuzz.environment_cli", inputs=count.n, **count.by)


def test_apply_env_leaves_callers_config_alone() -> None:
    """apply_env is documented as applying overrides "to a private copy" and the README
    ("Config reference") says the result never shares a mutable object with the caller's input."""
    base = _runtime_quietly(full_config())
    snapshot = copy.deepcopy(base)
    result = apply_env(base, {"CODEQUERY_PROCESSING_BATCH_SIZE": "9"})
    assert result["processing"]["batch_size"] == 9
    assert base == snapshot, "apply_env changed the caller's config"
    with pytest.raises(EnvOverrideError):
        apply_env(base, {"CODEQUERY_PROCESSING_BATCH_SIZE": "0"})
    assert base == snapshot, "a refused override was left in the caller's config"


# -- 5. CLI arguments ---------------------------------------------------------------------
KEYS = st.one_of(st.sampled_from(sorted(env.scalar_fields()) + ["exclude_patterns", "processing", "worktree", "",
                                                                  ".", "a..b", "processing.mode.x", "model.x"]),
                 st.text(max_size=20))
WEIRD = st.sampled_from(["\udcff", "\ud800", "a\udc80b", "\x00", "\n", "\u202e", "\x1b[31m"])
VALUES = st.one_of(st.text(max_size=30), st.lists(st.one_of(st.text(max_size=5), WEIRD), max_size=4).map("".join),
                   st.sampled_from(["1", "0", "true", "[]", '["dist/*"]', '["a", 1]', "{}", "null", "1e400", "auto"]))


def test_cli_set_with_arbitrary_arguments(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    count = Count()

    @fuzz_settings(300)
    @given(KEYS, VALUES)
    @example("worktree.branch", "\udcff")  # what `set worktree.branch $'\xff'` passes in
    @example("created_at", "caf\udce9")
    def check_set(key: str, value: str) -> None:
        before = cfg.read_bytes()
        try:
            code, _out, _err = run_cli(["set", key, value], root)
        except Exception as exc:
            raise AssertionError(f"set {key!r} {value!r} raised {type(exc).__name__}: {exc}") from None
        assert code in (0, 1, 2), code
        if code == 0:
            assert _get_path(read_valid(cfg), key) is not None
        else:
            assert cfg.read_bytes() == before, "a refused set changed the file"
        cfg.write_bytes(before)
        count({0: "set", 1: "refused", 2: "usage"}[code])

    check_set()
    report("fuzz.cli_set_arguments", inputs=count.n, **count.by)


def _get_path(data: Dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def test_cli_set_undecodable_argument_in_a_real_process(tmp_path: Path) -> None:
    """A byte that is not UTF-8 on the command line (a Latin-1 terminal) reaches
    Python as a lone surrogate; ``set`` must refuse it with exit 1, no traceback."""
    root = tmp_path / "repo"
    cfg = init_repo(root)
    before = cfg.read_bytes()
    for key in (b"worktree.branch", b"created_at", b"dataset_name", b"model"):
        proc = subprocess.run([PY.encode(), b"-m", b"codequery_gitcfg", b"set", key, b"caf\xe9"], cwd=root,
                              capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
                                                        "LC_ALL": "C.UTF-8"}, timeout=60)
        stderr = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 1 and "Traceback" not in stderr, f"set {key.decode()} caf\\xe9: exit {proc.returncode}\n{stderr}"
        assert cfg.read_bytes() == before


# -- 6. path attacks ----------------------------------------------------------------------
SECRET = "OUTSIDE-SECRET"


class Attack:
    def __init__(self, tmp_path: Path) -> None:
        self.base = tmp_path
        self.root = tmp_path / "repo"
        self.cfg = init_repo(self.root)
        self.outside = tmp_path / "outside"
        (self.outside / "a" / "b").mkdir(parents=True)
        secret = json.dumps({"dataset_name": SECRET, "processing": {"mode": "auto"}}, indent=2) + "\n"
        for path in (self.outside / "config.json", self.outside / "a" / "config.json", self.outside / "a" / "b" / "config.json"):
            path.write_text(secret)
        r = self.root
        (r / "link-out").symlink_to(self.outside)
        (r / "link-git").symlink_to(r / ".git")
        (r / "link-file-out").symlink_to(self.outside / "config.json")
        (r / "link-file-git").symlink_to(r / ".git" / "config")
        (r / "link-dangling-out").symlink_to(self.outside / "new.json")
        (r / "deep").mkdir()
        (r / "deep" / "link-up").symlink_to(self.outside / "a" / "b")
        (r / ".Git").symlink_to(r / ".git")
        (r / ".GIT").mkdir()
        (r / ".GIT" / "config.json").write_text(self.cfg.read_text())
        (r / "loop").symlink_to(r / "loop")
        self.before_outside = self.snapshot(self.outside)
        self.before_git = self.snapshot(r / ".git", skip="codequery-gitcfg")

    @staticmethod
    def snapshot(folder: Path, skip: str = "") -> Dict[str, Tuple[bytes, int]]:
        out = {}
        for dirpath, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != skip]
            for name in files + dirs:
                p = Path(dirpath) / name
                st_ = p.lstat()
                out[str(p)] = (p.read_bytes() if p.is_file() and not p.is_symlink() else b"", st_.st_mtime_ns)
        return out

    def untouched(self) -> None:
        assert self.snapshot(self.outside) == self.before_outside, "something outside the worktree was written"
        assert self.snapshot(self.root / ".git", skip="codequery-gitcfg") == self.before_git, "the git directory was written"
        assert not (self.outside / "new.json").exists()


@pytest.fixture
def attack(tmp_path: Path) -> Attack:
    return Attack(tmp_path)


# (name, path relative to the worktree root or absolute via {outside}/{root})
ATTACKS = [
    ("file symlink out of the worktree", "link-file-out"),
    ("file symlink into .git", "link-file-git"),
    ("folder symlink out, then a file", "link-out/config.json"),
    ("folder symlink into .git", "link-git/config"),
    ("dangling symlink out (would create a file)", "link-dangling-out"),
    ("'..' through a symlinked folder", "deep/link-up/../config.json"),
    ("'..' out of the worktree", "../outside/config.json"),
    ("'..' deep out of the worktree", "deep/../../outside/a/config.json"),
    ("absolute path outside", "{outside}/config.json"),
    ("absolute path into .git", "{root}/.git/config"),
    ("the git directory itself", ".git/config"),
    ("a new file under .git", ".git/codequery.json"),
    ("case trick .Git -> .git", ".Git/config"),
    ("case trick .GIT folder", ".GIT/config.json"),
    ("case trick with '..'", ".GIT/../.git/HEAD"),
    # os.path.realpath stops at a symlink loop and normalises the rest lexically,
    # leaving "link-out" unresolved: the string looks inside, the kernel goes outside.
    ("symlink loop hides a later symlink", "loop/../link-out/config.json"),
    ("symlink loop hides a later symlink (new file)", "loop/../link-out/a/new.json"),
]


def _attack_path(attack: Attack, template: str) -> str:
    return template.format(outside=attack.outside, root=attack.root)


def _api_attempts(path: str) -> Dict[str, Callable[[], Any]]:
    def m() -> ConfigManager:
        return ConfigManager(path)

    return {
        "load_config": lambda: m().load_config(),
        "load_raw_config": lambda: m().load_raw_config(),
        "save_config": lambda: m().save_config({"dataset_name": "pwned"}),
        "update": lambda: m().update(lambda d: d.__setitem__("dataset_name", "pwned")),
        "update_processing_mode": lambda: m().update_processing_mode("auto"),
        "create_default_config": lambda: m().create_default_config(),
        "migrate_file": lambda: m().migrate_file(),
    }


CLI_ATTEMPTS = [["validate", "{p}"], ["migrate", "{p}"], ["migrate", "--check", "{p}"], ["show", "--file", "{p}"],
                ["show", "--effective", "--file", "{p}"], ["set", "--file", "{p}", "dataset_name", "pwned"],
                ["unset", "--file", "{p}", "model"], ["init", "--file", "{p}"]]
READ_ONLY_ATTEMPTS = [["validate", "{p}"], ["migrate", "--check", "{p}"], ["show", "--file", "{p}"],
                      ["show", "--effective", "--file", "{p}"]]


@pytest.mark.parametrize("name,template", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_path_attack_refused(attack: Attack, name: str, template: str) -> None:
    path = _attack_path(attack, template)
    absolute = path if os.path.isabs(path) else str(attack.root / path)
    lexically_inside = os.path.abspath(absolute).startswith(str(attack.root) + os.sep)
    refused = 0
    # The API: a path whose worktree is this one (lexically inside it) is held to it.
    if lexically_inside:
        for call in _api_attempts(absolute).values():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
                    call()
            refused += 1
        problems = ConfigManager(absolute).validate_config_file()
        assert problems and "outside the worktree" in problems[0], problems
        if os.path.isfile(absolute):
            with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
                effective_config(absolute, environ={})
            refused += 1
    # effective_config never returns what lies outside, whatever it is given.
    try:
        result = effective_config(absolute, environ={})
        assert result["dataset_name"] != SECRET
    except ConfigError as exc:
        assert SECRET not in str(exc)
    # The CLI, run in the worktree: every command refuses, naming the problem, except a
    # read-only one given a file named outside the worktree, which it may read (as
    # check-jsonschema does; issue 14). Nothing is ever written there.
    for args in CLI_ATTEMPTS:
        argv = [a.format(p=path) for a in args]
        code, out, err = run_cli(argv, attack.root)
        if args in READ_ONLY_ATTEMPTS and not lexically_inside:
            assert code in (0, 1), (argv, code, out, err)
            assert "Traceback" not in err, (argv, err)
            continue
        assert code == 1, (argv, code, out, err)
        assert "outside the worktree" in err and "Traceback" not in err, (argv, err)
        assert SECRET not in out + err, "content from outside the worktree was shown"
        refused += 1
    attack.untouched()
    report(f"fuzz.path_attack.{name}", refused=refused)


SEGMENTS = ["..", ".", ".git", ".GIT", ".Git", "link-out", "link-git", "link-file-out", "link-file-git",
            "link-dangling-out", "deep", "link-up", ".code-query", "config.json", "HEAD", "config", "a", "b", "loop",
            "C:", "x\\..\\..", "new.json"]


def test_composed_paths_never_escape(attack: Attack) -> None:
    count = Count()
    real_root = os.path.realpath(attack.root)
    git_dir = os.path.realpath(attack.root / ".git")

    def escapes(path: str) -> bool:
        real = os.path.realpath(path)
        probe = real
        while probe != os.path.dirname(probe):
            if os.path.islink(probe):
                return True  # realpath gave up (a symlink loop): where it leads is unknown
            probe = os.path.dirname(probe)
        inside = real == real_root or real.startswith(real_root + os.sep)
        in_git = real == git_dir or real.startswith(git_dir + os.sep)
        parts = os.path.relpath(real, real_root).split(os.sep)
        return not inside or in_git or any(p.lower() == ".git" for p in parts)

    @fuzz_settings(150)
    @given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6), st.booleans())
    def check_path(segments: List[str], absolute: bool) -> None:
        rel = os.path.join(*segments)
        path = str(attack.root / rel) if absolute else rel
        full = str(attack.root / rel)
        bad = escapes(full)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if os.path.abspath(full).startswith(str(attack.root) + os.sep):
                for op, call in _api_attempts(full).items():
                    try:
                        call()
                        assert not bad, f"{op} accepted {rel!r}, which resolves outside the worktree"
                    except OutsideWorktreeError:
                        pass
                    except (ConfigError, OSError) as exc:
                        assert not bad, f"{op} on {rel!r}: {type(exc).__name__} instead of OutsideWorktreeError: {exc}"
                        assert SECRET not in str(exc)
            named_outside = not os.path.abspath(full).startswith(str(attack.root) + os.sep)
            for args in (["validate", path], ["set", "--file", path, "model", "claude-3-opus-20240229"],
                         ["show", "--file", path]):
                code, out, err = run_cli(args, attack.root)
                assert code in (0, 1) and "Traceback" not in err, (args, code, err)
                if named_outside and args[0] != "set":
                    continue  # a read-only command may read a file named outside (issue 14)
                assert SECRET not in out + err
                if bad:
                    assert code == 1 and "outside the worktree" in err, (args, err)
        attack.untouched()
        count("escapes" if bad else "inside")

    check_path()
    report("fuzz.composed_paths", inputs=count.n, **count.by)
