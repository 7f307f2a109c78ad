"""`install --huey-post-commit` and `doctor` ask the hook's own Python whether it imports huey
and the worktree's task module (README, "Huey: the post-commit hook"): a plain install
without huey is written, with a warning saying what to install, and doctor reports it."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Tuple

import pytest
from codequery_gitcfg.git import hueyhook
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support import huey_helpers
from support.hooks import cli
from support.repos import git

TASKS = '''
from huey import SqliteHuey

huey = SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db")


@huey.task()
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    pass
'''


@pytest.fixture
def cq_repo(repo: Path) -> Path:
    (repo / "tasks.py").write_text(TASKS)
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "config.json").write_text(json.dumps({"dataset_name": "proj"}, indent=2) + "\n")
    (repo / ".gitignore").write_text("__pycache__/\n.code-query/*\n!.code-query/config.json\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "setup")
    return repo


def install_with(repo: Path, python: str) -> Tuple[int, str]:
    worktree = worktree_by_gitpython(str(repo), os.environ)
    assert worktree is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = installer.install(worktree, ["pre-commit"], python, os.environ, huey=True)
    return code, out.getvalue()


def huey_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith("  huey hook ")]
    return line


def test_a_python_without_huey_is_installed_with_a_warning_and_doctor_says_what_to_install(
        cq_repo: Path, tmp_path: Path) -> None:
    python = huey_helpers.python_without_huey(tmp_path / "no-huey")
    code, out = install_with(cq_repo, str(python))
    # Written anyway, as `pre-commit install` writes hooks whose environments are not ready yet:
    # the queue is kept until the Python can import huey, and nothing needs installing again.
    assert code == 0
    assert (cq_repo / ".git" / "hooks" / "post-commit").read_bytes() == hueyhook.render(str(python))
    assert "\n  huey post-commit: installed\n" in out
    assert (f"\n    warning: its Python ({python}) cannot import huey (ModuleNotFoundError: No module named "
            f"'huey'): install it there: `{python} -m pip install huey` (pipx: `pipx inject codequery-gitcfg huey`); "
            "until then the hook keeps the queued files\n") in out

    code, out, _ = cli(cq_repo, "doctor")
    assert code == 1
    assert huey_line(out) == (f"  huey hook        FIX its Python ({python}) cannot import huey (ModuleNotFoundError: "
                              f"No module named 'huey'): install it there: `{python} -m pip install huey` (pipx: "
                              "`pipx inject codequery-gitcfg huey`); until then the hook keeps the queued files")


def test_a_task_module_that_does_not_import_is_a_warning_and_a_thing_to_fix(cq_repo: Path) -> None:
    (cq_repo / "tasks.py").write_text("import code_query_worker_that_is_not_here\n")
    code, out = install_with(cq_repo, sys.executable)
    assert code == 0
    assert (f"\n    warning: its Python ({sys.executable}) cannot import the task module (tasks.py at the worktree's "
            "top: ModuleNotFoundError: No module named 'code_query_worker_that_is_not_here'): run `codequery-gitcfg "
            "install --huey-post-commit` from the environment Code Query's worker runs in; until then the hook keeps "
            "the queued files\n") in out
    code, out, _ = cli(cq_repo, "doctor")
    assert code == 1
    assert "FIX its Python" in huey_line(out) and "cannot import the task module" in huey_line(out)

    (cq_repo / "tasks.py").unlink()
    code, out, _ = cli(cq_repo, "doctor")
    assert "cannot import the task module (tasks.py at the worktree's top: ModuleNotFoundError: No module named " \
           "'tasks')" in huey_line(out)


def test_a_working_python_gets_no_warning_and_doctor_is_happy(cq_repo: Path) -> None:
    code, out = install_with(cq_repo, sys.executable)
    assert code == 0 and "warning" not in out
    code, out, _ = cli(cq_repo, "doctor")
    assert huey_line(out) == f"  huey hook        ok  current; runs {sys.executable}"
    assert not (cq_repo / ".code-query" / "file_queue.json").exists()  # the check queued nothing
