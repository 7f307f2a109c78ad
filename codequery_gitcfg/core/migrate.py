"""Schema-version migration (SPEC 2.2): pure functions, one per version step.

Each step takes a config and returns ``(new_config, changes)``; it never
mutates its input. Renamed keys keep their position so a rewritten file's
diff shows only the lines that changed.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .defaults import copy_json, json_problem
from .errors import ConfigError, NewerVersionError, Problem

CURRENT_SCHEMA_VERSION = 2

Config = Dict[str, Any]
Step = Callable[[Mapping[str, Any]], Tuple[Config, List[str]]]

_CAMEL_TOP = {
    "datasetName": "dataset_name",
    "mainDatasetName": "dataset_name",
    "excludePatterns": "exclude_patterns",
    "createdAt": "created_at",
    "worktreeInfo": "worktree",
}
_CAMEL_WORKTREE = {
    "isWorktree": "is_worktree",
    "mainDatasetName": "main_dataset_name",
}
# Derived text that Code Query recomputes; dropping it loses nothing.
_DERIVED_WORKTREE = ("datasetNote",)


def legacy_markers(config: Mapping[str, Any]) -> List[str]:
    """The keys that show a file was written in an old shape."""
    markers = [k for k in config if k in _CAMEL_TOP]
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
                        f"(this one knows up to {CURRENT_SCHEMA_VERSION}); upgrade codequery-gitcfg. File left untouched",
                    )
                ]
            )
        return version
    # camelCase keys or a string version mean version 0 even beside auto_process
    # or processing (the table leaves such mixed files open); the v0 step keeps both.
    if any(k in _CAMEL_TOP for k in config) or isinstance(config.get("version"), str):
        return 0
    if "auto_process" in config:
        return 1
    if "processing" in config:
        return 2
    return 0


def _rename(obj: Mapping[str, Any], renames: Mapping[str, str], where: str) -> Tuple[Config, List[str]]:
    out: Config = {}
    changes: List[str] = []
    for key, value in obj.items():
        new = renames.get(key)
        if new is None:
            out[key] = copy_json(value)
        elif new in out or new in obj:
            changes.append(f"dropped {where}{key} ({value!r}): {where}{new} is already set")
        else:
            out[new] = copy_json(value)
            changes.append(f"renamed {where}{key} to {where}{new}")
    return out, changes


def migrate_v0_to_v1(config: Mapping[str, Any]) -> Tuple[Config, List[str]]:
    """camelCase → snake_case, worktreeInfo → worktree, drop string version, add auto_process."""
    changes: List[str] = []
    top = dict(config)
    if "mainDatasetName" in top and "datasetName" in top:
        # mainDatasetName wins; it takes datasetName's place to keep the diff small.
        main = top.pop("mainDatasetName")
        changes.append(f"dropped datasetName ({top['datasetName']!r}): mainDatasetName wins")
        top = {("mainDatasetName" if k == "datasetName" else k): (main if k == "datasetName" else v) for k, v in top.items()}
    out, renamed = _rename(top, _CAMEL_TOP, "")
    changes += renamed
    if isinstance(out.get("worktree"), dict):
        inner = {k: v for k, v in out["worktree"].items() if k not in _DERIVED_WORKTREE}
        changes += [f"dropped worktreeInfo.{k} (derived text)" for k in _DERIVED_WORKTREE if k in out["worktree"]]
        out["worktree"], inner_changes = _rename(inner, _CAMEL_WORKTREE, "worktree.")
        changes += inner_changes
    if isinstance(out.get("version"), str):
        changes.append(f"dropped version {out.pop('version')!r} (replaced by schema_version)")
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
                    f"removed auto_process: {str(auto).lower()}; kept processing.mode {processing['mode']!r}, which wins"
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
    changes: List[str]


def _with_version(config: Config) -> Config:
    """Put schema_version first (after $schema): adding a first key is a one-line diff."""
    out: Config = {}
    if "$schema" in config:
        out["$schema"] = config["$schema"]
    out["schema_version"] = CURRENT_SCHEMA_VERSION
    for key, value in config.items():
        if key not in out:
            out[key] = value
    return out


def migrate(config: Mapping[str, Any], from_version: Optional[int] = None) -> MigrationResult:
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
    changes: List[str] = []
    for step_from in range(version, CURRENT_SCHEMA_VERSION):
        current, step_changes = STEPS[step_from](current)
        changes += step_changes
    if version < CURRENT_SCHEMA_VERSION:
        if current.get("schema_version") != CURRENT_SCHEMA_VERSION:
            changes.append(f"set schema_version to {CURRENT_SCHEMA_VERSION}")
        current = _with_version(current)
    return MigrationResult(current, version, changes)


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
