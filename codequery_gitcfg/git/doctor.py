"""``doctor``: is this repository protected, and is its config in order?

Each line says what was found and, when something needs fixing, the command
that fixes it. pre-commit, post-merge and post-rewrite are needed for the
config to be checked on every commit and pull; post-checkout only warns, so its
absence is reported but not counted.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..core import env, judge
from ..core.defaults import DEFAULT_CONFIG, deep_merge
from ..core.document import Document
from ..core.errors import ConfigError, Problem, escape
from ..core.migrate import detect_version, kept_aliases, legacy_markers
from ..core.names import CONFIG_DIR
from ..core.schema import SCHEMA_ID, schema_text
from ..core.version import __version__
from ..store import files
from ..store.manager import ConfigManager
from ..store.paths import Worktree
from . import hueyhook, repo
from .hooks import CONFIG, HOOKS
from .install import (
    ATTRIBUTE,
    FRAMEWORK_IDS,
    DriverState,
    HookFile,
    driver_state,
    framework_config,
    inspect,
    is_framework_hook,
    reader_advice,
)

REQUIRED = ("pre-commit", "post-merge", "post-rewrite")
_INSTALL = "run `codequery-gitcfg install`"
# Under the pre-commit framework our console script lives in the framework's environment only:
# the fix named is the framework's own hook id (.pre-commit-hooks.yaml's manual stage).
_FRAMEWORK_DRIVER = "run `pre-commit run codequery-config-merge-driver --hook-stage manual`"
LEGACY = ".legacy"  # where `pre-commit install` moves the hook it replaces, and runs it first


def _framework(environ: Mapping[str, str]) -> bool:
    return environ.get("PRE_COMMIT") == "1"


def moved_ours(found: HookFile) -> bool:
    """``<hook>.legacy`` is our script: `pre-commit install` moved it there, and the
    framework's hook runs it before its own hooks."""
    try:
        with open(found.path + LEGACY, "rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return False
    return f"# codequery-gitcfg-managed: hook={found.hook} ".encode() in head


def judge_moved(found: HookFile, framework: str) -> Optional[Tuple[bool, str]]:
    """(healthy, what to say) for the framework's hook in front of ours; None when ours was not moved."""
    if not is_framework_hook(found) or not moved_ours(found):
        return None
    legacy = os.path.basename(found.path) + LEGACY
    listed = [i for i in FRAMEWORK_IDS.get(found.hook, ()) if i in framework]
    if listed:
        return False, (f"our checks run twice: the pre-commit framework's hook runs {legacy} (ours, which "
                       f"`pre-commit install` moved there) and then {' / '.join(listed)}: run "
                       f"`pre-commit install --overwrite --hook-type {found.hook}` (it deletes {legacy})")
    return True, (f"the pre-commit framework's hook, which runs ours first ({legacy}, where `pre-commit install` "
                  "moved it)")


def judge_hook(found: HookFile, framework: str) -> Tuple[bool, str]:
    """(healthy, what to say) for one hook file."""
    required = found.hook in REQUIRED
    ids = FRAMEWORK_IDS.get(found.hook, ())
    listed = [i for i in ids if i in framework]
    if found.state == "missing":
        if listed and required:
            # They chose the framework: its own command installs the hook, ours would be a second one.
            return False, (f"missing: run `pre-commit install --hook-type {found.hook}` "
                           f"(.pre-commit-config.yaml lists {' / '.join(listed)})")
        what = {"pre-merge-commit": "it checks merge commits",
                "pre-push": "it checks the commits a push would add"}.get(found.hook, "it only warns")
        return (False, f"missing: {_INSTALL}") if required else (True, f"not installed (optional: {what})")
    if found.state == "foreign":
        if is_framework_hook(found):
            if listed:
                return True, "the pre-commit framework's hook, which runs " + " / ".join(listed)
            if required:
                return False, (f"the pre-commit framework's hook, without ours: add {' or '.join(ids)} to "
                               f".pre-commit-config.yaml (or {_INSTALL}, which runs ours before it)")
        if not required:
            return True, "a hook that is not ours (optional: `codequery-gitcfg install` keeps it and adds ours)"
        return False, f"a hook that is not ours: {_INSTALL} (it keeps that hook and runs it after ours)"
    chained = " then the hook it replaced" if os.path.lexists(found.chained) else ""
    if found.python is None or not os.access(found.python, os.X_OK):
        return False, f"ours, but its Python is gone ({found.python}): {_INSTALL}"
    if not found.current:
        return False, f"ours, but outdated (written by codequery-gitcfg {found.version}): {_INSTALL}"
    return True, f"ours, current; runs {found.python}{chained}"


def ignore_advice(rule: repo.IgnoreRule) -> str:
    """What to say when git ignores the config: it is then never committed, and no hook sees it."""
    where = f"{rule.source}:{rule.line}" if rule.line else rule.source
    if rule.pattern.rstrip("/").endswith(CONFIG_DIR) or rule.pattern.endswith("/"):
        # git cannot re-include a file below an excluded folder: exclude the folder's contents instead.
        fix = (f"change `{rule.pattern}` to `{rule.pattern.rstrip('/')}/*` and add `!{CONFIG}` on the line after it")
    else:
        fix = f"add `!{CONFIG}` on a line after it"
    return (f"{CONFIG} is ignored by git ({where}: `{rule.pattern}`), so it is never committed and the hooks "
            f"never see it: {fix} (the SQLite index beside it stays ignored)")


@dataclass
class Report:
    """What doctor found: its text lines, and each thing to fix as a Problem of a file
    (the config) or of no file (hooks), for the CLI's json and github forms."""

    lines: List[str] = field(default_factory=list)
    fixes: List[Tuple[str, Problem]] = field(default_factory=list)  # (file or "", problem)
    warnings: List[str] = field(default_factory=list)
    facts: Dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return 1 if self.fixes else 0

    def summary(self) -> str:
        n = len(self.fixes)
        return "doctor: all good" if not n else f"doctor: {n} thing{'s' if n > 1 else ''} to fix"


def _config_lines(worktree: Worktree, environ: Mapping[str, str], report: Report) -> None:
    manager = ConfigManager(worktree.default_config, worktree=worktree)
    lines = report.lines
    report.facts["config"] = CONFIG
    try:
        doc = files.read(manager.path, CONFIG)
        version = detect_version(doc.data)
        verdict = judge.judge(doc.data, doc.text)
        problems, pending = verdict.problems, verdict.pending
    except FileNotFoundError:
        lines.append(f"config:      {CONFIG}: none yet (`codequery-gitcfg init` creates one)")
        return
    except ConfigError as exc:
        lines.append(f"config:      FIX {CONFIG}: cannot be read:")
        lines += [f"               {p.render(CONFIG)}" for p in exc.problems]
        report.fixes += [(CONFIG, p) for p in exc.problems]
        return
    report.facts["schema_version"] = version
    valid = "" if problems else ", valid once migrated" if pending else ", valid"
    lines.append(f"config:      {CONFIG}: schema version {version}{valid}")
    rule = repo.ignored_by(worktree, CONFIG, environ)
    if rule is not None:
        advice = ignore_advice(rule)
        lines.append(f"             FIX {advice}")
        report.fixes.append((CONFIG, Problem("", advice)))
    uncommitted = None if pending or problems else _uncommitted_migration(worktree, doc, environ)
    if uncommitted is not None:
        lines.append(f"             FIX {escape(uncommitted)}")
        report.fixes.append((CONFIG, Problem("", uncommitted)))
    editor = _schema_advice(worktree, doc)
    if editor is not None:
        lines.append(f"             warning: {escape(editor)}")
        report.warnings.append(editor)
    kept = kept_aliases(doc.data)
    if kept:
        lines.append(f"             legacy keys kept for Code Query's readers: {', '.join(kept)} "
                     "(`codequery-gitcfg migrate --contract` drops them once every reader uses the current names)")
    lines += [f"             FIX {p.render(CONFIG)}" for p in problems]
    report.fixes += [(CONFIG, p) for p in problems]
    if pending:
        message = (f"migration pending (legacy keys: {', '.join(verdict.markers)}): "
                   "run `codequery-gitcfg migrate` and commit the file")
        lines.append(f"             FIX {message}")
        report.fixes.append((CONFIG, Problem("", message, 1, 1)))
    else:
        lines.append("             no migration pending")
    lines.append(f"lock:        {escape(manager.lock_path)}")
    report.facts["lock"] = manager.lock_path


def _environment_lines(environ: Mapping[str, str], report: Report) -> None:
    """Each CODEQUERY_* override judged by its field's rule, as ``get`` and ``effective_config()``
    judge it: a bad value is a thing to fix, not only a misspelt name."""
    try:
        overrides = env.collect(environ)
        if overrides:
            env.apply_env(deep_merge(DEFAULT_CONFIG, {"dataset_name": "doctor"}), environ)
    except ConfigError as exc:
        for problem in exc.problems:
            report.lines.append(f"environment: FIX {escape(problem.message)}")
            report.fixes.append(("", Problem("", problem.message)))
        report.facts["environment"] = {"ok": False}
        return
    for o in overrides:
        report.lines.append(escape(f"environment: {o.name}={o.raw} sets {o.path}"))
    report.facts["environment"] = {"ok": True, "overrides": {o.name: {"path": o.path, "value": o.value}
                                                             for o in overrides}}


def _uncommitted_migration(worktree: Worktree, doc: Document, environ: Mapping[str, str]) -> Optional[str]:
    """What to say when HEAD holds a legacy config and the working tree the migrated one:
    a pull's post-merge migrated it and nobody committed the result."""
    blob = repo.blob_at(worktree, "HEAD", CONFIG, environ)
    if blob is None:
        return None
    try:
        head = Document.parse(repo.read_blob(worktree, blob, environ), f"HEAD:{CONFIG}")
    except (ConfigError, OSError):
        return None
    if not legacy_markers(head.data) or head.raw == doc.raw:
        return None
    short = repo.head_name(worktree, environ)[0]
    return (f"{CONFIG} is migrated in the working tree but not committed (HEAD {short} holds the legacy "
            f"file; a pull's hook migrated it): commit it: `git commit -m \"Migrate the Code Query config\" -- "
            f"{CONFIG}`")


def _schema_advice(worktree: Worktree, doc: Document) -> Optional[str]:
    """An editor fetches ``$schema``: say when ours names an address that serves nothing,
    a file that is not there, or an older copy of the schema (README: "Editors")."""
    ref = doc.data.get("$schema")
    fix = "README: Editors"
    if ref == SCHEMA_ID:
        return (f"$schema names {SCHEMA_ID}, which nothing serves: an editor that fetches it shows a load error; "
                "point it at a copy in the repository: `codequery-gitcfg schema > .vscode/codequery-config.schema.json"
                " && codequery-gitcfg set '$schema' ../.vscode/codequery-config.schema.json`, and commit both "
                f"({fix})")
    if not isinstance(ref, str) or "://" in ref or not ref:
        return None
    path = os.path.normpath(os.path.join(os.path.dirname(worktree.default_config), ref))
    try:
        with open(path, encoding="utf-8") as f:
            current = f.read() == schema_text()
    except OSError:
        return f"$schema {ref!r} is not a file (an editor shows a load error): `codequery-gitcfg schema > {path}`"
    if not current:
        return (f"$schema {ref!r} is not this codequery-gitcfg's schema (an older copy?): refresh it with "
                f"`codequery-gitcfg schema > {path}`")
    return None


def judge_driver(state: DriverState, framework: bool = False) -> Tuple[bool, str]:
    """(healthy, what to say) for the merge driver; without it git merges the config line by line.
    ``framework``: run by the pre-commit framework, whose hook id is the fix to name."""
    install = _FRAMEWORK_DRIVER if framework else _INSTALL
    if state.command is None and not state.attribute:
        how = ("`pre-commit run codequery-config-merge-driver --hook-stage manual` registers it" if framework
               else "`codequery-gitcfg install --merge-driver-only` registers it")
        return True, f"not registered (optional: without it git merges the config line by line; {how})"
    if state.command is not None and not state.ours:
        return True, "merge.codequery-config in the git config is not ours; left alone"
    if state.command is None or not state.attribute:
        missing = "its git config" if state.command is None else f"{ATTRIBUTE!r} in info/attributes"
        return False, f"half registered ({missing} is missing): {install}"
    try:
        python = shlex.split(state.command)[0]
    except (ValueError, IndexError):
        python = ""
    if not os.access(python, os.X_OK):
        return False, f"registered, but its Python is gone ({python}): {install}"
    return True, f"registered; runs {python}"


def examine(worktree: Worktree, python: str, environ: Mapping[str, str]) -> Report:
    report = Report()
    hooks_dir, configured = repo.hooks_path(worktree, environ)
    framework = framework_config(worktree)
    report.facts.update(version=__version__, python=python, worktree=worktree.root, hooks_path=hooks_dir, hooks={})
    report.lines.append(f"codequery-gitcfg {__version__}, Python {escape(python)}")
    report.lines.append(f"worktree:    {escape(worktree.root)}")
    where = f"core.hooksPath = {configured}" if configured is not None else "core.hooksPath not set"
    report.lines.append(escape(f"hooks path:  {hooks_dir} ({where})"))
    width = max(len(name) for name in (*HOOKS, "huey hook", "merge driver"))
    for hook in HOOKS:
        found = inspect(hooks_dir, hook)
        healthy, said = judge_moved(found, framework) or judge_hook(found, framework)
        report.facts["hooks"][hook] = {"ok": healthy, "message": said}
        if not healthy:
            report.fixes.append(("", Problem("", f"{hook} hook: {said}")))
        report.lines.append(f"  {hook:<{width}} {'ok ' if healthy else 'FIX'} {escape(said)}")
        advice = reader_advice(hook, found.chained if found.state == "ours" else found.path)
        if advice:
            report.lines.append(f"  {'':<{width}} note {advice}")
    huey = hueyhook.judge(inspect(hooks_dir, "post-commit"), worktree.root)
    if huey is not None:
        if not huey[0]:
            report.fixes.append(("", Problem("", f"huey hook: {huey[1]}")))
        report.lines.append(f"  {'huey hook':<{width}} {'ok ' if huey[0] else 'FIX'} {escape(huey[1])}")
    healthy, said = judge_driver(driver_state(worktree, environ), _framework(environ))
    report.facts["merge_driver"] = {"ok": healthy, "message": said}
    if not healthy:
        report.fixes.append(("", Problem("", f"merge driver: {said}")))
    report.lines.append(f"  {'merge driver':<{width}} {'ok ' if healthy else 'FIX'} {said}")
    _config_lines(worktree, environ, report)
    _environment_lines(environ, report)
    # A misspelt override is otherwise ignored without a word; it may also be another
    # tool's variable, so it is a warning, not a thing to fix.
    for warning in env.unknown_variables(environ):
        report.warnings.append(warning)
        report.lines.append(f"environment: warning: {warning}")
    report.lines.append(report.summary())
    return report


def doctor(worktree: Worktree, python: str, environ: Mapping[str, str]) -> int:
    report = examine(worktree, python, environ)
    print("\n".join(report.lines))
    return report.status


__all__ = ["Report", "doctor", "examine", "judge_driver", "judge_hook"]
