"""Ctrl-C while the CLI or a hook's Python starts ends quietly (issue 22, row 9).

SIGINT is sent at delays spread over the start-up and run of a command (a bounded number
of tries), counted from the first line of ours (before it, Python runs none of our code):
never a traceback, and the process either dies of SIGINT or exits 130 (the shell and git
report both as 130), or it has the command's own status (it was done, or it is a post-*
hook, which ends 0 whatever happens).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import pytest
from codequery_gitcfg.git.install import driver_command, render

from support.repos import LEGACY_AUTO, VALID, git

pytestmark = [pytest.mark.reliability,
              pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")]

TRIES = 20
# CI runs the suite under coverage, which a .pth file starts in every interpreter (and which
# saves its data at exit): its start-up and its save are not ours to guard, so the children
# here run untraced.
UNTRACED = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_START"}
QUIET = (0, 130, -signal.SIGINT)

# The console script pip writes, saying "ready" once the first line of the CLI's package
# has run: what comes before (Python's site, the environment's .pth files, finding our
# package) runs no line of ours, and no program can guard it (README: "Reliability").
CONSOLE_SCRIPT = ("import sys\nimport codequery_gitcfg.cli\nsys.stderr.write('ready\\n')\nsys.stderr.flush()\n"
                  "from codequery_gitcfg.cli.main import main\nif __name__ == '__main__':\n"
                  "    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit(main())\n")


def hook_command(hook: str, *args: str) -> List[str]:
    """The Python the installed hook script starts, exactly (its flags and its -c program),
    saying "ready" after the program's first statement, which takes Ctrl-C over."""
    script = render(hook, sys.executable).decode()
    line = next(line for line in script.splitlines() if '"$python"' in line and " -c '" in line)
    flags = line.split('"$python"', 1)[1].split(" -c '", 1)[0].split()
    program = re.search(r"-c '\n(.*?)\n' \"\$hook\"", script, re.S)
    assert program is not None
    first = "_signal.signal(_signal.SIGINT, _signal.SIG_DFL)\n"
    head, found, rest = program.group(1).partition(first)
    assert found and head == "import sys, _signal\n" + "".join(
        line + "\n" for line in head.splitlines()[1:] if line.startswith("#")), head
    ready = "sys.stderr.write('ready\\n')\nsys.stderr.flush()\n"
    return [sys.executable, *flags, "-c", head + first + ready + rest, hook, *args]


def assert_quiet(command: List[str], cwd: Path) -> None:
    """``command``, sent SIGINT at TRIES delays over its run from "ready", is never loud."""
    def start() -> Tuple[subprocess.Popen[bytes], float]:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=UNTRACED)
        assert proc.stderr is not None
        assert proc.stderr.readline() == b"ready\n"
        return proc, time.monotonic()

    proc, began = start()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 1), err.decode()
    duration, own = time.monotonic() - began, proc.returncode
    loud = []
    for i in range(TRIES):
        delay = duration * i / TRIES
        proc, _ = start()
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        text = err.decode("utf-8", "replace")
        if "Traceback" in text or proc.returncode not in (*QUIET, own):
            loud.append((round(delay, 4), proc.returncode, text[-300:]))
    assert loud == [], f"{len(loud)} of {TRIES} interrupts were not quiet: {loud[:3]}"


@pytest.fixture
def legacy_repo(repo: Path, write_config: Callable[..., Path]) -> Path:
    write_config(LEGACY_AUTO)  # the commands below judge it and report, in full
    git(repo, "add", ".code-query/config.json")
    return repo


@pytest.mark.parametrize("command", [["validate"], ["show", "--effective", "--origin"]])
def test_ctrl_c_while_the_cli_starts_is_quiet(legacy_repo: Path, tmp_path: Path, command: List[str]) -> None:
    script = tmp_path / "bin" / "codequery-gitcfg"  # the name tells the package the CLI is starting
    script.parent.mkdir()
    script.write_text(CONSOLE_SCRIPT)
    assert_quiet([sys.executable, str(script), *command], legacy_repo)


@pytest.mark.parametrize("hook, args", [
    ("post-checkout", ("0" * 40, "0" * 40, "1")),
    ("pre-commit", ()),
])
def test_ctrl_c_while_a_hook_s_python_starts_is_quiet(legacy_repo: Path, hook: str, args: Tuple[str, ...]) -> None:
    # Python's site start-up (the environment's .pth files) included: the program runs it.
    assert_quiet(hook_command(hook, *args), legacy_repo)


def test_ctrl_c_while_the_merge_driver_s_python_starts_is_quiet(repo: Path) -> None:
    # The Python of the driver's command, exactly as install registers it with git, saying
    # "ready" after the program's first statement, which takes Ctrl-C over.
    python, *flags, program, name = shlex.split(driver_command(sys.executable).split(" %O", 1)[0])
    assert (python, flags, name) == (sys.executable, ["-I", "-c"], "merge-driver")
    first, _, rest = program.partition("; ")
    assert first == "import sys, _signal" and rest.startswith("_signal.signal(_signal.SIGINT, _signal.SIG_DFL); ")
    ready = "sys.stderr.write('ready\\n'); sys.stderr.flush(); "
    takes_over, _, rest = rest.partition("; ")
    for side, content in (("O", VALID), ("A", VALID), ("B", {**VALID, "dataset_name": "theirs"})):
        (repo / side).write_text(json.dumps(content, indent=2) + "\n")
    assert_quiet([python, *flags, f"{first}; {takes_over}; {ready}{rest}", name, "O", "A", "B", "7",
                  ".code-query/config.json"], repo)
