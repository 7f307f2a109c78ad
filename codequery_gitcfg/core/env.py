"""Environment overrides (README: "Config reference"): CODEQUERY_<DOTTED_PATH> for every scalar field."""
from __future__ import annotations

import math
import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Protocol

from .defaults import copy_json, set_path
from .errors import EnvOverrideError, Problem
from .jsonvalue import encodable
from .schema import field_errors, field_message, schema

# Names that Code Query documented before the systematic ones existed.
LEGACY_VARIABLES = {"CODEQUERY_BATCH_SIZE": "processing.batch_size"}
_SKIP = {"$schema", "schema_version"}
# The words a boolean switch takes, here and in CODEQUERY_GITCFG_SKIP (git/hooks.py).
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Override(NamedTuple):
    name: str  # the variable
    path: str  # the dotted field it sets
    raw: str
    value: Any


def var_name(path: str) -> str:
    return "CODEQUERY_" + path.replace(".", "_").upper()


def scalar_fields() -> Dict[str, str]:
    """Dotted path → JSON type ("string", "integer", "number", "boolean")."""
    out: Dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, sub in node.get("properties", {}).items():
            path = f"{prefix}{key}"
            if key in _SKIP:
                continue
            kind = sub.get("type", "string" if "enum" in sub else None)
            if kind == "object":
                walk(sub, path + ".")
            elif kind in ("string", "integer", "number", "boolean"):
                out[path] = kind

    walk(schema(), "")
    return out


def variables() -> Dict[str, str]:
    """Every variable name → the dotted path it sets."""
    names = {var_name(path): path for path in scalar_fields()}
    names.update(LEGACY_VARIABLES)
    return names


# Our own switches (CODEQUERY_GITCFG_SKIP, CODEQUERY_GITCFG_DEBUG) are not fields.
_OWN_PREFIX = "CODEQUERY_GITCFG_"


def unknown_variables(environ: Mapping[str, str]) -> List[str]:
    """A warning for each CODEQUERY_* variable that sets no field (a misspelt override
    would otherwise be ignored without a word), with a did-you-mean when one is close."""
    if not any(k.startswith("CODEQUERY_") for k in environ):
        return []
    # Only here, when a CODEQUERY_* variable is set: an override applied on every read
    # must not pay for it.
    import difflib  # noqa: PLC0415

    known = sorted(variables())
    out: List[str] = []
    for name in sorted(environ):
        if not name.startswith("CODEQUERY_") or name.startswith(_OWN_PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else ""
        out.append(f"{name} sets no config field and is ignored{hint}")
    return out


def parse_value(kind: str, raw: str) -> Any:
    """A text value (environment, command line) as the field's JSON type; ValueError if not."""
    text = raw.strip()
    if kind == "integer":
        if _INT.fullmatch(text) and len(text) <= 20:
            return int(text)
        raise ValueError
    if kind == "number":
        if _INT.fullmatch(text) and len(text) <= 20:
            return int(text)
        if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
        raise ValueError
    if kind == "boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError
    return raw


def collect(environ: Mapping[str, str]) -> List[Override]:
    """One Override for each set variable; values of the wrong type raise.

    The value's type is checked here; its bounds are checked afterwards by the
    schema on the merged config, so both use the field's own message.
    """
    if not any(k.startswith("CODEQUERY_") for k in environ):
        return []
    kinds = scalar_fields()
    found: Dict[str, Override] = {}
    problems: List[Problem] = []
    for name, path in sorted(variables().items()):
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        if not encodable(raw):
            # os.environ holds undecodable bytes as lone surrogates: no config can carry them.
            problems.append(Problem(path, invalid_message(name, raw, "the value is not valid UTF-8")))
            continue
        try:
            value = parse_value(kinds[path], raw)
        except ValueError:
            problems.append(Problem(path, invalid_message(name, raw, field_message(path))))
            continue
        previous = found.get(path)
        if previous is not None and previous.value != value:
            problems.append(
                Problem(path, f"{previous.name}={previous.raw!r} and {name}={raw!r} "
                              f"both set {path} to different values")
            )
            continue
        found[path] = Override(name, path, raw, value)
    if problems:
        raise EnvOverrideError(problems)
    return list(found.values())


def invalid_message(name: str, raw: str, rule: str) -> str:
    return f"Invalid value for {name}: {raw!r}. {rule}"


def apply(config: Dict[str, Any], overrides: List[Override]) -> Dict[str, Any]:
    """Set each override in place (the caller passes a private copy) and return it."""
    for override in overrides:
        set_path(config, override.path, override.value)
    return config


class Remembered(Protocol):
    """Verdicts kept outside the process (``store.memo.Verdicts``), keyed by the data itself."""

    def known(self, data: Mapping[str, Any]) -> bool: ...

    def learn(self, data: Mapping[str, Any]) -> None: ...


def apply_env(config: Dict[str, Any], environ: Mapping[str, str],
              remembered: Optional[Remembered] = None) -> Dict[str, Any]:
    """Apply CODEQUERY_* overrides to a private copy, each judged by its field's rule.

    ``remembered`` spares the check of a result that passed before: the same
    overrides on the same file in a new process need no validator at all.
    """
    overrides = collect(environ)
    if not overrides:
        return config
    result = apply(copy_json(config), overrides)
    candidate = {k: v for k, v in result.items() if v is not None}
    if remembered is not None and remembered.known(candidate):
        return result
    problems = field_errors(candidate, values=False)  # the message names the variable's own text
    by_path = {o.path: o for o in overrides}
    bad = [
        Problem(p.path, invalid_message(by_path[p.path].name, by_path[p.path].raw, p.message))
        for p in problems
        if p.path in by_path
    ]
    if bad:
        raise EnvOverrideError(bad)
    if remembered is not None and not problems:
        remembered.learn(candidate)
    return result
