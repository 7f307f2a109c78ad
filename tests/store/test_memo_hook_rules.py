"""hook-rules (store/memo.py): the rules key and the files it comes from, which the hook scripts'
shell needs to believe a valid-blobs entry without starting Python (hooks/hook.sh, known_valid)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest
from codequery_gitcfg.store import memo


def read(path: Path) -> List[str]:
    return path.read_text().splitlines()


def test_the_stamp_names_the_python_the_key_and_every_input(tmp_path: Path) -> None:
    path = tmp_path / "codequery-gitcfg" / memo.HOOK_RULES
    assert memo.write_hook_rules(str(path), "/venv/bin/python")
    lines = read(path)
    assert lines[0] == "python /venv/bin/python"
    assert lines[1] == memo.rules_key()
    assert lines[2:-1] == memo.rules_inputs()
    assert lines[-1] == "end"
    for entry in lines[2:-1]:
        assert os.path.isabs(entry) and os.path.exists(entry)
        assert path.stat().st_mtime_ns > os.stat(entry).st_mtime_ns or os.path.isdir(entry)


def test_the_inputs_cover_what_the_key_is_computed_from() -> None:
    inputs = memo.rules_inputs()
    core = inputs[0]
    assert os.path.basename(core) == "core"
    assert os.path.join(core, "schema.json") in inputs and os.path.join(core, "version.py") in inputs
    assert any(entry.endswith(os.path.join("jsonschema", "__init__.py")) for entry in inputs)
    assert len(inputs) == len(set(inputs))


def test_a_key_that_changes_while_it_is_written_leaves_no_stamp(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    keys = iter(["rules " + "a" * 64, "rules " + "b" * 64])
    monkeypatch.setattr(memo, "_compute_key", lambda: next(keys))
    path = tmp_path / memo.HOOK_RULES
    assert memo.write_hook_rules(str(path), "/venv/bin/python") is False
    assert not path.exists()


def test_a_path_with_a_newline_leaves_no_stamp(tmp_path: Path) -> None:
    path = tmp_path / memo.HOOK_RULES
    assert memo.write_hook_rules(str(path), "/venv/bin/python")
    assert memo.write_hook_rules(str(path), "/odd\nname/python") is False
    assert not path.exists()


def test_a_symlinked_folder_gets_no_stamp(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert memo.write_hook_rules(str(tmp_path / "link" / memo.HOOK_RULES), "/p") is False
    assert list((tmp_path / "real").iterdir()) == []


def test_removing_a_stamp_that_is_not_there_is_quiet(tmp_path: Path) -> None:
    memo.remove_hook_rules(str(tmp_path / memo.HOOK_RULES))
