"""Shared fixtures: real git repositories in temporary folders, isolated from the
machine's git configuration and from any hook environment we may run inside."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from hypothesis import settings

# Fuzz suites are deterministic: the same examples on every run, so the set of mutants
# they kill does not change from run to run. Found cases are kept as @example()s.
settings.register_profile("codequery", derandomize=True, deadline=None, database=None)
settings.load_profile("codequery")

_GIT_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX", "GIT_EXEC_PATH", "GIT_CEILING_DIRECTORIES",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    for name in _GIT_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("CODEQUERY_"):
            monkeypatch.delenv(name, raising=False)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")


def git(cwd: str | os.PathLike[str], *args: str, check: bool = True,
        env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository (branch main) with one initial commit."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README").write_text("hello\n")
    git(root, "add", "README")
    git(root, "commit", "-qm", "initial")
    return root


@pytest.fixture
def write_config(repo: Path) -> Callable[..., Path]:
    """Write .code-query/config.json: a dict (indent 2) or raw text/bytes."""

    def write(content: Any, path: str = ".code-query/config.json") -> Path:
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content)
        else:
            target.write_text(json.dumps(content, indent=2) + "\n")
        return target

    return write


@pytest.fixture
def in_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    return repo


# Code Query's create_project_config writes this camelCase shape today.
LEGACY_CAMEL: Dict[str, Any] = {
    "datasetName": "project_feature",
    "mainDatasetName": "project",
    "excludePatterns": ["*.test.js", "node_modules/*"],
    "createdAt": "2024-05-01T10:00:00",
    "version": "1.1.0",
    "worktreeInfo": {"isWorktree": True, "branch": "feature", "mainDatasetName": "project",
                     "datasetNote": "Worktree dataset derived from project"},
}

LEGACY_AUTO: Dict[str, Any] = {"dataset_name": "project", "model": "claude-3-5-sonnet-20240620", "auto_process": True}

VALID: Dict[str, Any] = {"dataset_name": "project", "processing": {"mode": "manual", "batch_size": 5}}
