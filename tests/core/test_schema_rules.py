"""Every field rule of SPEC 2.1, each with a bad input and the exact failure."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Dict

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, UnknownKeyWarning, UnknownModelWarning
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.schema import schema


def problems(config: Dict[str, Any]) -> Dict[str, str]:
    with pytest.raises(ConfigError) as info:
        ConfigManager("unused.json").validate_config(config)
    assert isinstance(info.value, ValueError)
    return {p.path: p.message for p in info.value.problems}


def base(**processing: Any) -> Dict[str, Any]:
    return {"dataset_name": "ok", "processing": {"mode": "manual", **processing}}


CASES = [
    # (config, dotted path, substrings the message must contain)
    ({"model": "x"}, "dataset_name", ["dataset_name is required"]),
    ({"dataset_name": 5}, "dataset_name", ["dataset_name must be a string"]),
    ({"dataset_name": None}, "dataset_name", ["dataset_name must be a string"]),
    ({"dataset_name": ""}, "dataset_name", ["dataset_name cannot be empty"]),
    ({"dataset_name": "   "}, "dataset_name", ["dataset_name cannot be empty"]),
    ({"dataset_name": "a b"}, "dataset_name", ["dataset_name", "letters, digits"]),
    ({"dataset_name": "../x"}, "dataset_name", ["dataset_name"]),
    ({"dataset_name": "a" * 101}, "dataset_name", ["dataset_name", "100 characters"]),
    ({"dataset_name": "ok", "model": "bad model!"}, "model",
     ["Invalid model name", "alphanumeric characters, dots, dashes, and underscores"]),
    ({"dataset_name": "ok", "model": 3}, "model", ["Invalid model name"]),
    ({"dataset_name": "ok", "model": "m" * 101}, "model", ["Model name too long", "100 characters or less"]),
    (base(mode="fast"), "processing.mode", ["Invalid processing mode"]),
    (base(mode=None), "processing.mode", ["Invalid processing mode"]),
    (base(fallback_to_sync=1), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(fallback_to_sync=0), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(fallback_to_sync=None), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(batch_size=True), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(batch_size=0), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(batch_size=1001), "processing.batch_size", ["batch_size must be a positive integer", "1000"]),
    (base(batch_size=2.5), "processing.batch_size", ["batch_size must be a positive integer"]),
    # JSON Schema alone calls 2.0 an integer; Python callers need an int (range(), slicing).
    (base(batch_size=2.0), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(max_retries=3.0), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    # NaN passes every bound in JSON Schema; a Python caller can still hand one in.
    (base(delay_seconds=float("nan")), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(queue_timeout=float("inf")), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    (base(batch_size="5"), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(delay_seconds=-1), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(delay_seconds=604801), "processing.delay_seconds", ["delay_seconds must be non-negative", "604800"]),
    (base(delay_seconds=False), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(max_retries=-1), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(max_retries=101), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(max_retries=1.5), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(worker_check_interval=0), "processing.worker_check_interval",
     ["worker_check_interval must be a positive number"]),
    (base(worker_check_interval=3601), "processing.worker_check_interval",
     ["worker_check_interval must be a positive number"]),
    (base(queue_timeout=-0.5), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    (base(queue_timeout=3601), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    ({"dataset_name": "ok", "processing": []}, "processing", ["processing must be an object"]),
    ({"dataset_name": "ok", "exclude_patterns": "*.js"}, "exclude_patterns", ["exclude_patterns must be a list"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a", 3]}, "exclude_patterns[1]",
     ["All items in exclude_patterns must be strings"]),
    ({"dataset_name": "ok", "exclude_patterns": ["x"] * 1001}, "exclude_patterns", ["exclude_patterns", "1000"]),
    ({"dataset_name": "ok", "exclude_patterns": [""]}, "exclude_patterns[0]", ["''", "empty"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a" * 257]}, "exclude_patterns[0]", ["256"]),
    ({"dataset_name": "ok", "exclude_patterns": ["/etc/*"]}, "exclude_patterns[0]", ["'/etc/*'", "relative"]),
    ({"dataset_name": "ok", "exclude_patterns": ["C:\\x"]}, "exclude_patterns[0]", ["drive letter"]),
    ({"dataset_name": "ok", "exclude_patterns": ["src/../x"]}, "exclude_patterns[0]", ["'src/../x'", "'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": [".."]}, "exclude_patterns[0]", ["'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\\..\\b"]}, "exclude_patterns[0]", ["'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\x00b"]}, "exclude_patterns[0]", ["NUL or control"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\tb"]}, "exclude_patterns[0]", ["NUL or control"]),
    ({"dataset_name": "ok", "exclude_patterns": ["[abc"]}, "exclude_patterns[0]", ["'[abc'", "unbalanced brackets"]),
    ({"dataset_name": "ok", "exclude_patterns": ["abc]"]}, "exclude_patterns[0]", ["unbalanced brackets"]),
    ({"dataset_name": "ok", "created_at": 5}, "created_at", ["created_at"]),
    ({"dataset_name": "ok", "worktree": {"is_worktree": "yes"}}, "worktree.is_worktree", ["boolean"]),
    ({"dataset_name": "ok", "schema_version": "2"}, "schema_version", ["schema_version"]),
]


@pytest.mark.parametrize("config,path,needles", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_rule(config: Dict[str, Any], path: str, needles: list[str]) -> None:
    found = problems(config)
    assert path in found, found
    for needle in needles:
        assert needle in found[path]


@pytest.mark.parametrize("pattern", ["*.js", "src/**/gen_*.py", "[abc]*.txt", "[!x].md", "a..b", "..x/y", "dir/"])
def test_good_patterns_pass(pattern: str) -> None:
    cfg = ConfigManager("unused.json").validate_config({"dataset_name": "ok", "exclude_patterns": [pattern]})
    assert cfg["exclude_patterns"] == [pattern]


def test_bounds_are_inclusive() -> None:
    cfg = base(batch_size=1000, delay_seconds=604800, max_retries=100, worker_check_interval=3600,
               queue_timeout=0, fallback_to_sync=False)
    cfg["dataset_name"] = "a" * 100
    cfg["model"] = "m" * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        assert ConfigManager("unused.json").validate_config(cfg)["processing"]["batch_size"] == 1000


def test_unknown_model_is_a_warning_not_an_error() -> None:
    with pytest.warns(UnknownModelWarning, match="my-model"):
        cfg = ConfigManager("unused.json").validate_config({"dataset_name": "ok", "model": "my-model"})
    assert cfg["model"] == "my-model"


def test_unknown_key_is_a_warning_at_run_time_and_kept() -> None:
    with pytest.warns(UnknownKeyWarning, match="processing.bacth_size") as record:
        cfg = ConfigManager("unused.json").validate_config(base(bacth_size=3))
    assert "did you mean 'batch_size'" in str(record[0].message)
    assert cfg["processing"]["bacth_size"] == 3


def test_unknown_key_is_an_error_at_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.json"
    path.write_text('{\n  "dataset_name": "ok",\n  "modle": "x"\n}\n')
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:12: modle: unknown key 'modle'; did you mean 'model'?" in err


def test_validate_config_file_lists_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"dataset_name": "ok", "extra": 1}))
    found = ConfigManager(path).validate_config_file()
    assert len(found) == 1 and "extra" in found[0] and "unknown key" in found[0]


def test_every_message_names_its_dotted_path(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.json"
    path.write_text('{\n  "dataset_name": "ok",\n  "processing": {\n    "batch_size": 0\n  }\n}\n')
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"{path}:4:19: processing.batch_size: batch_size must be a positive integer (1 to 1000)"


def test_several_problems_are_all_reported() -> None:
    found = problems({"dataset_name": "", "model": "a b", "processing": {"batch_size": 0, "max_retries": -1}})
    assert set(found) == {"dataset_name", "model", "processing.batch_size", "processing.max_retries"}


def test_schema_is_valid_draft_07_and_every_subschema_has_a_message() -> None:
    from codequery_gitcfg.core.schema import MESSAGES
    from jsonschema import Draft7Validator

    Draft7Validator.check_schema(schema())
    used = set()

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            if any(k in node for k in ("type", "enum", "pattern", "minLength", "maxLength", "not")):
                assert pointer in MESSAGES, pointer
                used.add(pointer)
            for key, sub in node.items():
                if key in ("not", "default", "examples"):  # a "not" subschema's message is on its parent
                    continue
                walk(sub, f"{pointer}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{pointer}/{i}")

    walk(schema(), "")
    assert {key.partition("#")[0] for key in MESSAGES} == used  # no message left over


def test_valid_minimal_config_gets_defaults() -> None:
    cfg = ConfigManager("unused.json").validate_config({"dataset_name": "x"})
    assert cfg["processing"]["mode"] == "manual"
    assert cfg["processing"]["batch_size"] == 5
    assert cfg["model"] == "claude-3-5-sonnet-20240620"
    assert "node_modules/*" in cfg["exclude_patterns"] and len(cfg["exclude_patterns"]) == 12


