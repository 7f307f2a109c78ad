"""Native hook scripts: written from the packaged template, recognised, removed.

A hook already in place that is not ours is renamed ``<hook>.codequery-gitcfg.orig``
(a rename keeps it byte for byte, with its mode) and our script runs it after
its own work; ``uninstall`` renames it back. Writing what is already there
changes nothing, so installing twice leaves every file as it was.
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence

from ..core.version import __version__
from ..store.atomic import write_atomic
from ..store.paths import Worktree
from . import hueyhook, repo, templates
from .hooks import CONFIG, HOOKS, MERGE_DRIVER
from .mergedriver import NAME as DRIVER_NAME

CHAINED = ".codequery-gitcfg.orig"
_MARKER = re.compile(rb"^# codequery-gitcfg-managed: hook=(\S+) version=(\S+)$", re.MULTILINE)
_PYTHON = re.compile(rb"^python=(.*)$", re.MULTILINE)
_HEAD = 64 * 1024  # our scripts are a few KiB; a foreign hook may be a large binary


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def render(hook: str, python: str) -> bytes:
    """Our script for ``hook``, running ``python`` (kept verbatim: a venv's python is a symlink)."""
    template = templates.template("hook.sh")
    # Git for Windows runs hooks with its sh, which wants forward slashes.
    python = python.replace(os.sep, "/")
    text = (template.replace("@HOOK@", hook).replace("@CHAINED@", CHAINED)
            .replace("@VERSION@", __version__).replace("@PYTHON@", _quote(python)))
    return text.encode("utf-8")


@dataclass(frozen=True)
class HookFile:
    hook: str
    path: str
    state: str  # "missing", "ours" or "foreign"
    head: bytes = b""  # the file's first bytes
    version: Optional[str] = None  # ours: the version that wrote it
    python: Optional[str] = None  # ours: the interpreter it runs

    @property
    def chained(self) -> str:
        return self.path + CHAINED

    @property
    def current(self) -> bool:
        """Ours, and exactly what this version writes for the same interpreter."""
        return self.state == "ours" and self.python is not None and self.head == render(self.hook, self.python)


def inspect(hooks_dir: str, hook: str) -> HookFile:
    path = os.path.join(hooks_dir, hook)
    if not os.path.lexists(path):
        return HookFile(hook, path, "missing")
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:  # a folder, a dangling symlink: not ours either way
        return HookFile(hook, path, "foreign")
    marker = _MARKER.search(head)
    if marker is None or marker.group(1).decode("utf-8", "replace") != hook:
        return HookFile(hook, path, "foreign", head)
    python = _PYTHON.search(head)
    words = shlex.split(python.group(1).decode("utf-8", "surrogateescape")) if python else []
    return HookFile(hook, path, "ours", head, marker.group(2).decode("ascii", "replace"), words[0] if words else None)


_LEGACY_READ = re.compile(rb"\b(mainDatasetName|datasetName|excludePatterns|createdAt|worktreeInfo)\b")


def legacy_readers(path: str) -> List[str]:
    """The legacy config keys a (foreign) hook script mentions: a reader to upgrade before
    ``migrate --contract`` drops them (Code Query's hooks read the dataset with jq)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return []
    return list(dict.fromkeys(m.decode("ascii") for m in _LEGACY_READ.findall(head)))


def reader_advice(hook: str, path: str) -> Optional[str]:
    keys = legacy_readers(path)
    if not keys:
        return None
    hint = " (`codequery-gitcfg get dataset_name` replaces `jq -r '.mainDatasetName // .datasetName'`)" \
        if {"mainDatasetName", "datasetName"} & set(keys) else ""
    return (f"{os.path.basename(path)} reads legacy keys ({', '.join(keys)}): they stay in the file, beside the "
            f"current ones, until `codequery-gitcfg migrate --contract`; switch it to `codequery-gitcfg get KEY` "
            f"before that{hint}")


def _describe(worktree: Worktree, environ: Mapping[str, str]) -> str:
    hooks_dir, configured = repo.hooks_path(worktree, environ)
    print(f"hooks folder: {hooks_dir}" + (f" (core.hooksPath = {configured})" if configured is not None else ""))
    return hooks_dir


def install(worktree: Worktree, hook_types: Sequence[str], python: str, environ: Mapping[str, str],
            huey: bool = False, driver: bool = True) -> int:
    """Our hooks of ``hook_types``, Code Query's Huey post-commit hook with ``huey`` or
    when it is already installed (kept current like ours), and the merge driver."""
    hooks_dir = _describe(worktree, environ)
    os.makedirs(hooks_dir, exist_ok=True)
    status = 0
    for hook in dict.fromkeys(hook_types):
        found = inspect(hooks_dir, hook)
        script = render(hook, python)
        if found.state == "ours" and found.head == script:
            print(f"  {hook}: already installed")
            advice = reader_advice(hook, found.chained)
            if advice:
                print(f"    note: {advice}")
            continue
        note = ""
        if found.state == "foreign":
            if os.path.lexists(found.chained):
                print(f"  {hook}: NOT installed: {found.path} is not ours and {found.chained} already exists; "
                      "move one of them away and run install again")
                status = 1
                continue
            os.rename(found.path, found.chained)
            note = f" (the hook that was there is kept as {os.path.basename(found.chained)} and runs after ours)"
        # Atomic: git may start the hook at any moment.
        write_atomic(found.path, script, mode=0o755)
        print(f"  {hook}: {'updated' if found.state == 'ours' else 'installed'}{note}")
        advice = reader_advice(hook, found.chained)
        if advice:
            print(f"    note: {advice}")
    post_commit = inspect(hooks_dir, "post-commit")  # after ours: it may have just moved
    if huey or hueyhook.where(post_commit):
        done, said = hueyhook.install(post_commit, python)
        print(said)
        status = status if done else 1
    if driver:
        status = install_driver(worktree, python, environ) or status
    print(f"the hooks run {python}")
    return status


def uninstall(worktree: Worktree, environ: Mapping[str, str]) -> int:
    hooks_dir = _describe(worktree, environ)
    done: List[str] = []
    for hook in HOOKS:
        found = inspect(hooks_dir, hook)
        restore = os.path.lexists(found.chained)
        if found.state == "ours":
            os.remove(found.path)
            done.append(f"  {hook}: removed")
        elif found.state == "foreign" and restore:
            done.append(f"  {hook}: left alone: {found.path} is not ours; {found.chained} is kept too")
            continue
        if found.state != "foreign" and restore:
            os.rename(found.chained, found.path)
            done.append(f"  {hook}: restored the hook that was there before")
    done += hueyhook.uninstall(inspect(hooks_dir, "post-commit"))  # after ours, which may chain to it
    done += uninstall_driver(worktree, environ)
    print("\n".join(done) if done else "  no codequery-gitcfg hooks here")
    return 0


# -- the merge driver: local git config and info/attributes, nothing committed -----------
DRIVER_TITLE = "codequery-gitcfg: Code Query config, merged key by key"
ATTRIBUTE = f"{CONFIG} merge={DRIVER_NAME}"
_ENTRY = "import sys; from codequery_gitcfg.cli.hook import main; sys.exit(main())"


def driver_command(python: str) -> str:
    """What git runs; if our Python cannot run at all (exit 2 and up), git's own text merge."""
    python = python.replace(os.sep, "/")
    return (f"{_quote(python)} -I -c {_quote(_ENTRY)} {MERGE_DRIVER} %O %A %B %L %P; s=$?; "
            "[ $s -le 1 ] && exit $s; git merge-file -L ours -L base -L theirs --marker-size=%L %A %O %B")


def attributes_path(worktree: Worktree) -> str:
    return os.path.join(worktree.common_dir, "info", "attributes")


def _attribute_lines(path: str) -> List[str]:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape").splitlines()
    except FileNotFoundError:
        return []


@dataclass(frozen=True)
class DriverState:
    command: Optional[str]  # merge.codequery-config.driver, None when unset
    ours: bool  # that section was written by us
    attribute: bool  # info/attributes routes the config to it

    def current(self, python: str) -> bool:
        return self.ours and self.attribute and self.command == driver_command(python)


def driver_state(worktree: Worktree, environ: Mapping[str, str]) -> DriverState:
    command = repo.config_get(worktree, f"merge.{DRIVER_NAME}.driver", environ)
    title = repo.config_get(worktree, f"merge.{DRIVER_NAME}.name", environ)
    return DriverState(command, title == DRIVER_TITLE, ATTRIBUTE in _attribute_lines(attributes_path(worktree)))


def install_driver(worktree: Worktree, python: str, environ: Mapping[str, str]) -> int:
    state = driver_state(worktree, environ)
    if state.command is not None and not state.ours:
        print(f"  merge driver: NOT registered: merge.{DRIVER_NAME} in this repository's git config is not ours; "
              f"remove it (`git config --remove-section merge.{DRIVER_NAME}`) and run install again")
        return 1
    if state.current(python):
        print("  merge driver: already registered")
        return 0
    repo.config_set(worktree, f"merge.{DRIVER_NAME}.name", DRIVER_TITLE, environ)
    repo.config_set(worktree, f"merge.{DRIVER_NAME}.driver", driver_command(python), environ)
    if not state.attribute:
        path = attributes_path(worktree)
        lines = [*_attribute_lines(path), ATTRIBUTE]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    print(f"  merge driver: {'updated' if state.command is not None else 'registered'} "
          f"(merge.{DRIVER_NAME} in the local git config, {ATTRIBUTE!r} in {attributes_path(worktree)})")
    return 0


def uninstall_driver(worktree: Worktree, environ: Mapping[str, str]) -> List[str]:
    state = driver_state(worktree, environ)
    done: List[str] = []
    if state.ours:
        repo.config_remove_section(worktree, f"merge.{DRIVER_NAME}", environ)
        done.append(f"  merge driver: removed merge.{DRIVER_NAME} from the local git config")
    elif state.command is not None:
        done.append(f"  merge driver: left alone: merge.{DRIVER_NAME} is not ours")
    if state.attribute:
        path = attributes_path(worktree)
        kept = [line for line in _attribute_lines(path) if line != ATTRIBUTE]
        write_atomic(path, "".join(line + "\n" for line in kept).encode("utf-8", "surrogateescape"))
        done.append(f"  merge driver: removed {ATTRIBUTE!r} from {path}")
    return done


__all__ = ["ATTRIBUTE", "CHAINED", "DRIVER_TITLE", "DriverState", "HookFile", "driver_command", "driver_state",
           "install", "install_driver", "inspect", "legacy_readers", "reader_advice", "render", "uninstall",
           "uninstall_driver"]
