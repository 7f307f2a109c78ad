"""The one judge: migrate → schema (of what ``core.document`` parsed), and what the gate
and run time make of it.

Every caller (CLI, hooks, API, Huey bridge, doctor) goes through ``judge``; it
is the only place that combines migration, the schema's errors and unknown
keys. The gate (``validate``, ``migrate --check``, hooks) refuses unknown keys
and pending migrations; run time migrates in memory and only warns about
unknown keys, so a newer tool's key never stops background processing.
"""
from __future__ import annotations

import json
import warnings
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from . import positions
from .defaults import json_problem, with_defaults
from .errors import AliasMismatchWarning, ConfigError, Problem, UnknownKeyWarning, sort_by_position
from .migrate import CURRENT_VERSION_NAME, MigrationResult, legacy_markers, migrate, mismatches
from .schema import caller_stacklevel, check, unknown_model, warn_unknown_model, with_positions


class Verdict(NamedTuple):
    """What the rules make of one config."""

    result: MigrationResult  # the config migrated in memory, and what migration changed
    errors: List[Problem]  # schema errors of the migrated config, positioned
    unknown: List[Problem]  # keys the schema does not know, positioned
    markers: List[str]  # legacy keys: tools that rewrite files act on them
    disagreements: List[Problem]  # a kept legacy key and its twin with different values

    @property
    def pending(self) -> bool:
        return bool(self.markers)

    @property
    def problems(self) -> List[Problem]:
        """The gate's problems besides a pending migration, in the order of the file."""
        return sort_by_position(self.errors + self.disagreements + self.unknown)

    def gate_problems(self, fix: str = "codequery-gitcfg migrate") -> List[Problem]:
        """For ``validate``: a pending migration is itself a failure, reported first,
        naming ``fix``, the command that migrates the file where it is judged."""
        if not self.pending:
            return self.problems
        note = Problem(
            "",
            f"pending migration to {CURRENT_VERSION_NAME} (legacy keys: " + ", ".join(self.markers)
            + f"); run `{fix}` to fix it",
            1, 1,
        )
        return [note] + self.problems


def judge(data: Mapping[str, Any], text: Optional[str] = None) -> Verdict:
    """Migrate ``data`` in memory and judge the result; ``text`` positions the problems."""
    result = migrate(data)
    errors, unknown = check(result.config)
    return Verdict(result, with_positions(errors, text), with_positions(unknown, text), legacy_markers(data),
                   _disagreements(data, text))


def _disagreements(data: Mapping[str, Any], text: Optional[str]) -> List[Problem]:
    found = mismatches(data)
    if not found:
        return []
    where = _positions(text)
    out = []
    for m in found:
        line_of = {k: where.get(k, (None, None))[0] for k in (m.alias, m.canonical)}
        lines = " and ".join(f"{k} (line {line_of[k]})" if line_of[k] else k for k in (m.alias, m.canonical))
        out.append(Problem(
            m.canonical,
            f"{lines} disagree: {_short(m.alias_value)} vs {_short(m.canonical_value)}. Code Query's readers use "
            f"{m.alias}, codequery-gitcfg uses {m.canonical}: make them equal "
            f"(or drop {m.alias} with `codequery-gitcfg migrate --contract` once no reader needs it)",
            *where.get(m.alias, (None, None)),
        ))
    return out


def _positions(text: Optional[str]) -> Dict[str, Tuple[int, int]]:
    if not text:
        return {}
    try:
        return positions.positions(text)
    except (RecursionError, IndexError, ValueError):
        return {}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def runtime(verdict: Verdict, filename: Optional[str] = None) -> Dict[str, Any]:
    """Run time's reading of a verdict: real errors raise, unknown keys warn, defaults merge."""
    if verdict.errors:
        raise ConfigError(verdict.errors, filename)
    for problem in verdict.disagreements:
        # Lenient at run time: the canonical key wins, as in memory it always has.
        warnings.warn(f"{problem.path}: {problem.message}", AliasMismatchWarning, stacklevel=caller_stacklevel())
    for problem in verdict.unknown:
        warnings.warn(f"{problem.path}: {problem.message} (kept)", UnknownKeyWarning,
                      stacklevel=caller_stacklevel())
    warn_unknown_model(verdict.result.config)
    return with_defaults(verdict.result.config)


def quiet(verdict: Verdict) -> bool:
    """True when run time has nothing to say about the verdict: no error, no warning."""
    return not (verdict.errors or verdict.disagreements or verdict.unknown or unknown_model(verdict.result.config))


def check_writable(data: Mapping[str, Any], *, strict: bool, filename: Optional[str] = None,
                   text: Optional[str] = None) -> None:
    """Raise unless ``data`` (already in the current shape) may be written.

    A change may have added what migration never saw: shape first (so the schema
    never meets a 10,000-deep value), then each field's rule (``strict`` adds the
    gate's unknown keys), then what the file could not hold (NaN under an unknown key).
    ``text``, the file being replaced, positions each problem where its key is (or its object).
    """
    problem = json_problem(data, allow_nonfinite=True)
    if problem is None:
        errors, unknown = check(data)
        errors += unknown if strict else []
        if errors:
            raise ConfigError(sort_by_position(with_positions(errors, text)), filename)
        problem = json_problem(data)
    if problem:
        raise ConfigError([Problem(*problem)], filename)
