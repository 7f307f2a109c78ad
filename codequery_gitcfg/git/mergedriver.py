"""The config's merge driver (gitattributes(5), "Defining a custom merge driver").

git calls it as ``merge-driver %O %A %B %L %P`` for every three-way merge of the
config: merge, pull, rebase, cherry-pick, revert, stash pop. Each side is read
strictly and migrated in memory, so a migration on one branch never conflicts
with an edit on the other; the sides then merge key by key (core/merge3). The
result goes into the %A file in ours' formatting. A member both sides changed
differently gets git-style markers around that member only, and the exit status
is 1, as git expects of a conflict. A side we cannot read (markers, not JSON, a
newer schema) is left to ``git merge-file``: never worse than git itself.
"""
from __future__ import annotations

import difflib
import sys
from typing import Any, Dict, List, Mapping, NamedTuple, Sequence

from ..core import fmt, judge
from ..core.errors import ConfigError, Problem
from ..core.merge3 import merge3
from ..core.migrate import detect_version, kept_aliases, legacy_markers, migrate, to_file
from ..store import files
from ..store.atomic import write_atomic
from . import repo

NAME = "codequery-config"  # merge.<NAME>.driver in git config; merge=<NAME> in attributes
DEFAULT_MARKER_SIZE = 7
_BOM = b"\xef\xbb\xbf"


class _Side(NamedTuple):
    raw: bytes
    text: str
    data: Dict[str, Any]  # as in the file
    config: Dict[str, Any]  # migrated to the canonical shape


def _say(message: str) -> None:
    print(f"codequery-gitcfg: {message}", file=sys.stderr)


def _read(path: str, label: str, empty_ok: bool) -> _Side:
    raw = files.read_bytes(path)[0]
    if empty_ok and not raw.strip():
        return _Side(raw, "", {}, {})  # added on both sides: git's base is an empty file
    text, data = judge.parse(raw, label)
    try:
        detect_version(data)  # a newer schema is not ours to merge
        # As every rewrite of ours: a file without legacy keys already means the
        # same in the current shape, and is taken as it is.
        legacy = legacy_markers(data) or kept_aliases(data)
        return _Side(raw, text, data, migrate(data).config if legacy else data)
    except ConfigError as exc:
        raise type(exc)(exc.problems, label) from None


def merge_driver(args: Sequence[str], environ: Mapping[str, str], by_keys: bool = True) -> int:
    """Merge the files ``%O %A %B`` into ``%A``; 0 when clean, 1 on a conflict."""
    if len(args) < 3:
        raise ConfigError("usage: merge-driver BASE OURS THEIRS [MARKER-SIZE [PATH]] (as git's %O %A %B %L %P)")
    base, ours, theirs = args[:3]
    try:
        size = int(args[3]) if len(args) > 3 else DEFAULT_MARKER_SIZE
    except ValueError:
        raise ConfigError(f"marker size must be a number, not {args[3]!r}") from None
    label = args[4] if len(args) > 4 else ".code-query/config.json"
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
    style = fmt.detect(sides[1].text, bom=sides[1].raw.startswith(_BOM))
    previous = sides[1].data
    if merged.conflicts:
        write_atomic(ours, with_markers(to_file(merged.config, previous), to_file(merged.theirs_side, previous),
                                        style, size))
        for conflict in merged.conflicts:
            _say(f"merge conflict in {shown} at {conflict.describe()}")
        _say(f"resolve it (the markers are around that member only), then `git add {shown}`")
        return 1
    # The legacy keys ours kept for Code Query's readers stay, equal to their merged twins.
    result = to_file(merged.config, previous)
    data = fmt.dump(result, style)
    verdict = judge.judge(result, data.decode("utf-8-sig"))
    write_atomic(ours, data)
    if verdict.problems:
        _say(f"merged {shown} key by key, but the result is not valid:")
        for problem in verdict.problems:
            print(f"  {problem.render(shown)}", file=sys.stderr)
        _say(f"fix it, then `git add {shown}`")
        return 1
    return 0


def with_markers(ours_side: Mapping[str, Any], theirs_side: Mapping[str, Any], style: fmt.Style, size: int) -> bytes:
    """The two sides of a merge, written out, with git-style markers around the lines that differ."""
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
    proc = repo.run_git(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs", f"--marker-size={size}",
                         "--", ours, base, theirs], environ=environ, check=False)
    if proc.returncode == 0:
        return 0
    if proc.returncode >= 128 or proc.returncode < 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(f"git merge-file failed: {message!r}")
    return 1


__all__ = ["DEFAULT_MARKER_SIZE", "NAME", "merge_driver", "text_merge", "with_markers"]
