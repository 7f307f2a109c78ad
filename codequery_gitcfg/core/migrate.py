"""Schema-version migration (SPEC 2.2): pure functions, one per version step.

Each step takes a config and returns ``(new_config, changes)``; it never
mutates its input. Renamed keys keep their position so a rewritten file's
diff shows only the lines that changed.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .defaults import copy_json, json_problem
from .errors import ConfigError, NewerVersionError, Problem

CURRENT_SCHEMA_VERSION = 2

Config = Dict[str, Any]
Step = Callable[[Mapping[str, Any]], Tuple[Config, List[str]]]

# The one alias table: each legacy key that Code Query's deployed readers still use
# (its server, its jq hooks, its newer config migration), with its canonical twin.
# Readers resolve the dataset as mainDatasetName, else datasetName.
ALIASES = {
    "mainDatasetName": "dataset_name",
    "datasetName": "dataset_name",
    "excludePatterns": "exclude_patterns",
    "createdAt": "created_at",
    "worktreeInfo": "worktree",
}
WORKTREE_ALIASES = {
    "isWorktree": "is_worktree",
    "mainDatasetName": "main_dataset_name",
}
# Derived text that Code Query recomputes; dropping it from the canonical shape loses nothing.
_DERIVED_WORKTREE = ("datasetNote",)


def kept_aliases(config: Mapping[str, Any]) -> List[str]:
    """The legacy keys of ``config`` that a file keeps beside their twins (expand phase).

    Of mainDatasetName / datasetName only the one readers resolve is kept.
    """
    keys = [k for k in config if k in ALIASES]
    if "mainDatasetName" in keys and "datasetName" in keys:
        keys.remove("datasetName")
    return keys


def worktree_twin(info: Mapping[str, Any]) -> Config:
    """worktreeInfo in the canonical spelling (its derived note dropped)."""
    return {WORKTREE_ALIASES.get(k, k): copy_json(v) for k, v in info.items() if k not in _DERIVED_WORKTREE}


def _twin_value(alias: str, value: Any) -> Any:
    return worktree_twin(value) if alias == "worktreeInfo" and isinstance(value, Mapping) else value


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
        if twin in config and not _same(_twin_value(alias, config[alias]), config[twin]):
            out.append(Mismatch(alias, twin, config[alias], config[twin]))
    return out


def _same(a: Any, b: Any) -> bool:
    # JSON equality: 1 and true are different values, as they are to every reader.
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                       and not isinstance(a, bool) and not isinstance(b, bool)):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def legacy_markers(config: Mapping[str, Any]) -> List[str]:
    """The keys that show a file was written in an old shape, which a rewrite fixes.

    A kept alias whose twin is present is not one: that is the expanded, current shape.
    """
    markers = [k for k in config if k in ALIASES and (ALIASES[k] not in config or k not in kept_aliases(config))]
    if isinstance(config.get("version"), str):
        markers.append("version")
    if "auto_process" in config:
        markers.append("auto_process")
    version = config.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version < CURRENT_SCHEMA_VERSION:
        markers.append("schema_version")
    return markers


def detect_version(config: Mapping[str, Any]) -> int:
    if "schema_version" in config:
        version = config["schema_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ConfigError([Problem("schema_version", "schema_version must be an integer from 0 to 2")])
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
    # camelCase keys or a string version mean version 0 even beside auto_process
    # or processing (the table leaves such mixed files open); the v0 step keeps both.
    if any(k in ALIASES for k in config) or isinstance(config.get("version"), str):
        return 0
    if "auto_process" in config:
        return 1
    if "processing" in config:
        return 2
    return 0


def _rename(obj: Mapping[str, Any], renames: Mapping[str, str], where: str) -> Tuple[Config, List[str]]:
    """Rename in place (the new key takes the old one's position, so the diff is small).

    A legacy key whose twin is already set is dropped: equal, it said nothing more;
    different, ``mismatches`` reports the pair (the gate refuses it).
    """
    out: Config = {}
    changes: List[str] = []
    for key, value in obj.items():
        new = renames.get(key)
        if new is None:
            out[key] = copy_json(value)
        elif new in out or new in obj:
            if not _same(_twin_value(key, value) if not where else value, obj.get(new, out.get(new))):
                changes.append(f"dropped {where}{key} ({value!r}): {where}{new} is already set")
        else:
            out[new] = copy_json(value)
            changes.append(f"renamed {where}{key} to {where}{new}")
    return out, changes


def _canonical_names(config: Mapping[str, Any]) -> Tuple[Config, List[str]]:
    """camelCase → snake_case, worktreeInfo → worktree, drop the string version."""
    changes: List[str] = []
    top = dict(config)
    if "mainDatasetName" in top and "datasetName" in top:
        # mainDatasetName decides, as Code Query's readers resolve it first.
        changes.append(f"dropped datasetName ({top.pop('datasetName')!r}): mainDatasetName wins")
    out, renamed = _rename(top, ALIASES, "")
    changes += renamed
    if isinstance(out.get("worktree"), dict) and isinstance(config.get("worktreeInfo"), Mapping) \
            and "worktree" not in config:
        inner = {k: v for k, v in out["worktree"].items() if k not in _DERIVED_WORKTREE}
        changes += [f"dropped worktreeInfo.{k} (derived text)" for k in _DERIVED_WORKTREE if k in out["worktree"]]
        out["worktree"], inner_changes = _rename(inner, WORKTREE_ALIASES, "worktree.")
        changes += inner_changes
    if isinstance(out.get("version"), str):
        changes.append(f"dropped version {out.pop('version')!r} (replaced by schema_version)")
    return out, changes


def migrate_v0_to_v1(config: Mapping[str, Any]) -> Tuple[Config, List[str]]:
    """camelCase → snake_case, worktreeInfo → worktree, drop string version, add auto_process."""
    out, changes = _canonical_names(config)
    if "auto_process" not in out:
        out["auto_process"] = False
        changes.append("added auto_process: false")
    return out, changes


def migrate_v1_to_v2(config: Mapping[str, Any]) -> Tuple[Config, List[str]]:
    """auto_process true/false → processing.mode auto/manual; an explicit mode wins."""
    if "auto_process" not in config:
        return copy_json(dict(config)), []
    auto = config["auto_process"]
    if not isinstance(auto, bool):
        raise ConfigError([Problem("auto_process", "auto_process must be a boolean (true or false)")])
    mode = "auto" if auto else "manual"
    existing = config.get("processing")
    changes: List[str] = []
    if isinstance(existing, Mapping):
        processing: Config = copy_json(dict(existing))
        if "mode" in processing:
            if processing["mode"] != mode:
                changes.append(
                    f"removed auto_process: {str(auto).lower()}; "
                    f"kept processing.mode {processing['mode']!r}, which wins"
                )
            else:
                changes.append(f"removed auto_process: {str(auto).lower()} (processing.mode is already {mode!r})")
        else:
            processing["mode"] = mode
            changes.append(f"moved auto_process: {str(auto).lower()} to processing.mode {mode!r}")
    elif existing is None:
        processing = {"mode": mode}
        changes.append(f"moved auto_process: {str(auto).lower()} to processing.mode {mode!r}")
    else:
        raise ConfigError([Problem("processing", "processing must be an object")])
    out: Config = {}
    for key, value in config.items():
        if key == "auto_process":
            if existing is None:
                out["processing"] = processing
        elif key == "processing":
            out["processing"] = processing
        else:
            out[key] = copy_json(value)
    return out, changes


STEPS: Dict[int, Step] = {0: migrate_v0_to_v1, 1: migrate_v1_to_v2}


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
    return any(k in ALIASES for k in config) or isinstance(config.get("version"), str) or "auto_process" in config


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
    for step_from in range(version, CURRENT_SCHEMA_VERSION):
        current = STEPS[step_from](current)[0]
    if _leftovers(current):
        # An explicit schema_version wins over shape detection, but legacy keys beside it
        # still mean what they always meant: the same steps bring them to the current names.
        current = migrate_v1_to_v2(_canonical_names(current)[0])[0]
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
    """The legacy key's value equal to ``twin``; worktreeInfo keeps its own spelling and note."""
    if alias != "worktreeInfo" or not isinstance(twin, Mapping) or not isinstance(old, Mapping):
        return copy_json(twin)
    camel = {v: k for k, v in WORKTREE_ALIASES.items()}
    out: Config = {}
    for key, value in old.items():
        name = WORKTREE_ALIASES.get(key, key)
        if key in _DERIVED_WORKTREE:
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
            if not _same(value, after[key]):
                changes += _changed(key, value, after[key], before)
            continue
        twin = ALIASES.get(key)
        if key == "datasetName" and "mainDatasetName" in before:
            changes.append(f"dropped datasetName ({value!r}): mainDatasetName wins "
                           "(Code Query's readers resolve it first)")
        elif twin is not None and twin in after and twin not in before:
            note = ""
            if key == "worktreeInfo" and isinstance(value, Mapping):
                note = "".join(f"; dropped worktreeInfo.{k} (derived text)" for k in _DERIVED_WORKTREE if k in value)
            changes.append(f"renamed {key} to {twin}{note}")
        elif twin is not None and twin in before and not _same(_twin_value(key, value), before[twin]):
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
    shadowed = "datasetName" if "mainDatasetName" in before else None
    renamed_to = {ALIASES[k] for k in before if k in ALIASES and k not in after and k != shadowed}
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
            elif not _same(old[sub], new[sub]):
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
        return migrate_v0_to_v1(config)[0]

    @staticmethod
    def _migrate_v1_to_v2(config: Dict[str, Any]) -> Dict[str, Any]:
        return migrate_v1_to_v2(config)[0]
