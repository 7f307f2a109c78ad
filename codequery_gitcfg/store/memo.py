"""Verdicts that outlive the process, and the run-time config they gave.

A blob id or a content hash names its bytes, so content that passed once
passes again under the same rules: an unchanged config then costs no schema
check and no jsonschema import, in a hook or in a new process that reads it.
The key of a whole memo is everything that can change a verdict: our version,
the bytes of the schema and of every module of the judging core (the generated
fast validator included), and the installed jsonschema.

Three memos sit in ``<git dir>/codequery-gitcfg/``:

- ``valid-blobs``: blob ids that passed the gate: staged blobs pre-commit passed or
  migrated, committed ones post-commit passed, and the results the merge driver
  wrote (``blob_id``, computed as git does). The hook scripts read it too, from the
  shell (hooks/hook.sh), under the key in ``hook-rules``;
- ``valid-content``: ids of effective configs with environment overrides applied
  that passed (their sorted JSON): an entry is only a hint that the data just
  built already passed, never a source of values;
- ``effective-config``: the run-time result (migrated in memory, defaults merged,
  before overrides) of the last file contents that judged clean (no error, no
  unknown key, no warning at all), under the rules key, that content's SHA-256
  and the SHA-256 of the result. It is a source of values: a new process then
  reads the config at the cost of the file, one hash and one ``json.loads``.
  It is believed only when it is ours (a regular file of our user, in a real
  folder) and every one of the three matches the bytes just read, so a
  same-size rewrite, a torn write or a planted entry is rebuilt, never served.

``install`` adds ``hook-rules`` in the common git dir's folder (``write_hook_rules``):
the rules key the hooks' Python computes, and the files it is computed from, so that
a post-commit hook can find a blob in ``valid-blobs`` without starting Python.

A memo that is not a regular file of ours, is under other rules, is truncated,
too long or unreadable is ignored and started again; reads take no lock (a
line is appended in one write, and a rewrite replaces the whole file). Every write first
removes the temp files killed writers left in that folder (``sweep``), the merge driver's
included (it writes its result's temp file there, out of ``git status``).

No ``typing`` at run time: a new process imports this on every commit.
"""
from __future__ import annotations

import json
import os
import stat
import sys

from ..core.jsonvalue import plain
from ..core.names import TMP_PREFIX, TMP_SUFFIX
from ..core.version import __version__
from .owner import makedirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Mapping, Optional

LIMIT = 64 * 1024
FOLDER = "codequery-gitcfg"
BLOBS = "valid-blobs"
CONTENT = "valid-content"
SNAPSHOT = "effective-config"
_key: Optional[str] = None
# Never follow a planted symlink, never block on a FIFO.
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _sha256_factory() -> Callable[..., Any]:
    # hashlib's own builtin SHA-256 (3.12+: _sha2): loading OpenSSL through
    # hashlib costs more than the rest of a memo hit. Same digest either way.
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]  # noqa: PLC0415
        except ImportError:
            from hashlib import sha256  # noqa: PLC0415
    return sha256  # type: ignore[no-any-return,unused-ignore]


_sha256 = _sha256_factory()


def path_in(git_dir: str, name: str) -> str:
    return os.path.join(git_dir, FOLDER, name)


def content_id(raw: bytes) -> str:
    return "sha256:" + str(_sha256(raw).hexdigest())


def data_id(data: Mapping[str, Any]) -> Optional[str]:
    """The id of a config as data (an effective config with overrides applied); None
    unless it holds only plain JSON values, whose sorted dump names exactly one value."""
    if not plain(data):
        return None
    return "json:" + str(_sha256(json.dumps(data, sort_keys=True).encode("ascii")).hexdigest())


class Verdicts:
    """``env.Remembered`` in a memo file: data that passed the schema check before."""

    def __init__(self, path: str) -> None:
        self.path = path

    def known(self, data: Mapping[str, Any]) -> bool:
        key = data_id(data)
        return key is not None and passed(self.path, key)

    def learn(self, data: Mapping[str, Any]) -> None:
        key = data_id(data)
        if key is not None:
            remember(self.path, key)


def _package_file(name: str) -> Optional[str]:
    # Where ``import name`` would find the package, without importing it (or
    # importlib.util, which costs more than this whole key on a hit).
    for entry in sys.path:
        origin = os.path.join(entry or os.curdir, name, "__init__.py")
        if os.path.exists(origin):
            return origin
    return None


def _package_origin(name: str) -> str:
    origin = _package_file(name)
    try:
        st = os.stat(origin) if origin else None
    except OSError:
        st = None
    if origin is None or st is None:
        return f"{name} missing"
    return f"{os.path.abspath(origin)} {st.st_size} {st.st_mtime_ns}"


def _core_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core")


def _core_files(core: str) -> List[str]:
    return [name for name in sorted(os.listdir(core)) if name.endswith((".py", ".json"))]


def _compute_key() -> str:
    digest = _sha256(__version__.encode())
    core = _core_dir()
    for name in _core_files(core):
        with open(os.path.join(core, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read())
    digest.update(_package_origin("jsonschema").encode("utf-8", "surrogateescape") + b"\0")
    return "rules " + str(digest.hexdigest())


def rules_key() -> str:
    """Changes whenever the code, the schema or either validator may have changed."""
    global _key
    if _key is None:
        _key = _compute_key()
    return _key


# -- blob ids, as git names the bytes it stores -----------------------------------------
def _sha1_factory() -> Callable[..., Any]:
    # The builtin SHA-1, as _sha256_factory: hashlib would load OpenSSL for one digest.
    try:
        from _sha1 import sha1  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        from hashlib import sha1  # noqa: PLC0415
    return sha1  # type: ignore[no-any-return,unused-ignore]


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id git gives ``data`` stored as a blob (``git hash-object``), in the repository's
    object format (``sha1`` or ``sha256``, ``extensions.objectFormat``)."""
    if object_format not in ("sha1", "sha256"):
        raise ValueError(f"unknown object format {object_format!r}")
    digest = _sha1_factory()() if object_format == "sha1" else _sha256()
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return str(digest.hexdigest())


# -- what the hook scripts may believe without starting Python --------------------------
HOOK_RULES = "hook-rules"
_END = "end"


def rules_inputs() -> List[str]:
    """Every file and folder whose change can change ``rules_key()`` in this process: the
    core's files and their folder, the jsonschema that would be imported and its folder,
    and each folder of ``sys.path`` (installing or removing any package there, ours and
    jsonschema included, changes it). Absolute paths, in a stable order."""
    core = _core_dir()
    found = [core] + [os.path.join(core, name) for name in _core_files(core)]
    origin = _package_file("jsonschema")
    if origin is not None:
        found += [os.path.abspath(origin), os.path.dirname(os.path.abspath(origin))]
    found += [entry for entry in sys.path if os.path.isabs(entry) and os.path.exists(entry)]
    try:
        import site  # noqa: PLC0415 -- only when the hooks are installed

        user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    except (ImportError, AttributeError):
        user_site = None
    if user_site and not os.path.exists(user_site):
        # A user site made later would join sys.path: the nearest folder that exists changes then.
        while not os.path.exists(user_site) and os.path.dirname(user_site) != user_site:
            user_site = os.path.dirname(user_site)
        found.append(user_site)
    return list(dict.fromkeys(found))


def write_hook_rules(path: str, python: str) -> bool:
    """Write the stamp that lets the hook scripts answer "valid" from the shell (hooks/hook.sh,
    ``known_valid``): which Python it is for, the rules key that Python computes now, and
    ``rules_inputs()``. The shell believes a memo entry only under that key, and only while
    the stamp is newer than every input (``test -nt``: a same-tick change fails it too).

    The key is computed again once the stamp is written: a change between the two
    computations removes the stamp, and any later change is newer than it. False (and no
    stamp) when it cannot be written or a path holds a newline (the shell reads lines).
    """
    key = _compute_key()
    inputs = rules_inputs()
    if "\n" in python or any("\n" in entry for entry in inputs):
        remove_hook_rules(path)
        return False
    text = f"python {python}\n{key}\n" + "".join(f"{entry}\n" for entry in inputs) + f"{_END}\n"
    try:
        folder = os.path.dirname(path)
        makedirs(folder)
        if os.path.islink(folder):
            return False
        from .atomic import write_atomic  # noqa: PLC0415 -- install only

        write_atomic(path, text.encode("utf-8", "surrogateescape"))
    except OSError:
        return False
    if _compute_key() != key or rules_inputs() != inputs:
        remove_hook_rules(path)
        return False
    return True


def remove_hook_rules(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


# A killed writer leaves its temp file behind; one older than this is nobody's any more.
STALE_SECONDS = 60.0


def folder_in(git_dir: str) -> Optional[str]:
    """``<git_dir>/codequery-gitcfg``, made if need be, for a temp file that must never show
    in ``git status`` (the merge driver's); None when it cannot be made or is no real folder."""
    folder = os.path.join(git_dir, FOLDER)
    try:
        makedirs(folder)
        return folder if stat.S_ISDIR(os.lstat(folder).st_mode) else None
    except OSError:
        return None


def sweep(folder: str) -> None:
    """Remove the temp files of ours (``.cqcfg-*.tmp``) that killed writers left in ``folder``:
    those older than a minute (a younger one may be a writer at work). Best effort."""
    try:
        names = [name for name in os.listdir(folder) if name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX)]
    except OSError:
        return
    if not names:
        return
    import time  # noqa: PLC0415 -- only when there is something to look at

    oldest = time.time() - STALE_SECONDS
    for name in names:
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and st.st_mtime < oldest:
                os.unlink(path)
        except OSError:
            pass


def _read_bytes(path: str) -> bytes:
    """The memo's bytes; b"" unless it is a regular file of ours (no symlink) in a real folder."""
    try:
        folder = os.lstat(os.path.dirname(path))
        if not stat.S_ISDIR(folder.st_mode):
            return b""
        fd = os.open(path, _FLAGS)
    except OSError:
        return b""
    try:
        st = os.fstat(fd)
        # Another user's entry could make us believe anything it says.
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            return b""
        return os.read(fd, LIMIT + 1)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _read(path: str) -> str:
    return _read_bytes(path).decode("ascii", "replace")


def passed(path: str, content: str) -> bool:
    """True when ``content`` (a blob id or ``content_id``) passed under the current rules."""
    text = _read(path)
    if not text.startswith(rules_key() + "\n"):
        return False
    # Only whole lines count: a line cut short by a killed writer matches nothing.
    return f"\n{content}\n" in text


def remember(path: str, content: str) -> None:
    """Record that ``content`` passed; a memo that cannot be written only costs time."""
    key = rules_key()
    current = _read(path)
    sweep(os.path.dirname(path))
    try:
        if current.startswith(key + "\n") and current.endswith("\n") and len(current) < LIMIT:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                os.write(fd, f"{content}\n".encode("ascii"))
            finally:
                os.close(fd)
        else:  # new rules, none yet, full, cut short or not ours: start again
            folder = os.path.dirname(path)
            makedirs(folder)
            if os.path.islink(folder):
                return
            from .atomic import write_atomic  # noqa: PLC0415 -- a hit never writes: no tempfile import for it

            write_atomic(path, f"{key}\n{content}\n".encode("ascii"), durable=False)
    except (OSError, UnicodeError):
        pass


def recall(path: str, content: str) -> Optional[Dict[str, Any]]:
    """The run-time config kept for ``content`` (a ``content_id``) under the current rules,
    or None: no entry, another content, other rules, or anything damaged."""
    data = _read_bytes(path)
    parts = data.split(b"\n", 3)
    if len(data) > LIMIT or len(parts) != 4:
        return None
    key, kept, digest, body = parts
    if key != rules_key().encode() or kept != content.encode() or digest != _sha256(body).hexdigest().encode():
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if type(value) is dict else None


def keep(path: str, content: str, value: Mapping[str, Any]) -> None:
    """Keep ``value`` as the run-time config of ``content``; one that cannot be written
    (or would not fit) only costs the next process the full read."""
    try:
        body = json.dumps(value, allow_nan=False, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):
        return
    entry = f"{rules_key()}\n{content}\n{_sha256(body).hexdigest()}\n".encode("ascii") + body
    if len(entry) > LIMIT:
        return
    sweep(os.path.dirname(path))
    try:
        folder = os.path.dirname(path)
        makedirs(folder)
        if os.path.islink(folder):
            return
        from .atomic import write_atomic  # noqa: PLC0415 -- a hit never writes: no tempfile import for it

        write_atomic(path, entry, durable=False)
    except OSError:
        pass
