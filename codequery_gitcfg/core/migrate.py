"""Schema-version migration (README: "Old shapes and migration"): one table of steps.

``MIGRATIONS`` is the whole history of the file's shape. Each entry says how a file
of one version is recognised and how it moves to the next: keys renamed in place
(so a rewritten file's diff shows only the lines that changed), keys renamed inside
a renamed object, derived text dropped, and the little that renames cannot say.
Everything else derives from the table: the current version, the legacy markers,
the aliases Code Query's readers still read, the old spellings a rewrite copies
verbatim, and every "schema version N" message. Steps never mutate their input,
and ``describe`` is the one report of what changed.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .defaults import copy_json, json_problem
from .errors import ConfigError, NewerVersionError, Problem
from .jsonvalue import same

Config = Dict[str, Any]


class Rename(NamedTuple):
    old: str
    new: str
    # Code Query's deployed readers (its server, its jq hooks, its newer config
    # migration) still read ``old``: a rewrite keeps it beside ``new``, equal to it
    # (expand), until ``migrate --contract`` drops it.
    kept: bool = True


def _nothing(config: Mapping[str, Any]) -> List[str]:
    return []


def _unchanged(config: Config) -> Config:
    return config


class Migration(NamedTuple):
    """How a file of version ``source`` is recognised, and how it moves to ``source + 1``."""

    source: int
    # Top-level keys, renamed where they stand. Of two renames to one key, the first
    # listed wins when both are present (the one Code Query's readers resolve first).
    renames: Tuple[Rename, ...] = ()
    # Keys renamed inside an object that is itself renamed, by the object's old key.
    inner: Tuple[Tuple[str, Tuple[Rename, ...]], ...] = ()
    # Keys of such an object that Code Query derives again: dropping them loses nothing.
    derived: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # What else marks this version (beside its renamed keys), and what removes it.
    markers: Callable[[Mapping[str, Any]], List[str]] = _nothing
    clean: Callable[[Config], Config] = _unchanged
    # The rest of the move to the next version: only when a file steps from this one.
    advance: Callable[[Config], Config] = _unchanged


def _string_version(config: Mapping[str, Any]) -> List[str]:
    return ["version"] if isinstance(config.get("version"), str) else []


def _drop_string_version(config: Config) -> Config:
    return {k: v for k, v in config.items() if not (k == "version" and isinstance(v, str))}


def _add_auto_process(config: Config) -> Config:
    return config if "auto_process" in config else {**config, "auto_process": False}


def _auto_process(config: Mapping[str, Any]) -> List[str]:
    return ["auto_process"] if "auto_process" in config else []


def _auto_process_to_mode(config: Config) -> Config:
    """auto_process true/false → processing.mode auto/manual; an explicit mode wins."""
    if "auto_process" not in config:
        return config
    auto = config["auto_process"]
    if not isinstance(auto, bool):
        raise ConfigError([Problem("auto_process", "auto_process must be a boolean (true or false)")])
    existing = config.get("processing")
    if isinstance(existing, Mapping):
        processing: Config = {**existing} if "mode" in existing else {**existing, "mode": "auto" if auto else "manual"}
    elif existing is None:
        processing = {"mode": "auto" if auto else "manual"}
    else:
        raise ConfigError([Problem("processing", "processing must be an object")])
    out: Config = {}
    for key, value in config.items():
        if key == "processing" or (key == "auto_process" and existing is None):
            out["processing"] = processing
        elif key != "auto_process":
            out[key] = value
    return out


# The table. A new schema version is one entry here (and its test), plus schema.json
# and its regenerated validator (CONTRIBUTING.md: "Adding a schema version").
MIGRATIONS: Tuple[Migration, ...] = (
    Migration(
        0,
        renames=(
            # Readers resolve the dataset as mainDatasetName, else datasetName.
            Rename("mainDatasetName", "dataset_name"),
            Rename("datasetName", "dataset_name"),
            Rename("excludePatterns", "exclude_patterns"),
            Rename("createdAt", "created_at"),
            Rename("worktreeInfo", "worktree"),
        ),
        inner=(("worktreeInfo", (Rename("isWorktree", "is_worktree"),
                                 Rename("mainDatasetName", "main_dataset_name"))),),
        derived=(("worktreeInfo", ("datasetNote",)),),
        markers=_string_version,
        clean=_drop_string_version,
        advance=_add_auto_process,
    ),
    Migration(1, markers=_auto_process, clean=_auto_process_to_mode),
)

CURRENT_SCHEMA_VERSION = len(MIGRATIONS)
CURRENT_VERSION_NAME = f"schema version {CURRENT_SCHEMA_VERSION}"
# A file with this key and no marker of an older version is in the current shape;
# one with neither is version 0.
CURRENT_SHAPE_KEY = "processing"


def _current_name(key: str, since: int) -> str:
    """What ``key`` is called now, after the renames of the steps from version ``since`` on."""
    for m in MIGRATIONS[since:]:
        key = next((r.new for r in m.renames if r.old == key), key)
    return key


# Each old top-level key with the name it has now (through every later rename).
RENAMES: Dict[str, str] = {r.old: _current_name(r.new, m.source + 1) for m in MIGRATIONS for r in m.renames}
# The one alias table: each legacy key a deployed reader still uses, with its canonical twin.
ALIASES: Dict[str, str] = {old: RENAMES[old] for m in MIGRATIONS for old in (r.old for r in m.renames if r.kept)}
INNER: Dict[str, Dict[str, str]] = {old: {r.old: r.new for r in inner} for m in MIGRATIONS for old, inner in m.inner}
DERIVED: Dict[str, Tuple[str, ...]] = {old: keys for m in MIGRATIONS for old, keys in m.derived}
# A legacy key that loses to an earlier one renamed to the same key: datasetName → mainDatasetName.
SHADOWED_BY: Dict[str, str] = {
    r.old: next(f.old for f in m.renames if f.new == r.new)
    for m in MIGRATIONS for r in m.renames if next(f.old for f in m.renames if f.new == r.new) != r.old
}


def kept_aliases(config: Mapping[str, Any]) -> List[str]:
    """The legacy keys of ``config`` that a file keeps beside their twins (expand phase).

    Of two aliases of one key (mainDatasetName / datasetName) only the one readers resolve is kept.
    """
    return [k for k in config if k in ALIASES and SHADOWED_BY.get(k) not in config]


def twin_value(alias: str, value: Any) -> Any:
    """An alias's value in the canonical spelling (inner keys renamed, derived text dropped)."""
    if alias not in INNER or not isinstance(value, Mapping):
        return value
    derived = DERIVED.get(alias, ())
    return {INNER[alias].get(k, k): copy_json(v) for k, v in value.items() if k not in derived}


def former_names(path: str) -> List[str]:
    """The dotted paths a value at ``path`` had in older shapes (``dataset_name`` was
    ``mainDatasetName`` or ``datasetName``; ``worktree.is_worktree`` was ``worktreeInfo.isWorktree``)."""
    cut = min((i for i in (path.find("."), path.find("[")) if i >= 0), default=len(path))
    head, rest = path[:cut], path[cut:]
    out = []
    for old, new in RENAMES.items():
        if new != head:
            continue
        tail = rest
        if old in INNER and rest.startswith("."):
            inner = {n: o for o, n in INNER[old].items()}
            below = rest[1:]
            end = min((i for i in (below.find("."), below.find("[")) if i >= 0), default=len(below))
            tail = "." + inner.get(below[:end], below[:end]) + below[end:]
        out.append(old + tail)
    return out


class Mismatch(NamedTuple):
    """A legacy key and its canonical twin holding different values."""

    alias: str
    canonical: str
    alias_value: Any
    canonical_value: Any


def mismatches(config: Mapping[str, Any]) -> List[Mismatch]:
    """Each kept alias whose twin is also present with another value: readers would disagree."""
    out = []
    for alias in kept_aliases(config):
        twin = ALIASES[alias]
        if twin in config and not same(twin_value(alias, config[alias]), config[twin]):
            out.append(Mismatch(alias, twin, config[alias], config[twin]))
    return out


def _other_markers(config: Mapping[str, Any]) -> List[str]:
    return [marker for m in MIGRATIONS for marker in m.markers(config)]


def legacy_markers(config: Mapping[str, Any]) -> List[str]:
    """The keys that show a file was written in an old shape, which a rewrite fixes.

    A kept alias whose twin is present is not one: that is the expanded, current shape.
    """
    kept = kept_aliases(config)
    markers = [k for k in config if k in RENAMES and (RENAMES[k] not in config or k not in kept)]
    markers += _other_markers(config)
    version = config.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version < CURRENT_SCHEMA_VERSION:
        markers.append("schema_version")
    return markers


def detect_version(config: Mapping[str, Any]) -> int:
    if "schema_version" in config:
        version = config["schema_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ConfigError([Problem("schema_version",
                                       f"schema_version must be an integer from 0 to {CURRENT_SCHEMA_VERSION}")])
        if version > CURRENT_SCHEMA_VERSION:
            raise NewerVersionError(
                [
                    Problem(
                        "schema_version",
                        f"schema_version {version} was written by a newer codequery-gitcfg "
                        f"(this one knows up to {CURRENT_SCHEMA_VERSION}); upgrade codequery-gitcfg. "
                        "File left untouched",
                    )
                ]
            )
        return version
    # The oldest version whose marks the file carries: camelCase keys or a string
    # version mean version 0 even beside auto_process or processing (the table leaves
    # such mixed files open), and that step keeps both.
    for m in MIGRATIONS:
        if any(r.old in config for r in m.renames) or m.markers(config):
            return m.source
    return CURRENT_SCHEMA_VERSION if CURRENT_SHAPE_KEY in config else 0


def _renamed(obj: Mapping[str, Any], renames: Mapping[str, str]) -> Config:
    """Rename in place (the new key takes the old one's position, so the diff is small).

    A legacy key whose twin is already set is dropped: equal, it said nothing more;
    different, ``mismatches`` reports the pair (the gate refuses it).
    """
    out: Config = {}
    for key, value in obj.items():
        new = renames.get(key)
        if new is None:
            out[key] = copy_json(value)
        elif new not in out and new not in obj:
            out[new] = copy_json(value)
    return out


def _step(m: Migration, config: Mapping[str, Any], *, advance: bool) -> Config:
    renames = {r.old: r.new for r in m.renames}
    top = {k: v for k, v in config.items() if SHADOWED_BY.get(k) not in config or k not in renames}
    out = _renamed(top, renames)
    for old, inner in m.inner:
        new = renames[old]
        if isinstance(out.get(new), dict) and isinstance(config.get(old), Mapping) and new not in config:
            derived = DERIVED.get(old, ())
            out[new] = _renamed({k: v for k, v in out[new].items() if k not in derived},
                                {r.old: r.new for r in inner})
    out = m.clean(out)
    return m.advance(out) if advance else out


def step(source: int, config: Mapping[str, Any]) -> Config:
    """One step of the table: a config of version ``source`` in the shape of the next."""
    return _step(MIGRATIONS[source], config, advance=True)


class MigrationResult(NamedTuple):
    config: Config
    from_version: int
    changes: List[str]  # what differs between the input and ``config``, for people


def _with_version(config: Config) -> Config:
    """Set schema_version: first (after $schema) when new, as adding a first key is a one-line diff."""
    if "schema_version" in config:
        return {**config, "schema_version": CURRENT_SCHEMA_VERSION}  # where the file has it
    out: Config = {}
    if "$schema" in config:
        out["$schema"] = config["$schema"]
    out["schema_version"] = CURRENT_SCHEMA_VERSION
    for key, value in config.items():
        if key not in out:
            out[key] = value
    return out


def _leftovers(config: Mapping[str, Any]) -> bool:
    """Legacy keys left in a file that says it is current (a hand-resolved merge)."""
    return any(k in RENAMES for k in config) or bool(_other_markers(config))


def migrate(config: Mapping[str, Any], from_version: Optional[int] = None) -> MigrationResult:
    """The canonical shape of ``config`` (no alias), from any version; never mutates its input."""
    if not isinstance(config, Mapping):
        raise ConfigError([Problem("", f"the configuration must be a JSON object, not {type(config).__name__}")])
    problem = json_problem(config, allow_nonfinite=True)
    if problem:
        raise ConfigError([Problem(*problem)])
    if from_version is not None:
        # Same rules as a schema_version written in the file.
        detect_version({"schema_version": from_version})
    version = detect_version(config) if from_version is None else from_version
    current: Config = copy_json(dict(config))
    for m in MIGRATIONS[version:]:
        current = _step(m, current, advance=True)
    if _leftovers(current):
        # An explicit schema_version wins over shape detection, but legacy keys beside it
        # still mean what they always meant: the same renames bring them to the current names.
        for m in MIGRATIONS:
            current = _step(m, current, advance=False)
    if version < CURRENT_SCHEMA_VERSION or current != config:
        current = _with_version(current)
    return MigrationResult(current, version, describe(config, current))


def to_file(canonical: Mapping[str, Any], previous: Optional[Mapping[str, Any]], *,
            contract: bool = False) -> Config:
    """What a rewrite writes: ``canonical`` plus each alias ``previous`` kept, equal to its twin.

    Expand, then contract: deployed readers still read the legacy keys, so a
    rewrite keeps them (beside their twins) until ``contract`` drops them.
    """
    if contract or not previous:
        return {k: copy_json(v) for k, v in canonical.items()}
    by_twin = {ALIASES[a]: a for a in kept_aliases(previous) if ALIASES[a] in canonical}
    order = list(previous)
    out: Config = {}
    for key, value in canonical.items():
        alias = by_twin.get(key)
        twin_first = alias is not None and key in previous and order.index(key) < order.index(alias)
        if alias is not None and not twin_first:
            out[alias] = _alias_value(alias, value, previous[alias])
        out[key] = copy_json(value)
        if alias is not None and twin_first:
            out[alias] = _alias_value(alias, value, previous[alias])
    return out


def _alias_value(alias: str, twin: Any, old: Any) -> Any:
    """The legacy key's value equal to ``twin``; an object (worktreeInfo) keeps its own spelling and note."""
    if alias not in INNER or not isinstance(twin, Mapping) or not isinstance(old, Mapping):
        return copy_json(twin)
    renames, derived = INNER[alias], DERIVED.get(alias, ())
    camel = {v: k for k, v in renames.items()}
    out: Config = {}
    for key, value in old.items():
        name = renames.get(key, key)
        if key in derived:
            out[key] = copy_json(value)
        elif name in twin:
            out[key] = copy_json(twin[name])
    for name, value in twin.items():
        spelled: str = camel.get(name) or name
        if spelled not in out:
            out[spelled] = copy_json(value)
    return out


def describe(before: Mapping[str, Any], after: Mapping[str, Any]) -> List[str]:
    """What changed from ``before`` to ``after``, as the user sees it (no internal steps)."""
    changes: List[str] = []
    kept = set(kept_aliases(before)) & set(after)
    for key, value in before.items():
        if key in after:
            if not same(value, after[key]):
                changes += _changed(key, value, after[key], before)
            continue
        twin = RENAMES.get(key)
        if SHADOWED_BY.get(key) in before:
            changes.append(f"dropped {key} ({value!r}): {SHADOWED_BY[key]} wins "
                           "(Code Query's readers resolve it first)")
        elif twin is not None and twin in after and twin not in before:
            note = ""
            if isinstance(value, Mapping):
                note = "".join(f"; dropped {key}.{k} (derived text)" for k in DERIVED.get(key, ()) if k in value)
            changes.append(f"renamed {key} to {twin}{note}")
        elif twin is not None and twin in before and not same(twin_value(key, value), before[twin]):
            changes.append(f"dropped {key} ({value!r}): {twin} is already set ({before[twin]!r})")
        elif twin is not None and twin in before:
            changes.append(f"left out {key}, the legacy twin of {twin} (a file keeps it for Code Query's readers)")
        elif key == "auto_process":
            mode = after.get("processing", {}).get("mode") if isinstance(after.get("processing"), Mapping) else None
            wanted = "auto" if value is True else "manual"
            had_mode = isinstance(before.get("processing"), Mapping) and "mode" in before["processing"]
            if mode == wanted and not had_mode:
                changes.append(f"moved auto_process: {_json(value)} to processing.mode {mode!r}")
            else:
                changes.append(f"removed auto_process: {_json(value)}; kept processing.mode {mode!r}, which wins")
        elif key == "version":
            changes.append(f"dropped version {value!r} (replaced by schema_version)")
        else:
            changes.append(f"removed {key}")
    renamed_to = {RENAMES[k] for k in before if k in RENAMES and k not in after and SHADOWED_BY.get(k) not in before}
    for key, value in after.items():
        if key in before or key in renamed_to:
            continue
        twins = [a for a in kept if ALIASES[a] == key]
        if key == "schema_version":
            changes.append(f"set schema_version to {value}")
        elif twins:
            changes.append(f"added {key}, the current name of {twins[0]} (kept beside it for Code Query's readers)")
        elif key == "processing" and "auto_process" in before:
            continue  # said with auto_process
        elif key == "processing" and isinstance(value, Mapping) and list(value) == ["mode"]:
            changes.append(f"added processing.mode {value['mode']!r} (the default of a file without auto_process)")
        else:
            changes.append(f"added {key}: {_json(value)}")
    return changes


def _changed(key: str, old: Any, new: Any, before: Mapping[str, Any]) -> List[str]:
    if key == "schema_version":
        return [f"set schema_version to {new}"]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for sub in old:
            if sub not in new:
                out.append(f"removed {key}.{sub}")
            elif not same(old[sub], new[sub]):
                out.append(f"changed {key}.{sub}: {_json(old[sub])} -> {_json(new[sub])}")
        for sub in new:
            if sub not in old and not (key == "processing" and sub == "mode" and "auto_process" in before):
                out.append(f"added {key}.{sub}: {_json(new[sub])}")
        return out
    return [f"changed {key}: {_json(old)} -> {_json(new)}"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class ConfigMigrator:
    """Drop-in for Code Query's ConfigMigrator, with a change report on the side."""

    CURRENT_SCHEMA_VERSION = CURRENT_SCHEMA_VERSION

    @staticmethod
    def migrate_config(config: Dict[str, Any], from_version: Optional[int] = None) -> Dict[str, Any]:
        return migrate(config, from_version).config

    @staticmethod
    def migrate_with_changes(config: Dict[str, Any], from_version: Optional[int] = None) -> MigrationResult:
        return migrate(config, from_version)

    @staticmethod
    def detect_version(config: Dict[str, Any]) -> int:
        return detect_version(config)

    @staticmethod
    def _detect_version(config: Dict[str, Any]) -> int:
        return detect_version(config)

    @staticmethod
    def _migrate_v0_to_v1(config: Dict[str, Any]) -> Dict[str, Any]:
        return step(0, config)

    @staticmethod
    def _migrate_v1_to_v2(config: Dict[str, Any]) -> Dict[str, Any]:
        return step(1, config)
