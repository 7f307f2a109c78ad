"""The command line (``main``) and the entry point of the installed hook scripts (``hook``).

Ctrl-C while they start (the imports below this package, argparse) ends them quietly,
as an interrupted tool ends (status 130), instead of in a traceback from wherever an
import was: until ``guarded()`` starts the command, SIGINT has its default action.
The console script is guarded from this package's first line; Python's start-up
before it (site, the environment's .pth files) runs no line of ours. The hook scripts
start Python without site and guard that too (hooks/hook.sh).
"""
from __future__ import annotations

# signal's C core: the module itself costs every hook and merge-driver start a millisecond
# (it makes enums of its constants); the merge driver imports nothing else that loads it.
import _signal as signal  # type: ignore[import-not-found, unused-ignore]
import os
import sys

_armed = False


def quit_on_interrupt() -> None:
    """Until the command starts (``started()``), Ctrl-C ends the process at once, killed by
    SIGINT as an interrupted tool is (the shell and git report 130), printing nothing.

    Not a handler that raises: a KeyboardInterrupt in an import ends in a traceback, and
    CPython's compiler drops any other exception raised while it folds a constant."""
    global _armed
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread: signals are the main thread's
        return
    _armed = True


def started() -> None:
    """The command starts (``guarded()``): Ctrl-C is a KeyboardInterrupt again, which it handles."""
    global _armed
    if _armed:
        _armed = False
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _the_cli_is_starting() -> bool:
    """This process is the CLI: its main module is our console script or ``python -m
    codequery_gitcfg``. A program that imports us keeps its Ctrl-C as it is."""
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) == "codequery_gitcfg.__main__":
        return True
    script = str(getattr(main, "__file__", "") or "")
    # pip's console script, or (Windows) its launcher's __main__.py inside codequery-gitcfg.exe
    return any(os.path.basename(p).startswith("codequery-gitcfg") for p in (script, os.path.dirname(script)))


if _the_cli_is_starting() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    quit_on_interrupt()
