"""The merge options git has for a text merge, and what the config's driver makes of them
(issue 22, row 3): `-X ours` / `-X theirs`, which git passes to no merge driver (the favour
is then ``CODEQUERY_GITCFG_FAVOR``), and `merge.conflictStyle` diff3 / zdiff3 (README: "Git hooks")."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest
from codequery_gitcfg.git.mergedriver import merge_driver

from support.hooks import CONFIG, commit_skipping_hooks, install, run_git, status
from support.repos import git

FAVOR_VAR = "CODEQUERY_GITCFG_FAVOR"
BASE = {"dataset_name": "proj", "model": "sonnet", "processing": {"mode": "auto", "batch_size": 5}}
OURS = {**BASE, "model": "opus", "processing": {"mode": "auto", "batch_size": 10}}
THEIRS = {**BASE, "exclude_patterns": ["dist/*"], "processing": {"mode": "auto", "batch_size": 20}}


def write(repo: Path, content: Dict[str, Any]) -> None:
    target = repo / CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(content, indent=2) + "\n")


def on_disk(repo: Path) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((repo / CONFIG).read_text())
    return data


@pytest.fixture
def conflicting(repo: Path) -> Path:
    """main and feature both changed processing.batch_size (and one other member each)."""
    install(repo)
    write(repo, BASE)
    commit_skipping_hooks(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, THEIRS)
    commit_skipping_hooks(repo, "feature")
    git(repo, "checkout", "-q", "main")
    write(repo, OURS)
    commit_skipping_hooks(repo, "main")
    return repo


def test_git_passes_no_favour_to_a_merge_driver(conflicting: Path, tmp_path: Path) -> None:
    """What the README says: git 2.39 hands a driver neither an argument nor a variable for -X."""
    seen = tmp_path / "seen"
    driver = tmp_path / "driver.sh"
    driver.write_text(f'#!/bin/sh\n{{ printf "%s\\n" "$@"; env; }} >"{seen}"\nexit 1\n')
    driver.chmod(0o755)
    git(conflicting, "config", "merge.codequery-config.driver", f"{driver} %O %A %B %L %P")
    assert git(conflicting, "merge", "-X", "theirs", "--no-edit", "feature", check=False).returncode == 1
    said = seen.read_text()
    assert "theirs" not in said and "ours" not in said.replace(".merge_file_", "")


@pytest.mark.parametrize(("favour", "batch_size"), [("theirs", 20), ("ours", 10)])
def test_the_favour_takes_one_side_of_each_conflicting_member(conflicting: Path, favour: str,
                                                              batch_size: int) -> None:
    proc = run_git(conflicting, "merge", "-X", favour, "--no-edit", "feature", check=False,
                   **{FAVOR_VAR: favour})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert on_disk(conflicting) == {**OURS, "exclude_patterns": ["dist/*"],
                                    "processing": {"mode": "auto", "batch_size": batch_size}}
    assert status(conflicting) == ""


def test_a_stopped_merge_is_taken_again_with_the_favour(conflicting: Path) -> None:
    """The way out the conflict message names, after a `git merge -X theirs` that stopped."""
    proc = run_git(conflicting, "merge", "-X", "theirs", "--no-edit", "feature", check=False)
    assert proc.returncode == 1
    assert f"{FAVOR_VAR}=theirs git checkout -m -- {CONFIG}" in proc.stderr
    run_git(conflicting, "checkout", "-m", "--", CONFIG, **{FAVOR_VAR: "theirs"})
    assert on_disk(conflicting)["processing"]["batch_size"] == 20
    assert on_disk(conflicting)["model"] == "opus"


def test_skipped_the_favour_is_git_merge_file_s(conflicting: Path, tmp_path: Path) -> None:
    """CODEQUERY_GITCFG_SKIP=1 leaves the merge to git's text merge: with the favour, as `-X`."""
    proc = run_git(conflicting, "merge", "-X", "theirs", "--no-edit", "feature", check=False,
                   CODEQUERY_GITCFG_SKIP="1", **{FAVOR_VAR: "theirs"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    without_driver = tmp_path / "plain"
    git(tmp_path, "clone", "-q", str(conflicting), str(without_driver))
    git(without_driver, "checkout", "-q", "-b", "feature", "origin/feature")
    git(without_driver, "checkout", "-q", "main")
    git(without_driver, "merge", "-X", "theirs", "--no-edit", "feature")
    assert (conflicting / CONFIG).read_bytes() == (without_driver / CONFIG).read_bytes()


def test_an_unknown_favour_is_said_and_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = []
    for name, content in (("base", BASE), ("ours", OURS), ("theirs", THEIRS)):
        (tmp_path / name).write_text(json.dumps(content, indent=2) + "\n")
        names.append(str(tmp_path / name))
    assert merge_driver([*names, "7", CONFIG], {FAVOR_VAR: "mine"}) == 1
    err = capsys.readouterr().err
    assert f"codequery-gitcfg: {FAVOR_VAR}='mine' is neither ours nor theirs; ignored" in err
    assert "<<<<<<< ours" in (tmp_path / "ours").read_text()


DIFF3 = """{
  "dataset_name": "proj",
  "model": "opus",
  "processing": {
    "mode": "auto",
<<<<<<< ours
    "batch_size": 10
||||||| base
    "batch_size": 5
=======
    "batch_size": 20
>>>>>>> theirs
  },
  "exclude_patterns": [
    "dist/*"
  ]
}
"""


@pytest.mark.parametrize("style", ["diff3", "zdiff3"])
def test_diff3_markers_have_the_base_section(conflicting: Path, style: str) -> None:
    git(conflicting, "config", "merge.conflictStyle", style)
    proc = run_git(conflicting, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode == 1
    assert (conflicting / CONFIG).read_text() == DIFF3
    assert status(conflicting) == f"UU {CONFIG}\n"


def test_zdiff3_keeps_the_lines_both_sides_share_out_of_the_conflict(tmp_path: Path) -> None:
    """A member both sides changed into objects that share lines: zdiff3 moves those out."""
    base = {"dataset_name": "proj", "processing": 1}
    ours = {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 10}}
    theirs = {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 20}}
    names = []
    for name, content in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / name).write_text(json.dumps(content, indent=2) + "\n")
        names.append(str(tmp_path / name))
    git(tmp_path, "init", "-q", "r")
    git(tmp_path / "r", "config", "merge.conflictStyle", "zdiff3")
    old = os.getcwd()
    os.chdir(tmp_path / "r")
    try:
        assert merge_driver([*names, "7", CONFIG], dict(os.environ)) == 1
    finally:
        os.chdir(old)
    assert (tmp_path / "ours").read_text() == """{
  "dataset_name": "proj",
  "processing": {
    "mode": "auto",
<<<<<<< ours
    "batch_size": 10
||||||| base
  "processing": 1
=======
    "batch_size": 20
>>>>>>> theirs
  }
}
"""


def test_the_text_merge_has_git_s_diff3_markers(conflicting: Path) -> None:
    git(conflicting, "config", "merge.conflictStyle", "diff3")
    proc = run_git(conflicting, "merge", "--no-edit", "feature", check=False, CODEQUERY_GITCFG_SKIP="1")
    assert proc.returncode == 1
    assert "\n||||||| base\n" in (conflicting / CONFIG).read_text()
