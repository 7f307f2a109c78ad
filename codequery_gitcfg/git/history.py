"""The config across history: a batch of commits judged at once.

One engine for ``validate --rev`` / ``validate --range``, the pre-push hook, the
server's pre-receive hook and post-rewrite (the end of a rebase). Whatever the batch:

- ONE ``git log --raw`` lists the commits whose config differs from their first
  parent's (``repo.config_changes``: merges against their first parent, root commits
  against nothing, side branches of a merge included);
- ONE ``git cat-file --batch-check`` gives each distinct blob's size from the object's
  header, so a 100 MB blob is refused without being read;
- the verdict memo (``store.memo``, keyed by blob id) makes a blob that passed before
  free: one committed through pre-commit costs nothing at push time;
- ONE ``git cat-file --batch`` reads the rest, each distinct blob once, one at a time;
- each is judged as every config is: ``Document.parse`` then ``judge.judge``;
- commits are named (``repo.abbreviations``, one more ``git log``) only when printed.

A symlink at the config path (or at its folder) is refused, not followed. Nothing here
touches a working tree: it works in a bare repository and inside a push's quarantine.
"""
from __future__ import annotations

import os
import sys
from typing import Dict, List, Mapping, NamedTuple, Optional, Protocol, Sequence, Tuple

from ..core import judge
from ..core.document import CONFIG_PATH, MAX_BYTES, TOO_LARGE, Document
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, Problem, ReadError, escape
from ..core.report import say, say_problems
from ..store import memo
from . import ops, repo

SYMLINK, GITLINK = "120000", "160000"
FILES = ("100644", "100755")
SETTINGS = "codequery-gitcfg"  # the git config section of the knobs: allowLegacy, tipsOnly
LEARN = 64  # clean blobs a batch adds to the verdict memo, at most (the newest)


class Judged(NamedTuple):
    """What the rules make of one committed config."""

    problems: Tuple[Problem, ...]  # what is wrong, besides a pending migration
    verdict: Optional[judge.Verdict] = None  # None: a memo hit, or not readable at all
    unreadable: bool = False

    @property
    def markers(self) -> List[str]:
        return list(self.verdict.markers) if self.verdict is not None else []

    @property
    def clean(self) -> bool:
        return not self.problems and not self.markers

    def gate(self, fix: str) -> List[Problem]:
        """``validate``'s problems: a pending migration is a failure too, naming ``fix``."""
        return self.verdict.gate_problems(fix=fix) if self.verdict is not None else list(self.problems)


CLEAN = Judged(())


class Change(NamedTuple):
    """A commit that changes the config, and the verdict on what it carries."""

    name: repo.CommitName
    path: str  # CONFIG_PATH, or its folder when the folder itself is what changed
    mode: str
    blob: str  # the full id ("" when the config is not a file in this commit)
    judged: Judged

    @property
    def label(self) -> str:
        return f"{self.name.short}:{self.path}"

    @property
    def title(self) -> str:
        return f"commit {self.name.short} ({escape(self.name.subject)})"


class Finding(NamedTuple):
    change: Change
    problems: List[Problem]
    ref: Optional[str] = None  # the branch it is the tip of, when the legacy rule at tips found it

    @property
    def unreadable(self) -> bool:
        return self.change.judged.unreadable


class Examined(NamedTuple):
    changes: List[Change]  # oldest first (a range), or in the order named
    tips: Dict[str, Optional[Change]]  # ref -> the change whose config its tip carries (None: none here)


# -- judging -------------------------------------------------------------------------
def _refused_entry(change: repo.ConfigChange) -> Optional[Judged]:
    """A config that is not a regular file: refused by its mode alone, never read."""
    if change.mode == SYMLINK:
        return Judged((Problem("", "is a symbolic link in this commit (mode 120000); links are not followed here: "
                                   "commit the file itself"),), unreadable=True)
    if change.mode == GITLINK:
        return Judged((Problem("", "is a submodule in this commit, not a file"),), unreadable=True)
    return None


def judge_blob(raw: bytes, label: str) -> Judged:
    try:
        doc = Document.parse(raw, label)
    except ConfigError as exc:
        return Judged(tuple(exc.problems), unreadable=True)
    try:
        verdict = judge.judge(doc.data, doc.text)
    except ConfigError as exc:  # written by a newer tool, say
        return Judged(tuple(exc.problems), unreadable=isinstance(exc, ReadError))
    return Judged(tuple(verdict.problems), verdict)


_TOO_LARGE = Judged((Problem("", TOO_LARGE),), unreadable=True)
_NOT_A_BLOB = Judged((Problem("", "cannot be read from git (not a blob)"),), unreadable=True)


def judge_blobs(names: Sequence[str], cwd: Optional[str], environ: Mapping[str, str], *,
                memo_path: Optional[str] = None, learn: int = 0,
                extra: Sequence[str] = ()) -> Tuple[Dict[str, Tuple[str, Judged]], Dict[str, Optional[str]]]:
    """Each distinct blob of ``names`` (full ids; an abbreviated one works too) judged once:
    by name, its full id and verdict. ``extra`` (``REV:PATH`` queries) are only named, in the same git
    call: by query, the full id of the blob there (None when there is none).

    The memo learns the last ``learn`` clean blobs judged (the newest, in a range listed
    oldest first): it holds about 1,500 ids, and a range of thousands would only churn it.
    """
    distinct = list(dict.fromkeys(names))
    infos = repo.object_info([*distinct, *extra], cwd, environ)
    # No memo yet (a fresh clone, CI): nothing to ask it once per blob.
    asked = memo_path if memo_path is not None and os.path.exists(memo_path) else None
    named = {query: (info.name if info is not None and info.kind == "blob" else None)
             for query, info in zip(extra, infos[len(distinct):])}
    by_id: Dict[str, Judged] = {}
    full: Dict[str, str] = {}
    wanted: Dict[str, None] = {}  # ordered, and a set: thousands of blobs
    for name, info in zip(distinct, infos):
        if info is None or info.kind != "blob":
            full[name] = name
            by_id[name] = _NOT_A_BLOB
            continue
        full[name] = info.name
        if info.name in by_id or info.name in wanted:
            continue
        if info.size > MAX_BYTES:
            by_id[info.name] = _TOO_LARGE
        elif asked is not None and memo.passed(asked, info.name):
            by_id[info.name] = CLEAN
        else:
            wanted[info.name] = None
    clean: List[str] = []
    for sha, raw in repo.read_blobs(list(wanted), cwd, environ, MAX_BYTES):
        verdict = _NOT_A_BLOB if raw is None else judge_blob(raw, CONFIG_PATH)
        by_id[sha] = verdict
        if verdict.clean:
            clean.append(sha)
    if memo_path is not None and learn > 0:
        for sha in clean[-learn:]:
            memo.remember(memo_path, sha)
    return {name: (full[name], by_id[full[name]]) for name in distinct}, named


def examine(revs: Sequence[str], cwd: Optional[str], environ: Mapping[str, str], *, walk: bool = True,
            ignore_missing: bool = False, tips: Optional[Mapping[str, str]] = None,
            memo_path: Optional[str] = None, learn: int = 0) -> Examined:
    """List the config's changes in ``revs`` and judge each distinct blob once.

    ``tips`` (ref -> commit): for each, the change whose config that commit carries,
    when one of these changes brought it (None otherwise: nothing new at that tip).
    """
    listed = repo.config_changes(revs, cwd, environ, walk=walk, ignore_missing=ignore_missing)
    tips = dict(tips or {})
    readable = [c.blob for c in listed if c.mode in FILES]
    queries = {ref: f"{sha}:{CONFIG_PATH}" for ref, sha in tips.items()}
    judged, named = (judge_blobs(readable, cwd, environ, memo_path=memo_path, learn=learn,
                                 extra=list(dict.fromkeys(queries.values())))
                     if listed else ({}, {}))
    changes: List[Change] = []
    for c in listed:
        refused = _refused_entry(c)
        if refused is not None:
            changes.append(Change(c.name, c.path, c.mode, "", refused))
        elif c.mode in FILES:
            sha, verdict = judged[c.blob]
            changes.append(Change(c.name, c.path, c.mode, sha, verdict))
        # else: deleted, or a file where the folder was: no config in that commit
    at_tip: Dict[str, Optional[Change]] = {}
    for ref, sha in tips.items():
        blob = named.get(queries[ref])
        carrying = [c for c in changes if blob and c.blob == blob and c.path == CONFIG_PATH]
        exact = [c for c in carrying if c.name.commit == sha]
        at_tip[ref] = (exact or carrying)[-1] if carrying else None
    return Examined(changes, at_tip)


# -- the rules of each caller ------------------------------------------------------------
EVERYWHERE, AT_TIPS, NOWHERE = "everywhere", "tips", "nowhere"


def findings(examined: Examined, *, legacy: str, fix: str, tips_only: bool = False) -> List[Finding]:
    """What is refused: an invalid config in any commit (``tips_only``: at a tip), and a
    legacy one wherever ``legacy`` says (every commit, branch tips, or nowhere)."""
    found: List[Finding] = []
    if not tips_only:
        for change in examined.changes:
            judged = change.judged
            if legacy == EVERYWHERE and judged.markers:
                found.append(Finding(change, judged.gate(fix)))
            elif judged.problems:
                found.append(Finding(change, list(judged.problems)))
    for ref, at_tip in examined.tips.items():
        if at_tip is None:
            continue
        change, judged = at_tip, at_tip.judged
        legacy_here = legacy != NOWHERE and bool(judged.markers)
        if tips_only and (judged.problems or legacy_here):
            found.append(Finding(change, judged.gate(fix) if legacy_here else list(judged.problems), ref))
        elif not tips_only and legacy == AT_TIPS and legacy_here and not judged.problems:
            found.append(Finding(change, judged.gate(fix), ref))
    return found


# -- validate --rev / --range ------------------------------------------------------------
class Reporter(Protocol):
    """What ``validate`` reports to (``--format text|json|github``)."""

    def problems(self, label: str, problems: Sequence[Problem], *, unreadable: bool = False) -> None: ...

    def passed(self, label: str) -> None: ...

    def finish(self) -> None: ...


def range_revs(base: Optional[str], head: str) -> List[str]:
    """``base..head`` as git walks it; without a base (none, or git's all-zero id, as CI
    and the pre-commit framework give for a new branch): ``head``'s commits that no
    remote-tracking branch has."""
    if not base or repo.is_null(base):
        return [head, "--not", "--remotes"]
    return [f"{base}..{head}"]


def split_range(text: str) -> Tuple[str, str]:
    """``A..B`` as (A, B); refused (a usage error) unless it is one."""
    base, sep, head = text.partition("..")
    if not sep or head.startswith(".") or not head:
        raise ValueError(f"--range takes A..B (two revisions and two dots), not {text!r}")
    return base, head


def _git_dir(cwd: Optional[str], environ: Mapping[str, str]) -> Optional[str]:
    try:
        return repo.absolute_git_dir(cwd, environ)
    except ConfigError:
        return None


def validate_range(revs: Sequence[str], cwd: Optional[str], environ: Mapping[str, str], out: Reporter, *,
                   allow_legacy: bool = False, heading: Optional[Heading] = None, passes: bool = True) -> int:
    """``validate --range``: every commit of ``revs`` that changes the config. ``passes``:
    report the commits that pass too (``-v`` lists them; naming thousands costs git a search each)."""
    fix = ops.fix_command(CONFIG_PATH, environ, default=True)
    git_dir = _git_dir(cwd, environ)
    memo_path = memo.path_in(git_dir, memo.BLOBS) if git_dir else None
    examined = examine(revs, cwd, environ, memo_path=memo_path, learn=LEARN)
    found = findings(examined, legacy=NOWHERE if allow_legacy else EVERYWHERE, fix=fix)
    failing = {(f.change.name.commit, f.change.path) for f in found}
    passed = [c for c in examined.changes if (c.name.commit, c.path) not in failing] if passes else []
    found, passed = abbreviated(found, cwd, environ, also=passed)
    return _report(passed, found, out, heading)


def validate_rev(rev: str, cwd: Optional[str], environ: Mapping[str, str], out: Reporter, *,
                 allow_legacy: bool = False, heading: Optional[Heading] = None) -> int:
    """``validate --rev``: the config as committed at ``rev``."""
    fix = ops.fix_command(CONFIG_PATH, environ, default=True)
    names = repo.commit_names([rev], cwd, environ)
    if len(names) != 1:
        raise ConfigError(f"{rev}: not one commit")
    name = names[0]
    entry = repo.tree_config(name.commit, cwd, environ)
    if entry is None:
        change = Change(name, CONFIG_PATH, "", "", Judged((Problem("", "file not found in this commit"),),
                                                          unreadable=True))
    else:
        listed = repo.ConfigChange(name, *entry)
        refused = _refused_entry(listed)
        if refused is not None or listed.mode not in FILES:
            change = Change(name, listed.path, listed.mode, "", refused or _NOT_A_BLOB)
        else:
            git_dir = _git_dir(cwd, environ)
            memo_path = memo.path_in(git_dir, memo.BLOBS) if git_dir else None
            sha, judged = judge_blobs([listed.blob], cwd, environ, memo_path=memo_path, learn=LEARN)[0][listed.blob]
            change = Change(name, listed.path, listed.mode, sha, judged)
    found = findings(Examined([change], {}), legacy=NOWHERE if allow_legacy else EVERYWHERE, fix=fix)
    return _report([] if found else [change], found, out, heading)


class Heading(Protocol):
    def __call__(self, change: Change) -> None: ...


def abbreviated(found: Sequence[Finding], cwd: Optional[str], environ: Mapping[str, str],
                also: Sequence[Change] = ()) -> Tuple[List[Finding], List[Change]]:
    """``found`` and ``also`` with their commits' abbreviated names, asked of git at once."""
    unnamed = [c.name.commit for c in (*(f.change for f in found), *also) if not c.name.short]
    shorts = repo.abbreviations(unnamed, cwd, environ)

    def named(change: Change) -> Change:
        if change.name.short:
            return change
        short = shorts.get(change.name.commit) or change.name.commit[:12]
        return change._replace(name=change.name._replace(short=short))

    return [f._replace(change=named(f.change)) for f in found], [named(c) for c in also]


def _report(passed: Sequence[Change], found: Sequence[Finding], out: Reporter, heading: Optional[Heading]) -> int:
    for change in passed:
        out.passed(change.label)
    for finding in found:
        if heading is not None:
            heading(finding.change)
        out.problems(finding.change.label, finding.problems, unreadable=finding.unreadable)
    out.finish()
    return EXIT_FAIL if found else EXIT_OK


# -- hooks: pre-push, pre-receive, post-rewrite ------------------------------------------
def hook_input() -> str:
    """What git gave the hook on standard input (the script hands it over whole); nothing
    from a terminal (``codequery-gitcfg hook post-rewrite rebase`` typed by hand)."""
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return ""
        return sys.stdin.read()
    except (OSError, ValueError, UnicodeDecodeError):
        return ""


def _flag(values: Mapping[str, Optional[str]], name: str) -> bool:
    value = values.get(f"{SETTINGS}.{name}".lower(), "false")
    return value is None or value.strip().lower() in ("true", "yes", "on", "1")


def _say_refusal(found: Sequence[Finding]) -> None:
    many = len(found) > 1
    say(f"push refused: {len(found)} of the pushed commits carr{'y' if many else 'ies'} a {CONFIG_PATH} "
        "that needs fixing:")
    for finding in found:
        change = finding.change
        say(f"{finding.ref} would end at {change.title}:" if finding.ref is not None else f"{change.title}:")
        say_problems(finding.problems, change.label)
    for line in _advice(found):
        say(line)


def _rewrite_advice(found: Sequence[Finding], how: str = "") -> str:
    """How to fix commits in place, from the oldest one named (``found`` is oldest first)."""
    oldest = found[0].change.name
    start = f"{oldest.short}^" if oldest.parents else "--root"
    return (f"fix each commit named where it is (`git rebase -i {start}`, mark each `edit`, fix the file{how}, "
            f"`git commit --amend -- {CONFIG_PATH}`, `git rebase --continue`)")


def _advice(found: Sequence[Finding]) -> List[str]:
    inside = [f for f in found if f.ref is None]
    lines = []
    if inside:
        lines.append(f"every commit counts, not only the last one: {_rewrite_advice(inside)}, then push again")
    if any(f.ref is not None for f in found):
        lines.append("for a branch that ends at an old schema: `codequery-gitcfg migrate`, commit the file, "
                     "then push again")
    return lines


def pre_push(args: Sequence[str], text: str, environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """git's pre-push: ``REMOTE URL`` and ``LOCAL-REF LOCAL-SHA REMOTE-REF REMOTE-SHA`` lines.

    The commits the push would add (not reachable from what the remote is known to
    have) are checked; a deletion passes. Exit 1 refuses the push.
    """
    remote = args[0] if args else ""
    local: List[str] = []
    known: List[str] = []
    tips: Dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 4 or not all(repo.is_object_id(f) for f in (fields[1], fields[3])):
            continue
        _, sha, remote_ref, remote_sha = fields
        if repo.is_null(sha) or sha == remote_sha:
            continue  # a deletion, or nothing new
        local.append(sha)
        if not repo.is_null(remote_sha):
            known.append(remote_sha)
        if remote_ref.startswith("refs/heads/"):
            tips[remote_ref] = sha
    if not local:
        return EXIT_OK
    git_dir = _git_dir(cwd, environ)
    revs = [*dict.fromkeys(local), "--not", *dict.fromkeys(known)] + ([f"--remotes={remote}"] if remote else [])
    examined = examine(revs, cwd, environ, ignore_missing=True, tips=tips, learn=LEARN,
                       memo_path=memo.path_in(git_dir, memo.BLOBS) if git_dir else None)
    return _judge_push(examined, ops.fix_command(CONFIG_PATH, environ, default=True), cwd, environ)


def pre_receive(text: str, environ: Mapping[str, str], cwd: Optional[str] = None) -> int:
    """The server's pre-receive: ``OLD NEW REF`` lines; exit 1 refuses the whole push.

    The commits new to the repository (``NEW --not --all``: a new branch pays for its own
    commits only) are read through git's quarantine, whose variables stay in the
    environment of every git command. Nothing is written: not even the verdict memo.
    """
    news: List[str] = []
    tips: Dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3 or not all(repo.is_object_id(f) for f in fields[:2]):
            continue
        _, new, ref = fields
        if repo.is_null(new):
            continue  # a deletion
        news.append(new)
        if ref.startswith("refs/heads/"):
            tips[ref] = new
    if not news:
        return EXIT_OK
    examined = examine([*dict.fromkeys(news), "--not", "--all"], cwd, environ, tips=tips)
    return _judge_push(examined, "codequery-gitcfg migrate", cwd, environ)


def _judge_push(examined: Examined, fix: str, cwd: Optional[str], environ: Mapping[str, str]) -> int:
    """A push's verdict under the repository's settings (``codequery-gitcfg.allowLegacy``,
    ``codequery-gitcfg.tipsOnly``): exit 1, and why, when it is refused."""
    if not examined.changes:
        return EXIT_OK  # no pushed commit changes the config: no setting can refuse it
    knobs = repo.config_values(SETTINGS, cwd, environ)
    found = findings(examined, legacy=NOWHERE if _flag(knobs, "allowLegacy") else AT_TIPS,
                     tips_only=_flag(knobs, "tipsOnly"), fix=fix)
    if not found:
        return EXIT_OK
    _say_refusal(abbreviated(found, cwd, environ)[0])
    return EXIT_FAIL


def rewritten(text: str) -> List[str]:
    """The new commits of post-rewrite's ``OLD NEW [EXTRA]`` lines, once each, in order."""
    news = [fields[1] for fields in (line.split() for line in text.splitlines())
            if len(fields) >= 2 and repo.is_object_id(fields[1])]
    return list(dict.fromkeys(news))


def after_rewrite(text: str, environ: Mapping[str, str], cwd: Optional[str] = None, event: str = "rebase") -> int:
    """post-rewrite: every rewritten commit in one pass; one summary naming each commit that
    carries an invalid or legacy config (git ran no pre-commit check for them)."""
    news = rewritten(text)
    if not news:
        return EXIT_OK
    git_dir = _git_dir(cwd, environ)
    examined = examine(news, cwd, environ, walk=False, learn=LEARN,
                       memo_path=memo.path_in(git_dir, memo.BLOBS) if git_dir else None)
    found = findings(examined, legacy=EVERYWHERE, fix="codequery-gitcfg migrate")
    if not found:
        return EXIT_OK
    found = abbreviated(found, cwd, environ)[0]
    many = len(found) > 1
    say(f"warning: after the {event}, {len(found)} rewritten commit{'s' if many else ''} "
        f"carr{'y' if many else 'ies'} a {CONFIG_PATH} that is not valid or uses an old schema "
        "(git ran no pre-commit check for them):")
    for finding in found:
        say(f"{finding.change.title}:")
        say_problems(finding.problems, finding.change.label)
    say(_rewrite_advice(found, " (`codequery-gitcfg migrate` migrates an old one)") + " before you push")
    return EXIT_OK


__all__ = ["AT_TIPS", "EVERYWHERE", "NOWHERE", "Change", "Examined", "Finding", "Judged", "after_rewrite",
           "examine", "findings", "hook_input", "judge_blob", "judge_blobs", "pre_push", "pre_receive",
           "range_revs", "rewritten", "split_range", "validate_range", "validate_rev"]
