"""The sdist, unpacked outside any git checkout, as CONTRIBUTING's release step uses it
(issue 21, row 11): what its docs link is in it, its metadata names its authors, and its
suite runs there (the tests that snapshot the project read the folder, not `git ls-files`)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from support.hooks import PROJECT, git_env, project_snapshot

pytestmark = pytest.mark.slow

_LINK = re.compile(r"\]\(([^)#:]+)\)")  # relative Markdown links


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sdist")
    source = project_snapshot(tmp / "source")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp / "dist"), str(source)],
                   check=True, capture_output=True, env={**os.environ, **git_env()})
    sdist = next((tmp / "dist").glob("codequery_gitcfg-*.tar.gz"))
    outside = tmp / "outside"
    with tarfile.open(sdist) as tar:
        tar.extractall(outside)  # our own sdist, just built
    return next(outside.iterdir())


def _env(unpacked: Path) -> dict[str, str]:
    # Nothing above the unpacked folder may pass for its checkout.
    return {**os.environ, **git_env(), "GIT_CEILING_DIRECTORIES": str(unpacked.parent)}


def test_it_is_outside_any_checkout(unpacked: Path) -> None:
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=unpacked, capture_output=True, text=True,
                          env=_env(unpacked))
    assert proc.returncode != 0 and "not a git repository" in proc.stderr


def test_it_carries_what_its_docs_link(unpacked: Path) -> None:
    assert (unpacked / "ARCHITECTURE.md").is_file()
    for doc in ("README.md", "CONTRIBUTING.md", "ARCHITECTURE.md"):
        for target in _LINK.findall((unpacked / doc).read_text(encoding="utf-8")):
            assert (unpacked / target).exists(), f"{doc} links {target}, which the sdist lacks"


def test_its_metadata_names_the_authors(unpacked: Path) -> None:
    metadata = (unpacked / "PKG-INFO").read_text()
    assert "Author: The codequery-gitcfg contributors\n" in metadata
    if re.search(r"^\[project\.urls\]", (PROJECT / "pyproject.toml").read_text(), re.MULTILINE):
        assert "Project-URL: " in metadata


def test_the_project_snapshot_works_from_the_unpacked_folder(unpacked: Path, tmp_path: Path) -> None:
    """What failed there before (`git ls-files`: not a git repository): the snapshot the
    framework, wheel and README tests build reads the folder instead."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, 'tests');"
            "from support.hooks import project_snapshot;"
            f"dest = project_snapshot(Path({str(tmp_path / 'snap')!r}));"
            "names = {str(p.relative_to(dest)) for p in dest.rglob('*') if '.git' not in p.parts};"
            "assert {'pyproject.toml', 'ARCHITECTURE.md', 'codequery_gitcfg/core/schema.json', 'hooks/hook.sh'} <= names;"
            "assert not [n for n in names if '__pycache__' in n or n.endswith('.pyc') or '.egg-info' in n], names;"
            "print(len(names))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=unpacked, capture_output=True, text=True,
                          env=_env(unpacked))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_its_suite_collects_and_its_fast_tests_pass_there(unpacked: Path) -> None:
    env = _env(unpacked)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=unpacked, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and " tests collected" in proc.stdout, proc.stdout[-3000:] + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow",
                           "tests/e2e/test_readme.py", "tests/core/test_fastcheck.py", "tests/cli/test_first_day.py"],
                          cwd=unpacked, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
