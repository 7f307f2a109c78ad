"""Verdicts that outlive the process, and the run-time config they gave.

A blob id or a content hash names its bytes, so content that passed once
passes again under the same rules: an unchanged config then costs no schema
check and no jsonschema import, in a hook or in a new process that reads it.
The key of a whole memo is everything that can change a verdict: our version,
the bytes of the schema and of every module of the judging core (the generated
fast validator included), and the installed jsonschema.

Three files sit in ``<git dir>/codequery-gitcfg/``:

- ``valid-blobs``: staged blob ids that passed the gate;
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

A memo that is not a regular file of ours, is under other rules, is truncated,
too long or unreadable is ignored and started again; reads take no lock (a
line is appended in one write, and a rewrite replaces the whole file).

No ``typing`` at run time: a new process imports this on every commit.
"""
from __future__ import annotations

import json
import os
import stat
import sys

from ..core.jsonvalue import plain
from ..core.version import __version__
from .owner import makedirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Mapping, Optional

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


def _package_origin(name: str) -> str:
    # Where ``import name`` would find the package, without importing it (or
    # importlib.util, which costs more than this whole key on a hit).
    for entry in sys.path:
        origin = os.path.join(entry or os.curdir, name, "__init__.py")
        try:
            st = os.stat(origin)
        except OSError:
            continue
        return f"{os.path.abspath(origin)} {st.st_size} {st.st_mtime_ns}"
    return f"{name} missing"


def rules_key() -> str:
    """Changes whenever the code, the schema or either validator may have changed."""
    global _key
    if _key is None:
        digest = _sha256(__version__.encode())
        core = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core")
        for name in sorted(os.listdir(core)):
            if name.endswith((".py", ".json")):
                with open(os.path.join(core, name), "rb") as f:
                    digest.update(name.encode() + b"\0" + f.read())
        digest.update(_package_origin("jsonschema").encode("utf-8", "surrogateescape") + b"\0")
        _key = "rules " + digest.hexdigest()
    return _key


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
    try:
        folder = os.path.dirname(path)
        makedirs(folder)
        if os.path.islink(folder):
            return
        from .atomic import write_atomic  # noqa: PLC0415 -- a hit never writes: no tempfile import for it

        write_atomic(path, entry, durable=False)
    except OSError:
        pass
