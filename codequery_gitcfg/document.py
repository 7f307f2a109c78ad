"""One config file read strictly, and the two ways of judging it.

The gate (``validate``, ``migrate --check``, hooks) refuses unknown keys and
pending migrations; run time (``load_config``) migrates in memory and only
warns about unknown keys, so a newer tool's key never stops processing.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Dict, List, Mapping, NamedTuple, Optional

from . import fmt, reader
from .defaults import DEFAULT_CONFIG, deep_merge
from .errors import ConfigError, Problem, UnknownKeyWarning
from .migrate import MigrationResult, legacy_markers, migrate


class Document:
    __slots__ = ("path", "raw", "text", "data", "stat")

    def __init__(self, path: str, raw: bytes, text: str, data: Dict[str, Any], stat: os.stat_result) -> None:
        self.path, self.raw, self.text, self.data, self.stat = path, raw, text, data, stat

    @property
    def style(self) -> fmt.Style:
        return fmt.detect(self.text, bom=self.raw.startswith(b"\xef\xbb\xbf"))


def parse_bytes(raw: bytes, filename: Optional[str] = None) -> tuple[str, Dict[str, Any]]:
    try:
        text = reader.decode(raw)
        return text, reader.parse(text)
    except ConfigError as exc:
        exc.filename = filename
        raise type(exc)(exc.problems, filename) from None


def read(path: str, filename: Optional[str] = None) -> Document:
    """Strictly read ``path``; FileNotFoundError passes through for callers to decide."""
    label = filename or path
    try:
        raw, st = reader.read_bytes(path)
    except ConfigError as exc:
        raise type(exc)(exc.problems, label) from None
    text, data = parse_bytes(raw, label)
    return Document(path, raw, text, data, st)


class Verdict(NamedTuple):
    """What the gate thinks of a config."""

    result: MigrationResult
    problems: List[Problem]  # schema errors and unknown keys, positioned
    pending: bool  # a legacy marker: tools that rewrite files act on it
    markers: List[str]

    def all_problems(self) -> List[Problem]:
        """For ``validate``: a pending migration is itself a failure, reported first."""
        if not self.pending:
            return self.problems
        note = Problem(
            "",
            "pending migration to schema version 2 (legacy keys: " + ", ".join(self.markers)
            + "); run `codequery-gitcfg migrate` to fix it",
            1, 1,
        )
        return [note] + self.problems


def check_gate(data: Mapping[str, Any], text: Optional[str] = None) -> Verdict:
    """Everything wrong at the gate: schema errors and unknown keys of the migrated
    config, and whether a migration is pending."""
    from .schema import check, with_positions

    result = migrate(data)
    errors, unknown = check(result.config)
    markers = legacy_markers(data)
    return Verdict(result, with_positions(errors + unknown, text), bool(markers), markers)


def runtime(data: Mapping[str, Any], text: Optional[str] = None, filename: Optional[str] = None) -> Dict[str, Any]:
    """Migrate in memory, validate leniently, merge defaults; raise on real errors."""
    from .schema import check, warn_unknown_model, with_positions

    result = migrate(data)
    errors, unknown = check(result.config)
    if errors:
        raise ConfigError(with_positions(errors, text), filename)
    for problem in unknown:
        warnings.warn(f"{problem.path}: {problem.message} (kept)", UnknownKeyWarning, stacklevel=4)
    warn_unknown_model(result.config, stacklevel=4)
    return deep_merge(DEFAULT_CONFIG, result.config)
