"""pre-commit remembers blob ids that passed, so an unchanged staged config is judged once."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.cli import hook as githooks
from codequery_gitcfg.store import memo as memo_mod

from support.hooks import CONFIG, install, run_git
from support.repos import VALID, git


@pytest.fixture
def hooked(repo: Path) -> Path:
    install(repo)
    return repo


def _memo(repo: Path) -> list[str]:
    path = repo / ".git" / "codequery-gitcfg" / "valid-blobs"
    return path.read_text().splitlines() if path.exists() else []


def _staged_sha(repo: Path) -> str:
    return git(repo, "rev-parse", f":{CONFIG}").stdout.strip()


def test_a_valid_blob_is_remembered_under_the_rules_key(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    git(hooked, "add", CONFIG)
    sha = _staged_sha(hooked)
    run_git(hooked, "commit", "-qm", "config")
    memo = _memo(hooked)
    assert memo[0] == memo_mod.rules_key() and sha in memo[1:]
    assert git(hooked, "status", "--porcelain").stdout == ""


def test_an_invalid_blob_is_never_remembered(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    git(hooked, "add", CONFIG)
    sha = _staged_sha(hooked)
    assert run_git(hooked, "commit", "-qm", "bad", check=False).returncode == 1
    assert sha not in _memo(hooked)


def test_a_remembered_blob_skips_the_check(hooked: Path, write_config: Callable[..., Path]) -> None:
    # Plant an invalid blob's id in the memo: the hook trusts its git directory,
    # so the commit passes. This shows the memo really short-cuts the check.
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    git(hooked, "add", CONFIG)
    memo = hooked / ".git" / "codequery-gitcfg" / "valid-blobs"
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(f"{memo_mod.rules_key()}\n{_staged_sha(hooked)}\n")
    assert run_git(hooked, "commit", "-qm", "planted", check=False).returncode == 0


def test_a_memo_under_other_rules_is_ignored(hooked: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    git(hooked, "add", CONFIG)
    memo = hooked / ".git" / "codequery-gitcfg" / "valid-blobs"
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(f"rules 0.0.0 1\n{_staged_sha(hooked)}\n")
    proc = run_git(hooked, "commit", "-qm", "stale memo", check=False)
    assert proc.returncode == 1 and "batch_size must be a positive integer" in proc.stderr


def test_hook_entry_point_usage_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert githooks.main([]) == 2
    monkeypatch.chdir(tmp_path)
    assert githooks.main(["pre-commit"]) == 1
    err = capsys.readouterr().err
    assert "not a git repository" in err and "Traceback" not in err
    monkeypatch.setenv("CODEQUERY_GITCFG_SKIP", "1")
    assert githooks.main(["pre-commit"]) == 0
