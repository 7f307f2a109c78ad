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
from typing import Any, Dict, List, Mapping, Tuple

from ..core import env, judge
from ..core.errors import ConfigError, Problem, escape
from ..core.migrate import detect_version, kept_aliases
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
        what = "it checks merge commits" if found.hook == "pre-merge-commit" else "it only warns"
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
    if rule.pattern.rstrip("/").endswith(".code-query") or rule.pattern.endswith("/"):
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


def judge_driver(state: DriverState) -> Tuple[bool, str]:
    """(healthy, what to say) for the merge driver; without it git merges the config line by line."""
    if state.command is None and not state.attribute:
        return True, ("not registered (optional: without it git merges the config line by line; "
                      "`codequery-gitcfg install --merge-driver-only` registers it)")
    if state.command is not None and not state.ours:
        return True, "merge.codequery-config in the git config is not ours; left alone"
    if state.command is None or not state.attribute:
        missing = "its git config" if state.command is None else f"{ATTRIBUTE!r} in info/attributes"
        return False, f"half registered ({missing} is missing): {_INSTALL}"
    try:
        python = shlex.split(state.command)[0]
    except (ValueError, IndexError):
        python = ""
    if not os.access(python, os.X_OK):
        return False, f"registered, but its Python is gone ({python}): {_INSTALL}"
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
    for hook in HOOKS:
        found = inspect(hooks_dir, hook)
        healthy, said = judge_hook(found, framework)
        report.facts["hooks"][hook] = {"ok": healthy, "message": said}
        if not healthy:
            report.fixes.append(("", Problem("", f"{hook} hook: {said}")))
        report.lines.append(f"  {hook:<14} {'ok ' if healthy else 'FIX'} {escape(said)}")
        advice = reader_advice(hook, found.chained if found.state == "ours" else found.path)
        if advice:
            report.lines.append(f"  {'':<14} note {advice}")
    huey = hueyhook.judge(inspect(hooks_dir, "post-commit"))
    if huey is not None:
        if not huey[0]:
            report.fixes.append(("", Problem("", f"huey hook: {huey[1]}")))
        report.lines.append(f"  {'huey hook':<14} {'ok ' if huey[0] else 'FIX'} {huey[1]}")
    healthy, said = judge_driver(driver_state(worktree, environ))
    report.facts["merge_driver"] = {"ok": healthy, "message": said}
    if not healthy:
        report.fixes.append(("", Problem("", f"merge driver: {said}")))
    report.lines.append(f"  {'merge driver':<14} {'ok ' if healthy else 'FIX'} {said}")
    _config_lines(worktree, environ, report)
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
