"""Helpers for the tests that run the CLI and git as a user would (hooks, merge driver, e2e).

Hooks are installed in-process (``cli.main(["install"])``), so the scripts run
``sys.executable``; git itself runs with a PATH that holds git but not this
virtual environment, as a GUI git client would.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

from support.repos import git

CONFIG = ".code-query/config.json"


def bare_path() -> str:
    """A PATH with git and the basic tools, without the virtual environment's bin."""
    git_bin = os.path.dirname(shutil.which("git") or "/usr/bin/git")
    return os.pathsep.join(dict.fromkeys([git_bin, "/usr/bin", "/bin"]))


def git_env(**extra: str) -> Dict[str, str]:
    return {"PATH": bare_path(), **extra}


def run_git(repo: str | os.PathLike[str], *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
    """git as a user types it, with our hooks running."""
    return git(repo, *args, check=check, env=git_env(**extra))


def cli(cwd: str | os.PathLike[str], *argv: str) -> Tuple[int, str, str]:
    """``codequery-gitcfg ARGV`` in-process, in ``cwd``: (exit code, stdout, stderr)."""
    from codequery_gitcfg.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def install(repo: str | os.PathLike[str], *argv: str) -> str:
    code, out, err = cli(repo, "install", *argv)
    assert code == 0, out + err
    return out


def committed(repo: Path, rev: str = "HEAD", path: str = CONFIG) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(git(repo, "show", f"{rev}:{path}").stdout)
    return data


def staged(repo: Path, path: str = CONFIG) -> str:
    return git(repo, "show", f":{path}").stdout


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain").stdout


def commit_skipping_hooks(repo: Path, message: str, *paths: str) -> None:
    """Commit as a teammate without hooks would (the legacy file gets in)."""
    git(repo, "add", "--", *(paths or (CONFIG,)))
    git(repo, "commit", "-q", "--no-verify", "-m", message)


PROJECT = Path(__file__).resolve().parents[2]
_NOT_SOURCE = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist", "mutants", ".venv",
               ".hypothesis"}


def _project_files() -> List[str]:
    """The files of a project folder that is not a git checkout, relative to it."""
    found = []
    for folder, dirs, names in os.walk(PROJECT):
        dirs[:] = [d for d in dirs if d not in _NOT_SOURCE and not d.endswith(".egg-info")]
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                found.append(os.path.relpath(os.path.join(folder, name), PROJECT).replace(os.sep, "/"))
    return sorted(found)


def project_snapshot(dest: Path) -> Path:
    """The project's files as they are now (committed or not), committed in a fresh repository.

    The pre-commit framework and wheel builds then read a clean copy: nothing
    is built inside the project folder and uncommitted work is tested too. Outside a
    git checkout (an unpacked sdist, whose suite CONTRIBUTING's release step runs) the
    project's files are every file there but caches and build output.
    """
    if (PROJECT / ".git").exists():
        listed = git(PROJECT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    else:
        listed = "\0".join(_project_files())
    for name in filter(None, listed.split("\0")):
        source = PROJECT / name
        if source.is_file():  # deleted but still in the index: skip
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "snapshot")
    return dest
