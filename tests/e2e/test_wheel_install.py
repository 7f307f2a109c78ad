"""A plain (non-editable) install from the built wheel installs working hooks.

The hook templates must ship inside the wheel; the installed scripts must run
the fresh environment's Python even though its bin is not on PATH.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION

from support.hooks import CONFIG, git_env, project_snapshot, run_git, status
from support.repos import LEGACY_CAMEL, git

pytestmark = pytest.mark.slow


def run(*argv: str | os.PathLike[str], cwd: Path | None = None) -> str:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **git_env()})
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_wheel_installs_working_hooks(repo: Path, tmp_path: Path, write_config: Callable[..., Path]) -> None:
    source = project_snapshot(tmp_path / "source")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", source)
    wheel = next((tmp_path / "dist").glob("codequery_gitcfg-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "codequery_gitcfg/hooks/hook.sh" in names
    assert "codequery_gitcfg/core/schema.json" in names
    assert "codequery_gitcfg/hooks/huey-post-commit.sh" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    venv = tmp_path / "fresh venv"  # a space in the interpreter's path, as on many desktops
    run(sys.executable, "-m", "venv", venv)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    run(python, "-m", "pip", "install", "-q", wheel)  # dependencies come from the package index
    where = run(python, "-c", "import codequery_gitcfg.hooks as h; print(h.__file__)", cwd=tmp_path)
    assert where.startswith(str(venv))

    script = python.parent / "codequery-gitcfg"
    out = run(script, "install", "--huey-post-commit", cwd=repo)
    assert "pre-commit: installed" in out
    assert "huey post-commit: installed" in out
    # The wheel does not bring huey (an extra): the hook is written, with what to install
    # (README, "Huey: the post-commit hook"), and doctor reports it until it is there.
    assert f"cannot import huey (ModuleNotFoundError: No module named 'huey'): install it there: `{python} -m pip " \
           "install huey`" in out
    assert f"python='{python}'" in (repo / ".git" / "hooks" / "pre-commit").read_text()
    # The Huey hook runs the wheel's Python too (its path has a space): a stand-in for
    # Code Query's task module records the synchronous (manual mode) call.
    (repo / "tasks.py").write_text("class T:\n    def call_local(self, **kw):\n"
                                   "        print('documented', kw['filepath'])\n\n"
                                   "process_file_documentation = T()\n")
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "file_queue.json").write_text('{"files": [{"filepath": "tasks.py"}]}')
    git(repo, "add", "tasks.py", ".gitignore")

    write_config(LEGACY_CAMEL)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "legacy through the wheel's hooks")
    assert "migrated the staged" in proc.stderr
    assert proc.stderr.endswith("\ndocumented tasks.py\n")  # git sends a hook's stdout to stderr
    assert json.loads(git(repo, "show", f"HEAD:{CONFIG}").stdout)["schema_version"] == CURRENT_SCHEMA_VERSION
    assert status(repo) == ""
    doctor = subprocess.run([str(script), "doctor"], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, **git_env()})
    assert doctor.returncode == 1
    assert "\n  huey hook        FIX its Python (" in doctor.stdout and "cannot import huey" in doctor.stdout
    assert "doctor: 1 thing to fix" in doctor.stdout


def test_sdist_runs_its_own_tests(tmp_path: Path) -> None:
    """The sdist holds every test helper: its suite collects without an error."""
    source = project_snapshot(tmp_path / "source")
    run(sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path / "dist", source)
    sdist = next((tmp_path / "dist").glob("codequery_gitcfg-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        tar.extractall(tmp_path / "unpacked")
    assert {"LICENSE", "tests/conftest.py", "tests/support/__init__.py", "tests/support/hooks.py",
            ".pre-commit-hooks.yaml"} <= names
    unpacked = next((tmp_path / "unpacked").iterdir())
    out = run(sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", cwd=unpacked)
    assert " tests collected" in out  # run() asserts exit 0: a collection error exits 2
    metadata = (unpacked / "PKG-INFO").read_text()
    assert "License-Expression: MIT\n" in metadata
    assert "Classifier: Programming Language :: Python :: 3.13\n" in metadata
