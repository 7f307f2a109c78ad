"""codequery-gitcfg: a trustworthy .code-query/config.json for Code Query.

Names are imported on first use: a new process that only reads its config
(``effective_config()`` on every commit) must not pay for what it does not call,
down to ``typing``.
"""
from __future__ import annotations

from .core.version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .api import ConfigManager, load_config_with_env_override
    from .core.errors import ConfigError, UnknownKeyWarning, UnknownModelWarning
    from .core.migrate import CURRENT_SCHEMA_VERSION, ConfigMigrator
    from .effective import effective_config

_LAZY = {
    "CURRENT_SCHEMA_VERSION": "core.migrate",
    "ConfigError": "core.errors",
    "ConfigManager": "api",
    "ConfigMigrator": "core.migrate",
    "UnknownKeyWarning": "core.errors",
    "UnknownModelWarning": "core.errors",
    "effective_config": "effective",
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
    # __import__ with a fromlist returns the submodule itself (importlib would be one more import).
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
