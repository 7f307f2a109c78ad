"""post-commit with a committed symlinked config (README: "Reliability", committed symlinks).

A committed ``config.json -> real.json`` link (or a linked ``.code-query`` folder) is a
layout pre-commit supports: it judges the file the links lead to. post-commit, which
names what a cherry-pick, revert or am committed without pre-commit, reads HEAD the same
way: the link's target, whenever it or a link on the way changes (issue 22, row 6).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Tuple

import pytest

from support.hooks import install, run_git
from support.repos import VALID, git

CONFIG = ".code-query/config.json"
WARNING = "git ran no pre-commit check for it"


def linked(tmp_path: Path, layout: str) -> Tuple[Path, str]:
    """A hooked repository with one commit, and (not yet committed) a config reached through a symlink."""
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(root))
    (root / "readme").write_text("x\n")
    git(root, "add", "readme")
    git(root, "commit", "-qm", "start")
    if layout == "file":
        target = ".code-query/real.json"
        (root / ".code-query").mkdir()
        (root / CONFIG).symlink_to("real.json")
    else:
        target = "cfg/config.json"
        (root / "cfg").mkdir()
        (root / ".code-query").symlink_to("cfg")
    (root / target).write_text(json.dumps(VALID, indent=2) + "\n")
    install(root)
    return root, target


def commit(root: Path, message: str, *extra: str) -> str:
    git(root, "add", "-A")
    return run_git(root, "commit", "-qm", message, *extra).stderr


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_committing_a_valid_linked_config_says_nothing(tmp_path: Path, layout: str) -> None:
    root, _ = linked(tmp_path, layout)
    assert commit(root, "linked config") == ""
    (root / "other").write_text("x\n")
    assert commit(root, "something else") == ""


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_a_cherry_pick_of_a_valid_linked_config_says_nothing(tmp_path: Path, layout: str) -> None:
    root, _ = linked(tmp_path, layout)
    git(root, "checkout", "-q", "-b", "side")
    assert commit(root, "linked config") == ""
    git(root, "checkout", "-q", "-")
    proc = run_git(root, "cherry-pick", "side")  # brings the link and its target
    assert (root / CONFIG).is_file()
    assert WARNING not in proc.stderr, proc.stderr


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_a_cherry_picked_invalid_target_is_named_by_its_file(tmp_path: Path, layout: str) -> None:
    root, target = linked(tmp_path, layout)
    commit(root, "linked config")
    git(root, "checkout", "-q", "-b", "side")
    (root / target).write_text(json.dumps({**VALID, "modle": "x"}) + "\n")
    assert WARNING in commit(root, "typo", "--no-verify")  # not pre-commit's: post-commit named it
    git(root, "checkout", "-q", "-")
    proc = run_git(root, "cherry-pick", "side")
    assert proc.returncode == 0
    assert (f"carries a {CONFIG} (a symlink to {target}) that is not valid; {WARNING}:" in proc.stderr), proc.stderr
    assert f"  {target}:1:" in proc.stderr and "modle" in proc.stderr
    assert f"`git commit --amend -- {target}`" in proc.stderr


def test_a_cherry_picked_valid_target_says_nothing(tmp_path: Path) -> None:
    root, target = linked(tmp_path, "file")
    commit(root, "linked config")
    git(root, "checkout", "-q", "-b", "side")
    (root / target).write_text(json.dumps({**VALID, "dataset_name": "other"}) + "\n")
    assert commit(root, "retarget", "--no-verify") == ""
    git(root, "checkout", "-q", "-")
    assert WARNING not in run_git(root, "cherry-pick", "side").stderr


def test_links_that_lead_out_are_named(tmp_path: Path) -> None:
    root, _ = linked(tmp_path, "file")
    commit(root, "linked config")
    (root / CONFIG).unlink()
    (root / CONFIG).symlink_to("../../outside.json")
    stderr = commit(root, "out", "--no-verify")
    assert f"carries a {CONFIG} that cannot be read; {WARNING}:" in stderr, stderr
    assert "lead outside the worktree or loop" in stderr


def test_a_link_to_a_file_the_commit_lacks_is_named(tmp_path: Path) -> None:
    root, target = linked(tmp_path, "file")
    commit(root, "linked config")
    git(root, "rm", "-q", target)
    stderr = run_git(root, "commit", "-qm", "gone", "--no-verify").stderr
    assert f"{CONFIG} is a symlink to {target}, which the commit does not contain as a file" in stderr, stderr


def test_an_unchanged_invalid_target_is_not_named_again(tmp_path: Path) -> None:
    root, target = linked(tmp_path, "file")
    (root / target).write_text(json.dumps({**VALID, "modle": "x"}) + "\n")
    assert WARNING in commit(root, "bad from the start", "--no-verify")
    (root / "other").write_text("x\n")
    assert commit(root, "something else") == ""
