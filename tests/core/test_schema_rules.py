"""Every field rule of the README's "Config reference", each with a bad input and the exact failure."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Dict

import pytest
from codequery_gitcfg import ConfigError, ConfigManager, UnknownKeyWarning, UnknownModelWarning
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.schema import schema

from support.rules import CASES, base


def problems(config: Dict[str, Any]) -> Dict[str, str]:
    with pytest.raises(ConfigError) as info:
        ConfigManager("unused.json").validate_config(config)
    assert isinstance(info.value, ValueError)
    return {p.path: p.message for p in info.value.problems}


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
    assert err == f"{path}:4:19: processing.batch_size: batch_size must be a positive integer (1 to 1000); got 0"


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


