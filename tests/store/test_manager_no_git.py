"""The drop-in starts no process to read a file (README: "Python API"): a config in no git
repository (no .git above it, no GIT_DIR) is read, judged and written without running git.

Code Query's post-commit handler tests (tests/test_git_hooks.py in Code Query) put the config
in a temporary folder and patch ``subprocess.run`` to count the documentation runs; with our
loader in place of ``json.load`` a ``git rev-parse`` would be one more call, and a mock's answer.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional
from unittest.mock import Mock, patch

import pytest
from codequery_gitcfg import ConfigManager, effective_config
from codequery_gitcfg.core.errors import GitError
from codequery_gitcfg.git import layout

from support.repos import git


@pytest.fixture
def no_processes(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Any process started (subprocess.run, Popen: git, GitPython) fails the test."""
    started: List[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    return started


def project(tmp_path: Path, config: Optional[Dict[str, Any]] = None) -> Path:
    root = tmp_path / "project"
    (root / ".code-query").mkdir(parents=True)
    path = root / ".code-query" / "config.json"
    path.write_text(json.dumps(config or {"dataset_name": "test-project", "processing": {"mode": "manual"}}))
    return path


def test_a_config_in_no_repository_is_read_and_written_without_git(tmp_path: Path, no_processes: List[Any]) -> None:
    path = project(tmp_path)
    assert layout.outside_any_repository(str(path.parent))
    manager = ConfigManager(str(path))
    assert manager.load_config()["processing"]["mode"] == "manual"
    assert manager.get_processing_config()["batch_size"] == 5
    assert manager.validate_config_file() == []
    assert manager.worktree is None
    manager.update_processing_mode("auto")  # locked (the lock beside the file), validated, atomic
    assert json.loads(path.read_text())["processing"]["mode"] == "auto"
    assert ConfigManager(str(path)).load_config()["processing"]["mode"] == "auto"
    other = ConfigManager(str(tmp_path / "other" / ".code-query" / "config.json"))
    assert other.create_default_config() is True
    assert no_processes == []


def test_effective_config_outside_a_repository_says_so_without_git(tmp_path: Path, no_processes: List[Any]) -> None:
    path = project(tmp_path)
    with pytest.raises(GitError, match="not inside a git worktree"):
        effective_config(str(path.parent.parent))


# -- Code Query's post-commit handler, with our loader --------------------------------------------
class Handler:
    """The shape of Code Query's helpers/git_hook_handler.GitHookHandler: the config through our
    loader (where it calls json.load), the queue taken by a rename, one documentation run (a
    subprocess) per queued file inside the project."""

    def __init__(self, project_root: str) -> None:
        self.project_root = os.path.realpath(project_root)
        self.config_path = os.path.join(self.project_root, ".code-query", "config.json")
        self.queue_file = os.path.join(self.project_root, ".code-query", "file_queue.json")

    def handle_post_commit(self) -> int:
        config = ConfigManager(self.config_path).load_config()
        snapshot = f"{self.queue_file}.snapshot.{os.getpid()}"
        try:
            os.rename(self.queue_file, snapshot)
        except FileNotFoundError:
            return 0
        with open(snapshot, encoding="utf-8") as f:
            files = json.load(f).get("files", [])
        os.remove(snapshot)
        if config["processing"]["mode"] != "manual":
            return 0
        for record in files:
            real = os.path.realpath(os.path.join(self.project_root, record["filepath"]))
            if os.path.commonpath([real, self.project_root]) != self.project_root or not os.path.isfile(real):
                continue
            result = subprocess.run(["claude", "-p", "document this", "--model", config["model"]],
                                    capture_output=True, text=True, cwd=self.project_root)
            json.loads(result.stdout)
        return 0


def queue(root: Path, *names: str) -> None:
    (root / ".code-query" / "file_queue.json").write_text(
        json.dumps({"files": [{"filepath": name, "commit_hash": "abc123"} for name in names]}))


def documentation() -> Mock:
    result = Mock()
    result.returncode = 0
    result.stdout = json.dumps({"overview": "Test file", "functions": {}})
    return result


def test_code_querys_manual_mode_test_counts_one_run_per_file(tmp_path: Path) -> None:
    root = project(tmp_path).parent.parent
    for name in ("test1.py", "test2.py"):
        (root / name).write_text('print("test")')
    queue(root, "test1.py", "test2.py")
    with patch("subprocess.run") as mock_run:
        mock_run.return_value = documentation()
        assert Handler(str(root)).handle_post_commit() == 0
        assert mock_run.call_count == 2  # once per file: the loader ran nothing


def test_code_querys_path_traversal_test_counts_one_run(tmp_path: Path) -> None:
    root = project(tmp_path).parent.parent
    (root / "test.py").write_text('print("test")')
    queue(root, "../../../etc/passwd", "test.py")
    with patch("subprocess.run") as mock_run:
        mock_run.return_value = documentation()
        assert Handler(str(root)).handle_post_commit() == 0
        assert mock_run.call_count == 1


# -- where a repository may be, git is still asked -------------------------------------------------
def test_a_folder_below_a_symlink_into_a_repository_is_in_it(repo: Path, tmp_path: Path) -> None:
    (repo / "sub" / "deeper").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(repo / "sub")
    folder = link / "deeper"  # no .git above it as written; git walks the physical path
    assert not layout.outside_any_repository(str(folder))
    manager = ConfigManager(str(folder / "config.json"))
    assert manager.worktree is not None and manager.worktree.root == str(repo.resolve())


def test_inside_a_bare_repository_or_a_git_dir_git_is_asked(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    (bare / "info" / "sub").mkdir(parents=True, exist_ok=True)
    assert not layout.outside_any_repository(str(bare / "info" / "sub"))
    plain = tmp_path / "plain"
    git(tmp_path, "init", "-q", str(plain))
    assert not layout.outside_any_repository(str(plain / ".git" / "objects"))
    assert not layout.outside_any_repository(str(plain / "not" / "made" / "yet"))
    assert layout.outside_any_repository(str(tmp_path / "elsewhere"))


def test_with_git_dir_set_git_is_still_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project(tmp_path)
    elsewhere = tmp_path / "repository"
    git(tmp_path, "init", "-q", str(elsewhere))
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    calls: List[Any] = []
    real_run = subprocess.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    assert ConfigManager(str(path)).worktree is None  # GIT_DIR's work tree does not hold the file
    assert calls  # but only git could say so
