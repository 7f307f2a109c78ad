"""Defaults (README: "Config reference"), deep merge and cheap copies of JSON values."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .errors import ConfigError, Problem
from .jsonvalue import encodable
from .positions import join_path

DEFAULT_MODEL = "claude-3-5-sonnet-20240620"

# The core's own defaults: what run time merges, from here only. They are never handed
# out: a caller that changed them would change every result of its process, and the one
# store.memo keeps for every later process. The public names below are copies.
_PROCESSING: Dict[str, Any] = {
    "mode": "manual",
    "fallback_to_sync": True,
    "batch_size": 5,
    "delay_seconds": 300,
    "max_retries": 2,
    "worker_check_interval": 5,
    "queue_timeout": 30,
}

_EXCLUDE_PATTERNS = [
    "*.test.js",
    "*.spec.js",
    "*.test.ts",
    "*.spec.ts",
    "__tests__/*",
    "test/*",
    "tests/*",
    "node_modules/*",
    ".git/*",
    "dist/*",
    "build/*",
    "coverage/*",
]

# dataset_name is None here, as in Code Query's module: it is the one required
# field, so the file itself is validated before defaults are merged in.
_CONFIG: Dict[str, Any] = {
    "dataset_name": None,
    "model": DEFAULT_MODEL,
    "processing": _PROCESSING,
    "exclude_patterns": _EXCLUDE_PATTERNS,
}


def copy_json(value: Any) -> Any:
    """Deep copy of a JSON value; much cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Dict[str, Any]:
    """Objects merge key by key; lists and scalars replace. Shares nothing with inputs."""
    out = {k: copy_json(v) for k, v in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy_json(value)
    return out


def defaults() -> Dict[str, Any]:
    """A fresh copy of the defaults, the caller's own."""
    result: Dict[str, Any] = copy_json(_CONFIG)
    return result


def with_defaults(config: Mapping[str, Any]) -> Dict[str, Any]:
    """``config`` merged over the core's defaults; shares nothing with either."""
    return deep_merge(_CONFIG, config)


# For callers (Code Query's module had them): independent copies, so changing one
# changes nothing the core merges. ``ConfigManager.DEFAULT_CONFIG`` is another copy.
DEFAULT_CONFIG: Dict[str, Any] = defaults()
DEFAULT_PROCESSING: Dict[str, Any] = copy_json(_PROCESSING)
DEFAULT_EXCLUDE_PATTERNS: List[str] = copy_json(_EXCLUDE_PATTERNS)


def set_path(data: Dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in place, creating objects on the way; never overwrite a non-object."""
    node = data
    parts = dotted.split(".")
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parts[: i + 1])
            raise ConfigError([Problem(where, f"{where} must be an object")])
        node = child
    node[parts[-1]] = value


MAX_DEPTH = 32  # the strict reader's limit; callers of the API get the same


def json_problem(value: Any, allow_nonfinite: bool = False) -> Optional[Tuple[str, str]]:
    """(dotted path, why) a caller's value cannot be a config; None if it can.

    Iterative, so a structure nested 10,000 deep or containing itself is refused
    instead of ending in RecursionError; what passes can be written and read back
    by the strict reader (no lone surrogate, no non-JSON type, and unless
    ``allow_nonfinite`` no NaN: then the schema judges known fields by their rule).
    """
    stack: List[Tuple[Any, List[object]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (dict, list)):
            if len(path) >= MAX_DEPTH:
                return join_path(path), f"nesting deeper than {MAX_DEPTH} levels"
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(node, dict):
                    if not isinstance(key, str):
                        return join_path(path), f"key {key!r} is not a string"
                    if not encodable(key):
                        return join_path(path), f"key {key!r} contains a lone surrogate"
                stack.append((child, path + [key]))
        elif isinstance(node, str):
            if not encodable(node):
                return join_path(path), f"{node!r} contains a lone surrogate (not valid UTF-8 text)"
        elif isinstance(node, float):
            if not allow_nonfinite and not math.isfinite(node):
                return join_path(path), f"{node!r} is not a JSON number"
        elif node is not None and not isinstance(node, (bool, int)):
            return join_path(path), f"{type(node).__name__} value {node!r} is not JSON"
    return None

