"""Environment overrides (README: "Config reference")."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict

import pytest
from codequery_gitcfg import ConfigManager, effective_config, load_config_with_env_override
from codequery_gitcfg.core.env import variables
from codequery_gitcfg.core.errors import EnvOverrideError

from support.repos import VALID


@pytest.fixture
def manager(repo: Path, write_config: Callable[..., Path]) -> ConfigManager:
    write_config(VALID)
    return ConfigManager(repo / ".code-query" / "config.json")


def test_every_scalar_field_has_a_variable() -> None:
    names = variables()
    for name, path in {
        "CODEQUERY_MODEL": "model",
        "CODEQUERY_PROCESSING_MODE": "processing.mode",
        "CODEQUERY_BATCH_SIZE": "processing.batch_size",
        "CODEQUERY_PROCESSING_BATCH_SIZE": "processing.batch_size",
        "CODEQUERY_PROCESSING_DELAY_SECONDS": "processing.delay_seconds",
        "CODEQUERY_PROCESSING_FALLBACK_TO_SYNC": "processing.fallback_to_sync",
        "CODEQUERY_PROCESSING_MAX_RETRIES": "processing.max_retries",
        "CODEQUERY_PROCESSING_WORKER_CHECK_INTERVAL": "processing.worker_check_interval",
        "CODEQUERY_PROCESSING_QUEUE_TIMEOUT": "processing.queue_timeout",
        "CODEQUERY_DATASET_NAME": "dataset_name",
    }.items():
        assert names[name] == path


@pytest.mark.parametrize("env,path,value", [
    ({"CODEQUERY_MODEL": "claude-3-haiku-20240307"}, "model", "claude-3-haiku-20240307"),
    ({"CODEQUERY_PROCESSING_MODE": "auto"}, "processing.mode", "auto"),
    ({"CODEQUERY_BATCH_SIZE": "12"}, "processing.batch_size", 12),
    ({"CODEQUERY_PROCESSING_BATCH_SIZE": " 12 "}, "processing.batch_size", 12),
    ({"CODEQUERY_BATCH_SIZE": "7", "CODEQUERY_PROCESSING_BATCH_SIZE": "7"}, "processing.batch_size", 7),
    ({"CODEQUERY_PROCESSING_DELAY_SECONDS": "2.5"}, "processing.delay_seconds", 2.5),
    ({"CODEQUERY_PROCESSING_DELAY_SECONDS": "0"}, "processing.delay_seconds", 0),
    ({"CODEQUERY_PROCESSING_MAX_RETRIES": "0"}, "processing.max_retries", 0),
    ({"CODEQUERY_BATCH_SIZE": ""}, "processing.batch_size", 5),  # empty is unset
])
def test_override(manager: ConfigManager, env: Dict[str, str], path: str, value: object) -> None:
    config = load_config_with_env_override(manager, environ=env)
    node: object = config
    for part in path.split("."):
        node = node[part]  # type: ignore[index]
    assert node == value and type(node) is type(value)


@pytest.mark.parametrize("raw,expected", [
    ("true", True), ("1", True), ("yes", True), ("on", True), ("TRUE", True), ("On", True),
    ("false", False), ("0", False), ("no", False), ("off", False), ("OFF", False),
])
def test_boolean_spellings(manager: ConfigManager, raw: str, expected: bool) -> None:
    config = load_config_with_env_override(manager, environ={"CODEQUERY_PROCESSING_FALLBACK_TO_SYNC": raw})
    assert config["processing"]["fallback_to_sync"] is expected


@pytest.mark.parametrize("env,message", [
    ({"CODEQUERY_BATCH_SIZE": "0"},
     "Invalid value for CODEQUERY_BATCH_SIZE: '0'. batch_size must be a positive integer"),
    ({"CODEQUERY_BATCH_SIZE": "5.0"},
     "Invalid value for CODEQUERY_BATCH_SIZE: '5.0'. batch_size must be a positive integer"),
    ({"CODEQUERY_BATCH_SIZE": "ten"},
     "Invalid value for CODEQUERY_BATCH_SIZE: 'ten'. batch_size must be a positive integer"),
    ({"CODEQUERY_BATCH_SIZE": "1_0"},
     "Invalid value for CODEQUERY_BATCH_SIZE: '1_0'. batch_size must be a positive integer"),
    ({"CODEQUERY_PROCESSING_BATCH_SIZE": "5000"},
     "Invalid value for CODEQUERY_PROCESSING_BATCH_SIZE: '5000'. batch_size must be a positive integer"),
    ({"CODEQUERY_PROCESSING_MODE": "fast"}, "Invalid value for CODEQUERY_PROCESSING_MODE: 'fast'. Invalid processing mode"),
    ({"CODEQUERY_MODEL": "bad model"}, "Invalid value for CODEQUERY_MODEL: 'bad model'. Invalid model name"),
    ({"CODEQUERY_PROCESSING_FALLBACK_TO_SYNC": "maybe"},
     "Invalid value for CODEQUERY_PROCESSING_FALLBACK_TO_SYNC: 'maybe'. fallback_to_sync must be a boolean"),
    ({"CODEQUERY_PROCESSING_DELAY_SECONDS": "-1"},
     "Invalid value for CODEQUERY_PROCESSING_DELAY_SECONDS: '-1'. delay_seconds must be non-negative"),
    ({"CODEQUERY_PROCESSING_DELAY_SECONDS": "nan"},
     "Invalid value for CODEQUERY_PROCESSING_DELAY_SECONDS: 'nan'. delay_seconds must be non-negative"),
    ({"CODEQUERY_PROCESSING_DELAY_SECONDS": "1e999"},
     "Invalid value for CODEQUERY_PROCESSING_DELAY_SECONDS: '1e999'. delay_seconds must be non-negative"),
    ({"CODEQUERY_PROCESSING_WORKER_CHECK_INTERVAL": "0"},
     "Invalid value for CODEQUERY_PROCESSING_WORKER_CHECK_INTERVAL: '0'. worker_check_interval must be a positive number"),
    ({"CODEQUERY_BATCH_SIZE": "3", "CODEQUERY_PROCESSING_BATCH_SIZE": "4"},
     "CODEQUERY_BATCH_SIZE='3' and CODEQUERY_PROCESSING_BATCH_SIZE='4' both set processing.batch_size"),
])
def test_bad_values(manager: ConfigManager, env: Dict[str, str], message: str) -> None:
    with pytest.raises(EnvOverrideError) as info:
        load_config_with_env_override(manager, environ=env)
    assert isinstance(info.value, ValueError)
    assert message in str(info.value)


def test_overrides_never_written_to_disk(manager: ConfigManager) -> None:
    before = Path(manager.path).read_bytes()
    config = effective_config(manager.path, environ={"CODEQUERY_PROCESSING_MODE": "auto"})
    assert config["processing"]["mode"] == "auto"
    assert Path(manager.path).read_bytes() == before
    assert manager.load_config()["processing"]["mode"] == "manual"  # the cache is not polluted


def test_override_applies_after_file(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 9, "max_retries": 4}})
    config = effective_config(repo, environ={"CODEQUERY_BATCH_SIZE": "3"})
    assert config["processing"]["batch_size"] == 3 and config["processing"]["max_retries"] == 4


def test_default_environ_is_os_environ(manager: ConfigManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEQUERY_BATCH_SIZE", "8")
    assert load_config_with_env_override(manager)["processing"]["batch_size"] == 8
    assert json.loads(Path(manager.path).read_text())["processing"]["batch_size"] == 5
