"""The CLI commands that deal with git: install, uninstall, hook, doctor (README: "Command line" and "Git hooks")."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable

from ..core import report
from ..core.errors import GitError, Problem
from ..git import hooks
from ..git.repo import anchored, repository, worktree_by_gitpython
from ..store.paths import Worktree

HOOK_TYPES = hooks.HOOKS


CHECK_FORMAT_HELP = ("text (FILE:LINE:COL: path: message lines on stderr, then ok -- validation done), json (one "
                     "document on stdout with check-jsonschema's -o json keys: status, errors, parse_errors, and "
                     "with -v checked_paths or successes; extras: line and column of each problem, notes) or github "
                     "(GitHub Actions annotations on stdout)")
DOCTOR_FORMAT_HELP = ("text (what was found, one line each, on stdout), json (one object on stdout: status, "
                      "version, python, worktree, hooks_path, hooks, merge_driver, config facts, environment, fixes "
                      "as {filename, path, message, line, column} and warnings; not check-jsonschema's shape) or "
                      "github (an annotation on stdout for each thing to fix and each warning)")


def add_format(p: argparse.ArgumentParser, help: str = CHECK_FORMAT_HELP) -> None:
    """``--format``, offering every form of ``core.report`` (validate, migrate and doctor), with
    what each form prints for this command."""
    p.add_argument("--format", choices=tuple(report.REPORTER_BY_NAME), default="text", help=help)


def _repository() -> Worktree:
    """The worktree, or a bare repository (``install --server``, ``uninstall``)."""
    found = repository(os.getcwd(), os.environ)
    if found is None:
        raise GitError("not inside a git repository: run this in the repository whose hooks you mean "
                       "(`git -C repo.git` or `cd repo.git` for a bare one)")
    return found


def _install_usage(args: argparse.Namespace) -> None:
    if args.server and (args.hook_types or args.merge_driver_only or args.huey_post_commit):
        args.parser.error("--server installs the pre-receive hook alone: it takes no --hook-type, "
                          "--merge-driver-only or --huey-post-commit")


def _worktree() -> Worktree:
    worktree = worktree_by_gitpython(os.getcwd(), os.environ)
    if worktree is None:
        raise GitError("not inside a git worktree: run this in the repository whose hooks you mean")
    return worktree


# install and doctor are imported by their commands only: the pre-commit framework runs
# `validate` on every commit, and their imports (importlib.resources, dataclasses, ...)
# would cost it more than the check itself.
def cmd_install(args: argparse.Namespace) -> int:
    from ..git import install  # noqa: PLC0415

    if args.server:
        return install.install_server(_repository(), sys.executable, anchored(os.environ))
    if args.merge_driver_only:
        # For the pre-commit framework's users: the framework owns the hooks, not the merge driver.
        return install.install_driver(_worktree(), sys.executable, os.environ)
    return install.install(_worktree(), args.hook_types or list(HOOK_TYPES), sys.executable, os.environ,
                           huey=args.huey_post_commit)


def cmd_uninstall(args: argparse.Namespace) -> int:
    from ..git import install  # noqa: PLC0415

    return install.uninstall(_repository(), anchored(os.environ))  # GIT_DIR=repo.git works from anywhere


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..git import doctor  # noqa: PLC0415

    if args.format == "text":
        return doctor.doctor(_worktree(), sys.executable, os.environ)
    found = doctor.examine(_worktree(), sys.executable, os.environ)
    if args.format == "json":
        fixes = [{"filename": name or None, "path": report.json_path(p.path), "message": p.message,
                  "line": p.line, "column": p.col} for name, p in found.fixes]
        print(json.dumps({"status": "fail" if found.fixes else "ok", **found.facts, "fixes": fixes,
                          "warnings": found.warnings}, indent=2, ensure_ascii=False))
    else:
        for name, problem in found.fixes:
            print(report.annotation("error", name, problem))
        for warning in found.warnings:
            print(report.annotation("warning", "", Problem("", warning)))
    return found.status


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
    p.add_argument("--server", action="store_true",
                   help="in a repository that receives pushes (a bare one): install the pre-receive hook, which "
                        "refuses pushed commits that carry an invalid config (README: \"Server installs\")")
    p.set_defaults(check_usage=_install_usage)
    command("uninstall", cmd_uninstall, "remove our git hooks and put back the ones they replaced")
    p = command("doctor", cmd_doctor,
                "check the hooks, the interpreter, the merge driver, the config and the CODEQUERY_* variables; "
                "exit 1 if something needs fixing")
    add_format(p, DOCTOR_FORMAT_HELP)
    # NAME [ARGS...]: git passes a hook no argument, or some; none is required.
    p = command("hook", cmd_hook, "run one hook as git calls it (what the installed scripts run)",
                usage="%(prog)s [-h] NAME [ARGS...]")
    names = (*HOOK_TYPES, *hooks.SERVER_HOOKS)
    p.add_argument("name", choices=(*names, "migrate", hooks.MERGE_DRIVER), metavar="NAME",
                   help=f"{', '.join(names)}, migrate FILE... (the pre-commit framework's fixer: "
                        f"exit 1 when it rewrote a file), or {hooks.MERGE_DRIVER} %%O %%A %%B %%L %%P "
                        "(the merge driver)")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the arguments git passed to the hook")


__all__ = ["HOOK_TYPES", "add_format", "add_parsers"]
