"""codequery-gitcfg: a trustworthy .code-query/config.json for Code Query.

Names are imported lazily: a hook importing this package must not pay for
jsonschema, GitPython or filelock until it actually needs them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core.errors import ConfigError, UnknownKeyWarning, UnknownModelWarning
from .core.migrate import CURRENT_SCHEMA_VERSION, ConfigMigrator
from .core.version import __version__

if TYPE_CHECKING:
    from .api import ConfigManager, effective_config, load_config_with_env_override

_LAZY = {
    "ConfigManager": "api",
    "effective_config": "api",
    "load_config_with_env_override": "api",
}

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "ConfigError",
    "ConfigManager",
    "ConfigMigrator",
    "UnknownKeyWarning",
    "UnknownModelWarning",
    "__version__",
    "effective_config",
    "load_config_with_env_override",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'codequery_gitcfg' has no attribute {name!r}")
    from importlib import import_module  # noqa: PLC0415 - names load on first use

    return getattr(import_module(f".{module}", __name__), name)
