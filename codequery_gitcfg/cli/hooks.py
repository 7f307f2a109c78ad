"""CLI commands for git hooks: install, uninstall, hook, doctor (SPEC 5 and 6)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable

from ..core.errors import GitError, Problem
from ..git import hooks
from ..git.repo import find_worktree
from ..store.paths import Worktree
from . import output

HOOK_TYPES = hooks.HOOKS


def _worktree() -> Worktree:
    worktree = find_worktree(os.getcwd(), os.environ)
    if worktree is None:
        raise GitError("not inside a git worktree: run this in the repository whose hooks you mean")
    return worktree


# install and doctor are imported by their commands only: the pre-commit framework runs
# `validate` on every commit, and their imports (importlib.resources, dataclasses, ...)
# would cost it more than the check itself.
def cmd_install(args: argparse.Namespace) -> int:
    from ..git import install  # noqa: PLC0415

    if args.merge_driver_only:
        # For the pre-commit framework's users: the framework owns the hooks, not the merge driver.
        return install.install_driver(_worktree(), sys.executable, os.environ)
    return install.install(_worktree(), args.hook_types or list(HOOK_TYPES), sys.executable, os.environ,
                           huey=args.huey_post_commit)


def cmd_uninstall(args: argparse.Namespace) -> int:
    from ..git import install  # noqa: PLC0415

    return install.uninstall(_worktree(), os.environ)


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..git import doctor  # noqa: PLC0415

    if args.format == "text":
        return doctor.doctor(_worktree(), sys.executable, os.environ)
    report = doctor.examine(_worktree(), sys.executable, os.environ)
    if args.format == "json":
        fixes = [{"filename": name or None, "path": output.json_path(p.path), "message": p.message,
                  "line": p.line, "column": p.col} for name, p in report.fixes]
        print(json.dumps({"status": "fail" if report.fixes else "ok", **report.facts, "fixes": fixes,
                          "warnings": report.warnings}, indent=2, ensure_ascii=False))
    else:
        for name, problem in report.fixes:
            print(output.annotation("error", name, problem))
        for warning in report.warnings:
            print(output.annotation("warning", "", Problem("", warning)))
    return report.status


def cmd_hook(args: argparse.Namespace) -> int:
    return hooks.run(args.name, args.args, os.environ)


def add_parsers(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Registered by cli.build_parser."""
    p = command("install", cmd_install,
                "install the git hooks into the hooks folder git uses here, and register the config's merge driver")
    p.add_argument("-t", "--hook-type", dest="hook_types", action="append", choices=HOOK_TYPES, metavar="TYPE",
                   help=f"a hook to install (repeatable; default: all of {', '.join(HOOK_TYPES)})")
    p.add_argument("--huey-post-commit", action="store_true",
                   help="also write Code Query's Huey post-commit hook (README: Huey), run by this Python; "
                        "a post-commit hook already there is kept and runs after it")
    p.add_argument("--merge-driver-only", action="store_true",
                   help="only register the config's merge driver (local git config and info/attributes), "
                        "for repositories whose hooks the pre-commit framework manages")
    command("uninstall", cmd_uninstall, "remove our git hooks and put back the ones they replaced")
    p = command("doctor", cmd_doctor,
                "check the hooks, the interpreter and the config; exit 1 if something needs fixing")
    output.add_format(p)
    # NAME [ARGS...]: git passes a hook no argument, or some; none is required.
    p = command("hook", cmd_hook, "run one hook as git calls it (what the installed scripts run)",
                usage="%(prog)s [-h] NAME [ARGS...]")
    p.add_argument("name", choices=(*HOOK_TYPES, "migrate", hooks.MERGE_DRIVER), metavar="NAME",
                   help=f"{', '.join(HOOK_TYPES)}, migrate FILE... (the pre-commit framework's fixer: "
                        f"exit 1 when it rewrote a file), or {hooks.MERGE_DRIVER} %%O %%A %%B %%L %%P "
                        "(the merge driver)")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the arguments git passed to the hook")


__all__ = ["HOOK_TYPES", "add_parsers"]
