"""Ctrl-C while the CLI or a hook's Python starts ends quietly (issue 22, row 9).

SIGINT is sent at delays spread over the whole start-up and run of a command (a bounded
number of tries): never a traceback, and the status is 130 (the shell's word for an
interrupted command), 0 (the command was already done, or a post-* hook, which never
fails git), or death by SIGINT before Python has set its handler up (which the shell also
reports as 130).
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import pytest
from codequery_gitcfg.git.install import render

from support.repos import LEGACY_AUTO, git

TRIES = 20
QUIET = (0, 130, -signal.SIGINT)

# What the console script does (pip writes it), after a line that says Python's own
# start-up is over: the environment's site and .pth files run before any line of ours.
CONSOLE_SCRIPT = ("import sys\nsys.stderr.write('ready\\n')\nsys.stderr.flush()\n"
                  "from codequery_gitcfg.cli.main import main\nsys.exit(main())\n")
DASH_M = ("import runpy, sys\nsys.stderr.write('ready\\n')\nsys.stderr.flush()\n"
          "sys.argv[0] = 'codequery-gitcfg'\nrunpy.run_module('codequery_gitcfg', run_name='__main__')\n")


def hook_command(hook: str, *args: str) -> List[str]:
    """The Python the installed hook script starts, exactly: its flags and its -c program."""
    script = render(hook, sys.executable).decode()
    line = next(line for line in script.splitlines() if '"$python"' in line and " -c '" in line)
    flags = line.split('"$python"', 1)[1].split(" -c '", 1)[0].split()
    program = re.search(r"-c '\n(.*?)\n' \"\$hook\"", script, re.S)
    assert program is not None
    return [sys.executable, *flags, "-c", program.group(1), hook, *args]


def interrupted(command: List[str], cwd: Path, ready: bool) -> List[Tuple[float, int, str]]:
    """(delay, status, stderr) of ``command`` sent SIGINT at TRIES delays over its run."""
    def start() -> Tuple[subprocess.Popen[bytes], float]:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if ready:
            assert proc.stderr is not None
            assert proc.stderr.readline() == b"ready\n"
        return proc, time.monotonic()

    proc, began = start()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 1), err.decode()
    duration = time.monotonic() - began
    runs = []
    for i in range(TRIES):
        delay = duration * i / TRIES
        proc, _ = start()
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        runs.append((delay, proc.returncode, err.decode("utf-8", "replace")))
    return runs


def assert_quiet(runs: List[Tuple[float, int, str]]) -> None:
    loud = [(round(d, 4), code, err[-300:]) for d, code, err in runs if "Traceback" in err or code not in QUIET]
    assert loud == [], f"{len(loud)} of {len(runs)} interrupts were not quiet: {loud[:3]}"


@pytest.fixture
def legacy_repo(repo: Path, write_config: Callable[..., Path]) -> Path:
    write_config(LEGACY_AUTO)  # the commands below judge it and report, in full
    git(repo, "add", ".code-query/config.json")
    return repo


@pytest.mark.parametrize("launch", [CONSOLE_SCRIPT, DASH_M], ids=["console-script", "python-m"])
def test_ctrl_c_while_the_cli_starts_is_quiet(legacy_repo: Path, launch: str) -> None:
    assert_quiet(interrupted([sys.executable, "-c", launch, "validate"], legacy_repo, ready=True))


@pytest.mark.parametrize("hook, args", [
    ("post-checkout", ("0" * 40, "0" * 40, "1")),
    ("pre-commit", ()),
])
def test_ctrl_c_while_a_hook_s_python_starts_is_quiet(legacy_repo: Path, hook: str, args: Tuple[str, ...]) -> None:
    # From the very start of the interpreter: the hook's program runs Python's site itself.
    runs = interrupted(hook_command(hook, *args), legacy_repo, ready=False)
    assert_quiet(runs)
