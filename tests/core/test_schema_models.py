"""Model names: the `claude` CLI's aliases are known; an unknown one is a warning that
blames the caller's line (never a line inside the package), and a note for `validate`."""
from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from codequery_gitcfg import ConfigManager, UnknownModelWarning, effective_config
from codequery_gitcfg.cli.main import main
from codequery_gitcfg.core.schema import KNOWN_MODELS

Capture = pytest.CaptureFixture[str]


def _here() -> int:
    """The line number of the caller's next line: where the call under test is."""
    frame = inspect.currentframe()
    assert frame is not None
    assert frame.f_back is not None
    return frame.f_back.f_lineno + 1


def _record(call: Callable[[], Any]) -> List[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UnknownModelWarning)]


@pytest.mark.parametrize("alias", ["sonnet", "opus", "haiku"])
def test_claude_cli_aliases_are_known(alias: str, tmp_path: Path) -> None:
    assert alias in KNOWN_MODELS
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"dataset_name": "p", "model": alias}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert ConfigManager(path).load_config()["model"] == alias
        assert ConfigManager("unused.json").validate_config({"dataset_name": "p", "model": alias})["model"] == alias


def test_validate_config_warning_points_at_the_callers_line() -> None:
    manager = ConfigManager("unused.json")
    config: Dict[str, Any] = {"dataset_name": "p", "model": "my-model"}
    line = _here()
    caught = _record(lambda: manager.validate_config(config))
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
    assert str(caught[0].message) == "model: 'my-model' is not a known model name"


def test_load_config_warning_points_at_the_callers_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"dataset_name": "p", "model": "my-model"}))
    manager = ConfigManager(path)
    line = _here()
    caught = _record(lambda: manager.load_config())
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


def test_effective_config_warning_points_at_the_callers_line(in_repo: Path,
                                                             write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "p", "model": "my-model"})
    line = _here()
    caught = _record(lambda: effective_config())
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


def test_validate_reports_an_unknown_model_as_a_note(in_repo: Path, write_config: Callable[..., Path],
                                                     capsys: Capture) -> None:
    write_config({"dataset_name": "p", "model": "my-model"})
    assert main(["validate"]) == 0
    assert capsys.readouterr().err == (
        ".code-query/config.json:3:12: note: model: 'my-model' is not a known model name\n"
    )
    write_config({"dataset_name": "p", "model": "sonnet"})
    assert main(["validate"]) == 0
    assert capsys.readouterr().err == ""


def test_a_note_does_not_hide_a_failure(in_repo: Path, write_config: Callable[..., Path], capsys: Capture) -> None:
    write_config({"dataset_name": "", "model": "my-model"})
    assert main(["validate"]) == 1
    assert capsys.readouterr().err == (
        ".code-query/config.json:2:19: dataset_name: dataset_name cannot be empty\n"
        ".code-query/config.json:3:12: note: model: 'my-model' is not a known model name\n"
    )
