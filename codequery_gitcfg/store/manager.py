"""ConfigManager: the drop-in for Code Query's ``storage/config_manager.py``."""
from __future__ import annotations

import contextlib
import math
import os
import re
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple

from ..core import fmt, judge
from ..core.defaults import copy_json, deep_merge, defaults, with_defaults
from ..core.document import Document
from ..core.errors import ConfigError, GitBusyError, Problem
from ..core.migrate import CURRENT_SCHEMA_VERSION, describe, kept_aliases, legacy_markers, migrate, to_file
from ..core.schema import KNOWN_MODELS
from . import cache, files, memo, owner
from .locking import DEFAULT_TIMEOUT, hold
from .paths import Held, Worktree, inside, swapped

Finder = Callable[[str], Optional[Worktree]]

_UNSET: Any = object()
# How a manager finds the worktree of a folder when it is given neither a worktree nor a
# finder. The store cannot ask git itself (it is below the git layer): the API wires in the
# git layer's finder when it is imported (``use_finder``), so ``codequery_gitcfg.ConfigManager``
# and the managers the CLI and hooks build are one class.
_default_finder: Optional[Finder] = None


def use_finder(finder: Optional[Finder]) -> None:
    global _default_finder
    _default_finder = finder

# Code Query's config module words every failure to load the file this way.
LOAD_ERROR_PREFIX = "Error loading configuration: "

# git holds <git dir>/index.lock while a command (merge, checkout, rebase, stash, commit -a)
# rewrites the index and the working tree: a config written meanwhile is overwritten when
# git writes its result. A write waits this long for the lock to go, then refuses.
GIT_INDEX_LOCK = "index.lock"
GIT_WAIT = 2.0
GIT_WAIT_VAR = "CODEQUERY_GITCFG_GIT_WAIT"  # seconds, instead of GIT_WAIT


def git_wait(environ: Mapping[str, str]) -> float:
    try:
        wait = float(environ.get(GIT_WAIT_VAR) or GIT_WAIT)
    except ValueError:
        return GIT_WAIT
    return wait if math.isfinite(wait) and wait >= 0 else GIT_WAIT


def run_by_git_holding_the_index(environ: Mapping[str, str]) -> bool:
    """This process runs inside a git command that holds the index lock for it: a hook of
    ``git commit -a`` or ``git commit -- path``, whose GIT_INDEX_FILE is the locked index."""
    return environ.get("GIT_INDEX_FILE", "").endswith(".lock")


def in_order(data: Any, order: Any) -> Any:
    """``data`` with the keys that ``order`` has first, in its order (recursively); the
    others follow as they come."""
    if not isinstance(data, dict) or not isinstance(order, dict):
        return data
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    return {k: in_order(data[k], order.get(k)) for k in keys}


def _file_order(previous: Optional[Dict[str, Any]]) -> Any:
    """The key order a rewrite of ``previous`` has (migrated, aliases kept where they are)."""
    if previous is None:
        return {}
    try:
        return to_file(migrate(previous).config, previous)
    except ConfigError:
        return previous


def dataset_name_from(folder_name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder_name).strip("-.")[:100]
    return name or "project"


class Migration(NamedTuple):
    """What migrating one file found, and what it wrote (or would write)."""

    verdict: judge.Verdict
    before: str  # the file's text
    after: Optional[bytes]  # the migrated bytes; None unless a migration is pending and valid
    changes: List[str]  # what differs between the file before and after, for people


def migration_of(doc: Document, *, contract: bool = False) -> Migration:
    """What migrating this document would write, in its own style: nothing unless there is
    something to do (a pending migration; with ``contract``, aliases to drop) and its result is valid."""
    verdict = judge.judge(doc.data, doc.text)
    todo = verdict.pending or (contract and bool(kept_aliases(doc.data)))
    if not todo or verdict.problems:
        return Migration(verdict, doc.text, None, [])
    new = to_file(verdict.result.config, doc.data, contract=contract)
    return Migration(verdict, doc.text, fmt.dump(new, doc.style), describe(doc.data, new))


class ConfigManager:
    """Reads, validates, caches and atomically writes one config file.

    ``finder`` locates the worktree of a folder (by default the git layer's, which the
    API wires in: ``use_finder``); ``None``, or no worktree found, and the path is only
    resolved and the lock sits beside it.
    ``inside_git``: the caller is a hook git runs while it holds the index lock (our
    pre-commit hook), so writes do not wait for that lock to go.
    """

    # The caller's own copy, as in Code Query's module: changing it changes nothing we merge.
    DEFAULT_CONFIG = defaults()
    VALID_MODELS = sorted(KNOWN_MODELS)

    def __init__(self, config_path: str | os.PathLike[str], *, worktree: Optional[Worktree] = _UNSET,
                 lock_timeout: float = DEFAULT_TIMEOUT, finder: Optional[Finder] = _UNSET,
                 inside_git: bool = False) -> None:
        self.config_path = os.fspath(config_path)
        self._finder: Optional[Finder] = _default_finder if finder is _UNSET else finder
        self.lock_timeout = lock_timeout
        self.inside_git = inside_git
        self._worktree = worktree
        self._held: Optional[Held] = None
        self._owners: Dict[str, Optional[Worktree]] = {}

    # -- paths -----------------------------------------------------------
    @property
    def worktree(self) -> Optional[Worktree]:
        if self._worktree is _UNSET:
            folder = os.path.dirname(os.path.abspath(self.config_path))
            self._worktree = self._finder(folder) if self._finder else None
        return self._worktree

    @property
    def path(self) -> str:
        """The resolved file path, refused when it leaves the worktree; checked at each use."""
        if self._held is None:
            self._held = Held(self.config_path, self.worktree)
        return self._held.real()

    def _read(self, read: Callable[[str, Optional[str]], Any]) -> Any:
        """``read(path, root)`` of the checked path, opened without following symlinks.

        A symlink swapped in between the check and the open fails the open; the
        path is then checked again, which refuses it if it now leads outside.
        """
        path = self.path
        root = self._held.root if self._held else None
        try:
            return read(path, root)
        except OSError as exc:
            if not swapped(exc) or self._held is None:
                raise
        self._held.forget()
        return read(self.path, root)

    def _document(self) -> Document:
        doc: Document = self._read(lambda path, root: files.read(path, self.config_path, root))
        return doc

    @property
    def lock_path(self) -> str:
        real = self.path
        wt = self._owner(real)
        return wt.lock_path(real) if wt else real + ".lock"

    def _owner(self, real: str) -> Optional[Worktree]:
        """The innermost worktree the file really is in: one lock for one file, whatever
        path reaches it (a submodule's config from the superproject, or through a symlink)."""
        wt = self.worktree
        folder = os.path.dirname(real)
        if self._finder is None or (wt is not None and folder == os.path.dirname(wt.default_config)):
            return wt
        if folder not in self._owners:
            found = self._finder(folder)
            if wt is not None and (found is None or not inside(found.root, wt.root)):
                found = wt
            self._owners[folder] = found
        return self._owners[folder]

    @property
    def verdicts(self) -> Optional[memo.Verdicts]:
        """The run-time memo of this file's repository (None outside one)."""
        wt = self.worktree
        return memo.Verdicts(memo.path_in(wt.git_dir, memo.CONTENT)) if wt else None

    # -- reading ---------------------------------------------------------
    def _build(self, raw: bytes, st: os.stat_result) -> Dict[str, Any]:
        # The kept result is keyed by the hash of exactly these bytes, so a same-size
        # rewrite within one timestamp tick can never be served another one.
        wt = self.worktree
        kept = memo.path_in(wt.git_dir, memo.SNAPSHOT) if wt else None
        content = memo.content_id(raw) if kept else ""
        if kept:
            config = memo.recall(kept, content)
            if config is not None:
                return config
        doc = Document.parse(raw, self.config_path)
        verdict = judge.judge(doc.data, doc.text)
        config = judge.runtime(verdict, self.config_path)
        if kept and judge.quiet(verdict):
            memo.keep(kept, content, config)
        return config

    def load_config(self, create_if_missing: bool = False) -> Dict[str, Any]:
        """Validated config merged with defaults; a stat and a copy when unchanged."""
        # The server and workers call this over and over. A hit hands out only what this
        # process read and judged inside the worktree, while the file is that same inode,
        # unchanged: one stat. A path that now leads elsewhere reaches another file and
        # misses, and the miss checks containment again before it reads a byte.
        last = self._held.last if self._held else None
        if last is not None:
            try:
                hit = cache.unchanged(last)
            except OSError:
                hit = None
            if hit is not None:
                return hit

        def load(path: str, root: Optional[str]) -> Dict[str, Any]:
            return cache.load(path, self._build, root)

        try:
            return self._read(load)  # type: ignore[no-any-return]
        except FileNotFoundError:
            if not create_if_missing:
                raise FileNotFoundError(f"Configuration file not found: {self.config_path}") from None
        self.create_default_config()
        return self._read(load)  # type: ignore[no-any-return]

    def load_raw_config(self) -> Dict[str, Any]:
        """File values merged with defaults, not validated; defaults for a missing file."""
        try:
            doc = self._document()
        except FileNotFoundError:
            return defaults()
        return with_defaults(doc.data)

    def validate_config(self, config: Dict[str, Any]) -> Dict[str, Any]:
        return judge.runtime(judge.judge(config))

    def get_processing_config(self) -> Dict[str, Any]:
        processing: Dict[str, Any] = self.load_config()["processing"]
        return processing

    def validate_config_file(self) -> List[str]:
        """Every problem of the file as text; empty when valid and current.

        A file that cannot be read or parsed gives items worded as Code Query's
        module words them (``Error loading configuration: ...``, which its own
        tests look for), each followed by our positioned detail."""
        try:
            doc = self._document()
            problems = judge.judge(doc.data, doc.text).gate_problems()
        except FileNotFoundError:
            return [f"Configuration file not found: {self.config_path}"]
        except ConfigError as exc:
            return [f"{LOAD_ERROR_PREFIX}{p.render(exc.filename)}" for p in exc.problems]
        except OSError as exc:
            return [f"{LOAD_ERROR_PREFIX}{self.config_path}: {exc.strerror or exc}"]
        return [p.render(self.config_path) for p in problems]

    # -- writing ---------------------------------------------------------
    def update(self, change: Callable[[Dict[str, Any]], None], *, strict: bool = False,
               migrated: Optional[Callable[[List[str]], None]] = None) -> Dict[str, Any]:
        """Locked read-modify-write of the file's own values (migrated), validated.

        ``strict`` applies the gate's rules (unknown keys refused), as the CLI does.
        ``migrated`` hears the migration's changes once the write is done, when the
        file was in an old shape (the write migrates it too).
        """
        with self._writing():
            try:
                doc: Optional[Document] = self._document()
            except FileNotFoundError:
                doc = None
            if doc is not None:
                disagreements = judge.judge(doc.data, doc.text).disagreements
                if disagreements:
                    raise ConfigError(disagreements, self.config_path)
            legacy = doc is not None and bool(legacy_markers(doc.data))
            # The change is made on the canonical shape (to_file puts the kept aliases back,
            # equal to their twins). A hand-written {"dataset_name": "x"} already means the
            # same in the current shape: an edit of it must not grow into a migration.
            canonical = doc is not None and (legacy or bool(kept_aliases(doc.data)))
            if doc is None:
                data = self._default_file_values()
            else:
                data = migrate(doc.data).config if canonical else copy_json(doc.data)
            change(data)
            self._check(data, strict, doc.text if doc else None)
            self._write(to_file(data, doc.data if doc else None), doc.style if doc else fmt.Style())
        if migrated is not None and legacy and doc is not None:
            migrated(describe(doc.data, to_file(migrate(doc.data).config, doc.data)))
        return data

    def migrate_file(self, *, write: bool = True, contract: bool = False) -> Migration:
        """Migrate a legacy file in place under the gate's rules; ``write=False`` only says
        what would change; ``contract`` also drops the legacy keys kept for Code Query's
        readers. Nothing is written unless there is something to do and its result is valid
        (``Migration.verdict`` says why not). Unreadable files raise."""
        if not write:
            return self._migration(self._document(), write=False, contract=contract)
        with self._writing():
            return self._migration(self._document(), write=True, contract=contract)

    def _migration(self, doc: Document, *, write: bool, contract: bool) -> Migration:
        migration = migration_of(doc, contract=contract)
        if write and migration.after is not None:
            self._write_bytes(migration.after)
        return migration

    def save_config(self, config: Dict[str, Any]) -> None:
        data = migrate(config).config
        with self._writing():
            self._check(data, strict=False)
            style, previous = self._current()
            # The file's own key order: ``save_config(load_config())`` comes in the order
            # of the merged defaults, and must not move schema_version to the end.
            self._write(in_order(to_file(data, previous), _file_order(previous)), style)

    def update_processing_mode(self, mode: str) -> None:
        if mode not in ("manual", "auto"):
            raise ConfigError([Problem("processing.mode",
                                       f"Invalid processing mode {mode!r}: must be 'manual' or 'auto'")])

        def set_mode(data: Dict[str, Any]) -> None:
            processing = data.setdefault("processing", {})
            if not isinstance(processing, dict):
                raise ConfigError([Problem("processing", "processing must be an object")])
            processing["mode"] = mode

        self.update(set_mode)

    def create_default_config(self, dataset_name: Optional[str] = None, *, schema_ref: Optional[str] = None) -> bool:
        """Write a valid default file; never overwrites one. True if it was created.

        ``schema_ref``: the ``$schema`` hint it starts with, a path relative to the file
        where a copy of the schema is (``init --schema``), so that an editor completes and
        checks the file as it is edited. None writes none: no address serves the schema.
        """
        hint = {"$schema": schema_ref} if schema_ref else {}
        with self._writing():
            if os.path.lexists(self.path):
                return False
            self._write({**hint, **self._default_file_values(dataset_name)}, fmt.Style())
            return True

    def _default_file_values(self, dataset_name: Optional[str] = None) -> Dict[str, Any]:
        wt = self.worktree
        folder = wt.root if wt else os.path.dirname(os.path.dirname(os.path.abspath(self.config_path)))
        values = {"schema_version": CURRENT_SCHEMA_VERSION,
                  "dataset_name": dataset_name or dataset_name_from(os.path.basename(folder))}
        return deep_merge(values, {k: v for k, v in defaults().items() if k != "dataset_name"})

    def _check(self, data: Dict[str, Any], strict: bool, text: Optional[str] = None) -> None:
        judge.check_writable(data, strict=strict, filename=self.config_path, text=text)

    def _current(self) -> Tuple[fmt.Style, Optional[Dict[str, Any]]]:
        """The formatting and values of the file being replaced (its aliases are kept)."""
        try:
            doc = self._document()
        except (OSError, ConfigError):
            return fmt.Style(), None
        return doc.style, doc.data

    def _write(self, data: Dict[str, Any], style: fmt.Style) -> None:
        self._write_bytes(fmt.dump(data, style))

    def write_bytes(self, data: bytes) -> None:
        """Replace the file with ``data`` as it is (a hook's checkout of a filtered config);
        the caller holds the lock."""
        self._write_bytes(data)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The lock of a read-modify-write, taken once no git command is writing this worktree."""
        self._git_idle(git_wait(os.environ))
        with hold(self.lock_path, self.lock_timeout):
            yield

    def _git_idle(self, wait: float) -> None:
        """Return once git's index lock is gone, waiting at most ``wait`` seconds; else refuse.

        Checked before the read and again right before the replace: a git command that
        started in between refuses the write at once (what was read may be git's old
        state). A process git runs while it holds the lock is part of that command."""
        if self.inside_git or run_by_git_holding_the_index(os.environ):
            return
        wt = self._owner(self.path)
        if wt is None:
            return
        lock = os.path.join(wt.git_dir, GIT_INDEX_LOCK)
        deadline = time.monotonic() + wait
        while os.path.lexists(lock):
            if time.monotonic() >= deadline:
                still = f", still after {wait:g} s" if wait else ""
                raise GitBusyError(
                    f"not written: a git command is running in this repository ({lock} exists{still}), "
                    "and would overwrite the change when it writes its result; run this again once it is done "
                    f"(if no git command is running, one that crashed left the lock: remove {lock})",
                    self.config_path)
            time.sleep(0.05)

    def _write_bytes(self, data: bytes) -> None:
        path = self.path
        self._git_idle(0)
        owner.makedirs(os.path.dirname(path))
        from . import atomic  # noqa: PLC0415 -- writes only: a read in a new process never pays for tempfile

        atomic.remove_stale_temps(path)
        try:
            atomic.write_atomic(path, data)
        finally:
            cache.forget(path)
