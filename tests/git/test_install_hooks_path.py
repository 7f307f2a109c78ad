"""``install`` never writes into a hooks folder the repository tracks (issue 22, row 7).

A team that commits its hooks (``core.hooksPath = .githooks``) would get our scripts,
with this machine's Python path in them, in its next ``git commit -a``: every other
clone's hooks then break. ``install`` refuses, says the way out, and writes nothing.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Dict

import pytest

from support.hooks import cli, install
from support.repos import git

TEAM_HOOK = b"#!/bin/sh\necho 'the team check'\n"


def snapshot(folder: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def tracked_hooks(repo: Path, files: Dict[str, bytes]) -> Path:
    hooks = repo / ".githooks"
    hooks.mkdir()
    for name, data in files.items():
        (hooks / name).write_bytes(data)
        (hooks / name).chmod(0o755)
    git(repo, "add", ".githooks")
    git(repo, "commit", "-qm", "team hooks")
    return hooks


@pytest.mark.parametrize("configured", ["relative", "absolute"])
@pytest.mark.parametrize("files", [{"pre-commit": TEAM_HOOK}, {"README": b"our hooks\n"}], ids=["team-hook", "no-hook"])
def test_a_tracked_hooks_folder_is_refused_and_nothing_is_written(
        repo: Path, configured: str, files: Dict[str, bytes]) -> None:
    hooks = tracked_hooks(repo, files)
    git(repo, "config", "core.hooksPath", ".githooks" if configured == "relative" else str(hooks))
    before = snapshot(hooks)
    code, out, err = cli(repo, "install")
    assert code == 1, out + err
    said = out + err
    assert "core.hooksPath points at a tracked folder" in said
    assert "git config core.hooksPath" in said and "pre-commit framework" in said
    assert "Traceback" not in said
    assert snapshot(hooks) == before  # neither rewritten nor added
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "config", "--get", "merge.codequery-config.driver", check=False).returncode == 1
    exclude = repo / ".git" / "info" / "exclude"
    assert ".cqcfg-*.tmp" not in (exclude.read_text() if exclude.exists() else "")
    # A commit of everything carries nothing of ours.
    git(repo, "commit", "-qam", "after install", "--allow-empty")
    assert git(repo, "show", "HEAD:.githooks/" + next(iter(files))).stdout.encode() == files[next(iter(files))]


def test_the_way_out_works(repo: Path) -> None:
    tracked_hooks(repo, {"pre-commit": TEAM_HOOK})
    git(repo, "config", "core.hooksPath", ".githooks")
    assert cli(repo, "install")[0] == 1
    local = repo / ".git" / "local-hooks"
    git(repo, "config", "core.hooksPath", str(local))
    out = install(repo)
    assert "pre-commit: installed" in out
    assert os.stat(local / "pre-commit").st_mode & stat.S_IXUSR


def test_an_untracked_hooks_folder_in_the_worktree_is_used(repo: Path) -> None:
    (repo / ".gitignore").write_text("/local-hooks/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore")
    git(repo, "config", "core.hooksPath", "local-hooks")
    out = install(repo)
    assert "pre-commit: installed" in out
    assert (repo / "local-hooks" / "pre-commit").is_file()
    assert git(repo, "status", "--porcelain").stdout == ""


def test_the_merge_driver_alone_may_still_be_registered(repo: Path) -> None:
    tracked_hooks(repo, {"pre-commit": TEAM_HOOK})
    git(repo, "config", "core.hooksPath", ".githooks")
    code, out, err = cli(repo, "install", "--merge-driver-only")
    assert code == 0, out + err
    assert git(repo, "status", "--porcelain").stdout == ""
