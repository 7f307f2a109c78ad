"""Nothing of ours is left where `git status` sees it by a merge driver or a memo writer killed
at any instant, and what a killed writer leaves in the git dir is removed (issue 22, row 5)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from codequery_gitcfg.store import memo

from support.hooks import CONFIG
from support.repos import git

BASE = {"dataset_name": "proj", "model": "sonnet", "processing": {"mode": "manual", "batch_size": 5}}
OURS = {**BASE, "model": "opus"}
THEIRS = {**BASE, "processing": {"mode": "auto", "batch_size": 5}}
CONFLICTING = {**BASE, "model": "haiku"}
KILLS = int(os.environ.get("CODEQUERY_LITTER_KILLS", "30"))
SEED = int(os.environ.get("CODEQUERY_SEED", str(random.randrange(1 << 30))))
# The driver as the registered command runs it, with os.replace killing the process the moment
# it would put its temp file in place of git's %A (or of a memo file).
KILLED_AT_REPLACE = """
import os, signal, sys
real, target = os.replace, sys.argv[-1]
def replace(src, dst, *a, **k):
    if os.path.basename(str(src)).startswith(".cqcfg-") and target in os.path.basename(str(dst)):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
sys.argv[1:] = sys.argv[1:-1]
from codequery_gitcfg.cli.hook import main
sys.exit(main())
"""
ENTRY = "import sys; from codequery_gitcfg.cli.hook import main; sys.exit(main())"


def untraced() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def sides(repo: Path, *contents: Dict[str, Any]) -> List[str]:
    """git's three temp files, as git names them, at the worktree's top (where git runs the driver)."""
    names = []
    for i, content in enumerate(contents):
        name = f".merge_file_{'OAB'[i]}{random.randrange(1 << 20):06x}"
        (repo / name).write_text(json.dumps(content, indent=2) + "\n")
        names.append(name)
    return names


def ours_left(repo: Path, names: List[str]) -> str:
    """`git status` of everything, once git removed its own temp files (as it does after the driver)."""
    for name in names:
        (repo / name).unlink(missing_ok=True)
    return git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all").stdout


def test_a_driver_killed_before_it_replaces_git_s_file_leaves_nothing_in_the_worktree(repo: Path) -> None:
    for theirs in (THEIRS, CONFLICTING):  # a clean merge and a conflict both write %A
        names = sides(repo, BASE, OURS, theirs)
        proc = subprocess.run([sys.executable, "-I", "-c", KILLED_AT_REPLACE, "merge-driver", *names, "7", CONFIG,
                               names[1]], cwd=repo, env=untraced(), capture_output=True)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert json.loads((repo / names[1]).read_text()) == OURS  # %A as git wrote it
        assert ours_left(repo, names) == ""


def test_a_driver_killed_at_any_instant_leaves_nothing_in_the_worktree(repo: Path) -> None:
    rng = random.Random(SEED)
    command = [sys.executable, "-I", "-c", ENTRY, "merge-driver"]
    names = sides(repo, BASE, OURS, THEIRS)
    start = time.monotonic()
    assert subprocess.run([*command, *names, "7", CONFIG], cwd=repo, env=untraced()).returncode == 0
    took = time.monotonic() - start
    assert ours_left(repo, names) == ""
    killed = 0
    for _ in range(KILLS):
        names = sides(repo, BASE, OURS, rng.choice([THEIRS, CONFLICTING]))
        proc = subprocess.Popen([*command, *names, "7", CONFIG], cwd=repo, env=untraced(),
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took * 1.2))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        assert ours_left(repo, names) == "", f"seed {SEED}"
    print("RELIABILITY " + json.dumps({"driver_kills": killed, "runs": KILLS, "seed": SEED}))


def test_killed_memo_writers_leave_temp_files_the_next_write_removes(repo: Path) -> None:
    folder = repo / ".git" / "codequery-gitcfg"
    # A memo writer killed between its temp file and the replace (the repository's first entry).
    names = sides(repo, BASE, OURS, THEIRS)
    proc = subprocess.run([sys.executable, "-I", "-c", KILLED_AT_REPLACE, "merge-driver", *names, "7", CONFIG,
                           memo.BLOBS], cwd=repo, env=untraced(), capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert ours_left(repo, names) == ""
    left = [p for p in folder.iterdir() if p.name.startswith(".cqcfg-")]
    assert left, "the kill left no temp file: nothing to clean"
    planted = folder / ".cqcfg-effective-config.abcd1234.tmp"
    planted.write_text("cut short")
    young = folder / ".cqcfg-valid-blobs.young123.tmp"  # a writer at work right now: kept
    young.write_text("being written")
    old = time.time() - 120
    for path in (*left, planted):
        os.utime(path, (old, old))
    memo.remember(str(folder / memo.BLOBS), "0" * 40)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".cqcfg-")) == [young.name]
