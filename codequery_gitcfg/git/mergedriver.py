"""The config's merge driver (gitattributes(5), "Defining a custom merge driver").

git calls it as ``merge-driver %O %A %B %L %P`` for every three-way merge of the
config: merge, pull, rebase, cherry-pick, revert, stash pop. Each side is read
strictly and migrated in memory, so a migration on one branch never conflicts
with an edit on the other; the sides then merge key by key (core/merge3). The
result goes into the %A file in ours' formatting. A member both sides changed
differently gets git-style markers around that member only, and the exit status
is 1, as git expects of a conflict. A side we cannot read (markers, not JSON, a
newer schema) is left to ``git merge-file``: never worse than git itself.

A valid result's blob id (``memo.blob_id``, as git will store it) goes into the
memo of valid blobs, so the commit git then makes of it (each commit of a
cherry-pick range, a revert, a rebase) is known to the post-commit hook's shell.

git starts a new process per merge: this module imports what a merge uses and
nothing else (``cli.hook`` comes straight here, before the hooks' modules). A valid
result is judged by the fast validator (``judge`` asks jsonschema only when that
fails, for the messages); difflib (markers), the git layer (``git merge-file``) and
the temp-file machinery of ``store.atomic`` are not needed to merge cleanly.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Mapping, NamedTuple, Sequence

from ..core import fmt, judge
from ..core.document import CONFIG_PATH, Document
from ..core.errors import ConfigError, Problem
from ..core.merge3 import merge3
from ..core.migrate import detect_version, kept_aliases, legacy_markers, migrate, to_file
from ..store import files, memo
from . import layout

NAME = "codequery-config"  # merge.<NAME>.driver in git config; merge=<NAME> in attributes
DEFAULT_MARKER_SIZE = 7
SKIP_VAR = "CODEQUERY_GITCFG_SKIP"  # read as git/hooks.py reads it
# core.env.TRUE_WORDS, without importing the environment overrides a merge never applies
# (tests/git/test_mergedriver_cost.py checks that they are the same words).
SKIP_WORDS = frozenset({"true", "1", "yes", "on"})
# Our temp files' names (store.atomic's, which the memo's sweep removes once stale).
_TMP_PREFIX, _TMP_SUFFIX = memo.TMP_PREFIX, memo.TMP_SUFFIX


class _Side(NamedTuple):
    doc: Document  # as in the file
    config: Dict[str, Any]  # migrated to the canonical shape


def _say(message: str) -> None:
    print(f"codequery-gitcfg: {message}", file=sys.stderr)


def _read(path: str, label: str, empty_ok: bool) -> _Side:
    raw = files.read_bytes(path)[0]
    if empty_ok and not raw.strip():
        return _Side(Document(label, raw, "", {}), {})  # added on both sides: git's base is an empty file
    doc = Document.parse(raw, label)
    try:
        detect_version(doc.data)  # a newer schema is not ours to merge
        # As every rewrite of ours: a file without legacy keys already means the
        # same in the current shape, and is taken as it is.
        legacy = legacy_markers(doc.data) or kept_aliases(doc.data)
        return _Side(doc, migrate(doc.data).config if legacy else doc.data)
    except ConfigError as exc:
        raise type(exc)(exc.problems, label) from None


def run(args: Sequence[str], environ: Mapping[str, str]) -> int:
    """What git's registered command runs (``hook merge-driver %O %A %B %L %P``).
    Skipped (CODEQUERY_GITCFG_SKIP), it still has to merge: git's own text merge."""
    return merge_driver(args, environ, by_keys=environ.get(SKIP_VAR, "").strip().lower() not in SKIP_WORDS)


def merge_driver(args: Sequence[str], environ: Mapping[str, str], by_keys: bool = True) -> int:
    """Merge the files ``%O %A %B`` into ``%A``; 0 when clean, 1 on a conflict."""
    if len(args) < 3:
        raise ConfigError("usage: merge-driver BASE OURS THEIRS [MARKER-SIZE [PATH]] (as git's %O %A %B %L %P)")
    base, ours, theirs = args[:3]
    try:
        size = int(args[3]) if len(args) > 3 else DEFAULT_MARKER_SIZE
    except ValueError:
        raise ConfigError(f"marker size must be a number, not {args[3]!r}") from None
    label = args[4] if len(args) > 4 else CONFIG_PATH
    shown = label if label.isprintable() else repr(label)
    if not by_keys:
        return text_merge(base, ours, theirs, size, environ)
    try:
        sides = [_read(path, f"{shown} ({name})", name == "base")
                 for path, name in ((base, "base"), (ours, "ours"), (theirs, "theirs"))]
    except (ConfigError, OSError) as exc:
        problems = exc.problems if isinstance(exc, ConfigError) else [Problem("", str(exc))]
        _say(f"cannot merge {shown} key by key; git merge-file merges its text instead:")
        for problem in problems[:3]:
            print(f"  {problem.render(exc.filename if isinstance(exc, ConfigError) else None)}", file=sys.stderr)
        return text_merge(base, ours, theirs, size, environ)
    merged = merge3(sides[0].config, sides[1].config, sides[2].config)
    style = sides[1].doc.style
    previous = sides[1].doc.data
    if merged.conflicts:
        _replace(ours, with_markers(to_file(merged.config, previous), to_file(merged.theirs_side, previous),
                                    style, size), environ)
        for conflict in merged.conflicts:
            _say(f"merge conflict in {shown} at {conflict.describe()}")
        _say(f"resolve it (the markers are around that member only), then `git add {shown}`")
        return 1
    # The legacy keys ours kept for Code Query's readers stay, equal to their merged twins.
    result = to_file(merged.config, previous)
    data = fmt.dump(result, style)
    verdict = judge.judge(result, data.decode("utf-8-sig"))
    _replace(ours, data, environ)
    if verdict.problems:
        _say(f"merged {shown} key by key, but the result is not valid:")
        for problem in verdict.problems:
            print(f"  {problem.render(shown)}", file=sys.stderr)
        _say(f"fix it, then `git add {shown}`")
        return 1
    if not verdict.pending:
        _remember(data, environ)
    return 0


def _replace(path: str, data: bytes, environ: Mapping[str, str]) -> None:
    """Put ``data`` in place of git's %A file, in one rename: a driver killed halfway leaves
    %A as git wrote it, and the registered command's ``git merge-file`` merges that.

    The temp file is written in our folder of the git dir (``_temp_folder``): %A is at the
    worktree's top, where a temp file a killed driver left would show in ``git status``
    and go in with ``git add -A``; there, the memo's next write removes it.

    Not ``store.atomic.write_atomic``: %A is git's temporary file, read once the driver
    exits, so nothing needs to reach the disk (no fsync), and a temp name of our own
    needs no ``tempfile`` (an import that costs a merge more than the merge itself).
    """
    folder, name = os.path.split(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    tmp = os.path.join(_temp_folder(folder, environ), f"{_TMP_PREFIX}merge-{name}.{os.getpid()}{_TMP_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _temp_folder(beside: str, environ: Mapping[str, str]) -> str:
    """Our folder in the git dir of the worktree git runs us in, when it is on the file system
    of %A's folder (``beside``: a rename cannot leave one); else ``beside`` itself."""
    git_dir = layout.hook_git_dir(environ)
    folder = memo.folder_in(os.path.abspath(git_dir)) if git_dir else None
    try:
        if folder is not None and os.stat(folder).st_dev == os.stat(beside).st_dev:
            return folder
    except OSError:
        pass
    return beside


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remember(data: bytes, environ: Mapping[str, str]) -> None:
    """Record the valid result as the blob git will store (``valid-blobs``, where pre-commit
    and post-commit record theirs): the commit git then makes of this merge costs the
    post-commit hook no Python. Where the git dir or its object format is unclear, nothing
    is recorded (the hook then judges the commit in Python, as without this)."""
    git_dir = layout.hook_git_dir(environ)
    object_format = layout.object_format(layout.common_dir(git_dir)) if git_dir else None
    if git_dir is None or object_format is None:
        return
    memo.remember(memo.path_in(os.path.abspath(git_dir), memo.BLOBS), memo.blob_id(data, object_format))


def with_markers(ours_side: Mapping[str, Any], theirs_side: Mapping[str, Any], style: fmt.Style, size: int) -> bytes:
    """The two sides of a merge, written out, with git-style markers around the lines that differ."""
    import difflib  # noqa: PLC0415 -- conflicts only

    ours = fmt.dump(ours_side, style).decode("utf-8-sig").splitlines(keepends=True)
    theirs = fmt.dump(theirs_side, style).decode("utf-8-sig").splitlines(keepends=True)
    nl = style.newline
    out: List[str] = []
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += ours[i1:i2]
            continue
        out.append("<" * size + " ours" + nl)
        out += _ended(ours[i1:i2], nl)
        out.append("=" * size + nl)
        out += _ended(theirs[j1:j2], nl)
        out.append(">" * size + " theirs" + nl)
    return (("\ufeff" if style.bom else "") + "".join(out)).encode("utf-8")


def _ended(lines: List[str], nl: str) -> List[str]:
    # A file without a final newline: its last line must not run into the marker after it.
    if not lines or lines[-1].endswith("\n"):
        return lines
    return [*lines[:-1], lines[-1] + nl]


def text_merge(base: str, ours: str, theirs: str, size: int, environ: Mapping[str, str]) -> int:
    """git's own line merge, in place into ``ours``: what git does without this driver."""
    from . import repo  # noqa: PLC0415 -- the git layer, for the sides we cannot merge by keys

    proc = repo.run_git(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs", f"--marker-size={size}",
                         "--", ours, base, theirs], environ=environ, check=False)
    if proc.returncode == 0:
        return 0
    if proc.returncode >= 128 or proc.returncode < 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(f"git merge-file failed: {message!r}")
    return 1


__all__ = ["DEFAULT_MARKER_SIZE", "NAME", "SKIP_VAR", "merge_driver", "run", "text_merge", "with_markers"]
