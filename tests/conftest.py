"""Shared fixtures: real git repositories in temporary folders, isolated from the
machine's git configuration and from any hook environment we may run inside.

The one conftest of the suite (the layout of tests/ is in CONTRIBUTING.md).
Helpers that are not fixtures live in ``tests/support/``."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Tuple

import pytest
from hypothesis import settings

# The helpers' asserts get pytest's messages too (test modules and this file get them anyway).
pytest.register_assert_rewrite("support")

from support.hooks import commit_skipping_hooks, install  # noqa: E402
from support.repos import LEGACY_AUTO, LEGACY_CAMEL, VALID, git  # noqa: E402

# Older test modules import these from here; support.repos is where they live.
__all__ = ["LEGACY_AUTO", "LEGACY_CAMEL", "VALID", "git"]

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


@pytest.fixture
def clones_config() -> Any:
    """The config that ``clones`` commits before cloning; a test module overrides this fixture
    to start from another one (a dict is written with indent 2, a str as it is)."""
    return VALID


@pytest.fixture
def clones(repo: Path, tmp_path: Path, clones_config: Any) -> Tuple[Path, Path]:
    """(mine, with our hooks installed; theirs, a teammate without hooks): two clones of a bare
    origin whose last commit (made without hooks) holds ``clones_config`` as the config."""
    target = repo / ".code-query" / "config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(clones_config if isinstance(clones_config, str) else json.dumps(clones_config, indent=2) + "\n")
    commit_skipping_hooks(repo, "config")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for clone in (mine, theirs):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    install(mine)
    return mine, theirs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of tests/reliability/ carries the `reliability` marker, so that the edit loop
    (`-m "not slow and not reliability"`) leaves out a new suite there too."""
    unmarked = [item.nodeid for item in items
                if item.path.parent.name == "reliability" and item.get_closest_marker("reliability") is None]
    if unmarked:
        raise pytest.UsageError("tests/reliability/ modules set `pytestmark = pytest.mark.reliability`; "
                                f"unmarked: {', '.join(unmarked[:5])}")
