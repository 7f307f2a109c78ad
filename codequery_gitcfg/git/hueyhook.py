"""Code Query's Huey post-commit hook (README, "Huey"), written by ``install --huey-post-commit``.

The script is ``hooks/huey-post-commit.sh``: a shell preamble that runs the rest of the
same file with the absolute interpreter recorded here, as our own hooks do, so that a
commit from a GUI client finds codequery-gitcfg; a gone interpreter is one line, and the
hook chained after it still runs.

It takes the place git runs for post-commit: the post-commit file itself, or, when our
own post-commit hook is there, the file that hook chains to (it runs first). A foreign
hook in that place moves to ``post-commit.codequery-gitcfg-huey.orig`` and runs after
it; ``uninstall`` puts it back. Once installed, every ``install`` keeps the script current.
"""
from __future__ import annotations

import os
import re
import shlex
from typing import TYPE_CHECKING, List, Optional, Tuple

from ..core.version import __version__
from ..store.atomic import write_atomic
from .templates import template

if TYPE_CHECKING:
    from .install import HookFile

NAME = "huey post-commit"
TEMPLATE = "huey-post-commit.sh"
CHAINED = "post-commit.codequery-gitcfg-huey.orig"  # as the template names it
_MARKER = re.compile(rb"^# codequery-gitcfg-managed: hook=huey-post-commit version=(\S+)$", re.MULTILINE)
_PYTHON = re.compile(rb"^python=(.*)$", re.MULTILINE)
_HEAD = 64 * 1024
_FIX = "run `codequery-gitcfg install`"
# Importing Code Query's task module opens its queue; a broker that never answers must not hang install.
_CHECK_SECONDS = 60


def render(python: str) -> bytes:
    # Git for Windows runs hooks with its sh, which wants forward slashes.
    quoted = shlex.quote(python.replace(os.sep, "/"))
    return template(TEMPLATE).replace("@VERSION@", __version__).replace("@PYTHON@", quoted).encode("utf-8")


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(_HEAD)
    except OSError:  # missing, a folder, a dangling symlink
        return b""


def where(post_commit: HookFile) -> Optional[str]:
    """The path of our Huey hook: the post-commit file, or the hook ours chains to."""
    for path in (post_commit.path, post_commit.chained):
        if _MARKER.search(_head(path)):
            return path
    return None


def _kept(post_commit: HookFile) -> str:
    return os.path.join(os.path.dirname(post_commit.path), CHAINED)


def install(post_commit: HookFile, python: str) -> Tuple[bool, str]:
    """(done, what to say); ``post_commit`` is the post-commit file as install left it."""
    script = render(python)
    path = where(post_commit)
    if path is None:
        path = post_commit.chained if post_commit.state == "ours" else post_commit.path
    place = " (run by our post-commit hook, after its own work)" if path == post_commit.chained else ""
    head = _head(path)
    if head == script:
        return True, f"  {NAME}: already installed{place}"
    ours = _MARKER.search(head) is not None
    note = ""
    if os.path.lexists(path) and not ours:
        kept = _kept(post_commit)
        if os.path.lexists(kept):
            return False, (f"  {NAME}: NOT installed: {path} is not ours and {kept} already exists; "
                           "move one of them away and run install again")
        os.rename(path, kept)
        note = f"; the hook that was there is kept as {CHAINED} and runs after it"
    # Atomic: git may start the hook at any moment.
    write_atomic(path, script, mode=0o755)
    return True, f"  {NAME}: {'updated' if ours else 'installed'}{place}{note}"


def uninstall(post_commit: HookFile) -> List[str]:
    path = where(post_commit)
    if path is None:
        return []
    os.remove(path)
    done = [f"  {NAME}: removed"]
    kept = _kept(post_commit)
    if os.path.lexists(kept):
        os.rename(kept, path)
        done.append(f"  {NAME}: restored the hook that was there before")
    return done


def _python(head: bytes) -> Optional[str]:
    line = _PYTHON.search(head)
    try:
        words = shlex.split(line.group(1).decode("utf-8", "surrogateescape")) if line else []
    except ValueError:  # an edited line with unbalanced quotes
        words = []
    return words[0] if words else None


def check(post_commit: HookFile, root: str) -> Optional[str]:
    """What keeps the hook's Python from running its task (huey, the worktree's task module),
    or None. Asked of the hook itself (``--check``: it imports them as a commit would, and
    touches no queue), only when it is this version's script: an older one would take the queue."""
    import subprocess  # noqa: PLC0415 -- install and doctor only

    path = where(post_commit)
    head = _head(path) if path else b""
    python = _python(head)
    if path is None or python is None or head != render(python):
        return None
    try:
        proc = subprocess.run([python, "-I", path, "--check"], cwd=root, stdin=subprocess.DEVNULL,
                              capture_output=True, check=False, timeout=_CHECK_SECONDS)
    except subprocess.TimeoutExpired:
        return f"its Python ({python}) did not load the hook's task within {_CHECK_SECONDS} s (a task module that " \
               "waits for a broker as it is imported?)"
    except OSError as exc:
        return f"its Python ({python}) cannot run: {exc.strerror}"
    if proc.returncode == 0:
        return None
    said = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    # One line, the hook's own; an interpreter that dies without one is named by its status.
    return said[-1].removeprefix("code-query: ") if said else f"its Python ({python}) exited with {proc.returncode}"


def judge(post_commit: HookFile, root: str) -> Optional[Tuple[bool, str]]:
    """(healthy, what to say) for doctor; None when it is not installed."""
    path = where(post_commit)
    if path is None:
        return None
    head = _head(path)
    marker, python = _MARKER.search(head), _python(head)
    if python is None or not os.access(python, os.X_OK):
        return False, f"installed, but its Python is gone ({python}): {_FIX}"
    if head != render(python):
        version = marker.group(1).decode("ascii", "replace") if marker else "?"
        return False, f"installed, but outdated (written by codequery-gitcfg {version}): {_FIX}"
    problem = check(post_commit, root)
    if problem is not None:
        return False, problem
    after = ", after our post-commit hook" if path == post_commit.chained else ""
    then = f", then the hook it replaced ({CHAINED})" if os.path.lexists(_kept(post_commit)) else ""
    return True, f"current; runs {python}{after}{then}"


__all__ = ["CHAINED", "NAME", "TEMPLATE", "check", "install", "judge", "render", "uninstall", "where"]
