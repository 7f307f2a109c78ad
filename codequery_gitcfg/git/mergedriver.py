"""The config's merge driver (gitattributes(5), "Defining a custom merge driver").

git calls it as ``merge-driver %O %A %B %L %P`` for every three-way merge of the
config: merge, pull, rebase, cherry-pick, revert, stash pop. Each side is read
strictly and migrated in memory, so a migration on one branch never conflicts
with an edit on the other; the sides then merge key by key (core/merge3). The
result goes into the %A file in ours' formatting. A member both sides changed
differently gets git-style markers around that member only, and the exit status
is 1, as git expects of a conflict. A side we cannot read (markers, not JSON, a
newer schema) is left to ``git merge-file``: never worse than git itself.

git hands a driver neither ``-X ours`` / ``-X theirs`` nor the conflict style, so the
favour is ``CODEQUERY_GITCFG_FAVOR`` (each conflicting member, or ``git merge-file``'s
conflicting lines, take that side), and ``merge.conflictStyle`` is asked of git on a
conflict only: diff3 and zdiff3 markers get base's section as git's own would.

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
from typing import Any, Dict, List, Mapping, NamedTuple, Sequence, Tuple

from ..core import fmt, judge
from ..core.document import CONFIG_PATH, Document
from ..core.errors import ConfigError, GitError, Problem, escape
from ..core.merge3 import base_side, merge3
from ..core.migrate import detect_version, kept_aliases, legacy_markers, migrate, to_file
from ..core.names import TMP_PREFIX, TMP_SUFFIX
from ..store import files, memo
from . import layout

NAME = "codequery-config"  # merge.<NAME>.driver in git config; merge=<NAME> in attributes
DEFAULT_MARKER_SIZE = 7
SKIP_VAR = "CODEQUERY_GITCFG_SKIP"  # read as git/hooks.py reads it
# core.env.TRUE_WORDS, without importing the environment overrides a merge never applies
# (tests/git/test_mergedriver_cost.py checks that they are the same words).
SKIP_WORDS = frozenset({"true", "1", "yes", "on"})
FAVOR_VAR = "CODEQUERY_GITCFG_FAVOR"  # ours | theirs: git's -X, which git passes to no driver
FAVOURS = ("ours", "theirs")
DIFF3_STYLES = ("diff3", "zdiff3")  # merge.conflictStyle values with a base section


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
    favour = _favour(environ)
    if not by_keys:
        return text_merge(base, ours, theirs, size, environ, favour)
    try:
        sides = [_read(path, f"{shown} ({name})", name == "base")
                 for path, name in ((base, "base"), (ours, "ours"), (theirs, "theirs"))]
    except (ConfigError, OSError) as exc:
        problems = exc.problems if isinstance(exc, ConfigError) else [Problem("", str(exc))]
        _say(f"cannot merge {shown} key by key; git merge-file merges its text instead:")
        for problem in problems[:3]:
            print(f"  {problem.render(exc.filename if isinstance(exc, ConfigError) else None)}", file=sys.stderr)
        code = text_merge(base, ours, theirs, size, environ, favour)
        if code:
            _say_way_out(shown)
        return code
    configs = [side.config for side in sides]
    merged = merge3(*configs)
    style = sides[1].doc.style
    previous = sides[1].doc.data
    if merged.conflicts and favour is None:
        conflict_style = _conflict_style(environ)
        was = to_file(base_side(*configs), previous) if conflict_style in DIFF3_STYLES else None
        _replace(ours, with_markers(to_file(merged.config, previous), to_file(merged.theirs_side, previous),
                                    style, size, was, zealous=conflict_style == "zdiff3"), environ)
        for conflict in merged.conflicts:
            _say(f"merge conflict in {shown} at {conflict.describe()}")
        _say(f"resolve it (the markers are around that member only), then `git add {shown}`")
        _say_way_out(shown)
        return 1
    # The legacy keys ours kept for Code Query's readers stay, equal to their merged twins.
    result = to_file(merged.theirs_side if favour == "theirs" else merged.config, previous)
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


def _favour(environ: Mapping[str, str]) -> str | None:
    """The side ``CODEQUERY_GITCFG_FAVOR`` gives each conflict (git's ``-X ours`` / ``-X theirs``);
    None when unset, and for any other word, said once: a typo merges as without it."""
    value = environ.get(FAVOR_VAR, "")
    word = value.strip().lower()
    if word in FAVOURS:
        return word
    if word:
        _say(f"{FAVOR_VAR}='{escape(value)}' is neither ours nor theirs; ignored")
    return None


def _say_way_out(shown: str) -> None:
    # git's -X never reaches a driver: taking one side is merging again with the favour.
    _say("or merge it again with one side of each conflict (git passes -X ours/theirs to no merge driver):")
    for side in reversed(FAVOURS):
        print(f"  {FAVOR_VAR}={side} git checkout -m -- {shown}", file=sys.stderr)


def _conflict_style(environ: Mapping[str, str]) -> str:
    """git's ``merge.conflictStyle`` (merge, diff3 or zdiff3), asked of git: it reads every
    config file, include and ``git -c`` as git does. Only a conflict asks (a clean merge
    starts no git); where git cannot answer, git's default, merge."""
    from . import repo  # noqa: PLC0415 -- the git layer, for conflicts only

    try:
        proc = repo.run_git(["config", "--get", "merge.conflictStyle"], environ=environ, check=False)
    except GitError:
        return "merge"
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else "merge"


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
    tmp = os.path.join(_temp_folder(folder, environ), f"{TMP_PREFIX}merge-{name}.{os.getpid()}{TMP_SUFFIX}")
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


def with_markers(ours_side: Mapping[str, Any], theirs_side: Mapping[str, Any], style: fmt.Style, size: int,
                 base_side: Mapping[str, Any] | None = None, zealous: bool = False) -> bytes:
    """The two sides of a merge, written out, with git-style markers around the lines that differ.

    With ``base_side`` (the same merge with base's side of each conflict), diff3's markers: each
    conflict also shows base's lines, between ``|||||||`` and ``=======``, and spans what either
    side changed from base, as git's diff3 does; ``zealous`` (zdiff3) then moves the lines both
    sides share at either end of a conflict out of it.
    """
    import difflib  # noqa: PLC0415 -- conflicts only

    ours, theirs = _lines(ours_side, style), _lines(theirs_side, style)
    nl = style.newline
    out: List[str] = []
    if base_side is None:
        matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out += ours[i1:i2] if tag == "equal" else _conflict(ours[i1:i2], None, theirs[j1:j2], size, nl)
        return _encoded(out, style)
    for mine, was, other in _chunks(ours, _lines(base_side, style), theirs):
        if mine == other:
            out += mine
            continue
        head = tail = 0
        if zealous:
            while head < min(len(mine), len(other)) and mine[head] == other[head]:
                head += 1
            while tail < min(len(mine), len(other)) - head and mine[-1 - tail] == other[-1 - tail]:
                tail += 1
        out += mine[:head]
        out += _conflict(mine[head:len(mine) - tail], was, other[head:len(other) - tail], size, nl)
        out += mine[len(mine) - tail:]
    return _encoded(out, style)


def _lines(side: Mapping[str, Any], style: fmt.Style) -> List[str]:
    return fmt.dump(side, style).decode("utf-8-sig").splitlines(keepends=True)


def _encoded(lines: List[str], style: fmt.Style) -> bytes:
    return (("\ufeff" if style.bom else "") + "".join(lines)).encode("utf-8")


def _conflict(ours: List[str], base: List[str] | None, theirs: List[str], size: int, nl: str) -> List[str]:
    """One conflict in git's markers; ``base`` (diff3) gets its own section."""
    out = ["<" * size + " ours" + nl, *_ended(ours, nl)]
    if base is not None:
        out += ["|" * size + " base" + nl, *_ended(base, nl)]
    return [*out, "=" * size + nl, *_ended(theirs, nl), ">" * size + " theirs" + nl]


def _chunks(ours: List[str], base: List[str], theirs: List[str]) -> List[Tuple[List[str], List[str], List[str]]]:
    """diff3's chunks of three texts: (ours, base, theirs) line lists, which are one line of
    each where all three agree (a base line both diffs keep, in step), and between those
    whatever either side changed from base. Unlike diff3, a chunk is never merged line by
    line: the texts differ only at members the key merge found in conflict, and a list
    edited on both sides stays a conflict even where its lines would merge."""
    import difflib  # noqa: PLC0415 -- conflicts only

    def kept(side: List[str]) -> Dict[int, int]:
        found: Dict[int, int] = {}
        for a, b, n in difflib.SequenceMatcher(None, base, side, autojunk=False).get_matching_blocks():
            found.update((a + k, b + k) for k in range(n))
        return found

    in_ours, in_theirs = kept(ours), kept(theirs)
    chunks: List[Tuple[List[str], List[str], List[str]]] = []
    b0 = o0 = t0 = 0
    for b1, line in enumerate(base):
        o1, t1 = in_ours.get(b1), in_theirs.get(b1)
        if o1 is None or t1 is None:
            continue
        if (b1, o1, t1) != (b0, o0, t0):
            chunks.append((ours[o0:o1], base[b0:b1], theirs[t0:t1]))
        chunks.append(([line], [line], [line]))
        b0, o0, t0 = b1 + 1, o1 + 1, t1 + 1
    if (b0, o0, t0) != (len(base), len(ours), len(theirs)):
        chunks.append((ours[o0:], base[b0:], theirs[t0:]))
    return chunks


def _ended(lines: List[str], nl: str) -> List[str]:
    # A file without a final newline: its last line must not run into the marker after it.
    if not lines or lines[-1].endswith("\n"):
        return lines
    return [*lines[:-1], lines[-1] + nl]


def text_merge(base: str, ours: str, theirs: str, size: int, environ: Mapping[str, str],
               favour: str | None = None) -> int:
    """git's own line merge, in place into ``ours``: what git does without this driver, and
    with ``favour`` what ``-X ours`` / ``-X theirs`` does. ``merge.conflictStyle`` needs no
    option: ``git merge-file`` reads it from git's config, as git's merge does."""
    from . import repo  # noqa: PLC0415 -- the git layer, for the sides we cannot merge by keys

    chosen = [f"--{favour}"] if favour else []
    proc = repo.run_git(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs", f"--marker-size={size}",
                         *chosen, "--", ours, base, theirs], environ=environ, check=False)
    if proc.returncode == 0:
        return 0
    if proc.returncode >= 128 or proc.returncode < 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(f"git merge-file failed: {message!r}")
    return 1


__all__ = ["DEFAULT_MARKER_SIZE", "FAVOR_VAR", "NAME", "SKIP_VAR", "merge_driver", "run", "text_merge", "with_markers"]
