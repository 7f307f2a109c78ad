"""Where the config lives, as git names it from the worktree's top: one constant for every
module. No ``typing`` and no imports: the read a new process makes on every commit uses it."""
from __future__ import annotations

CONFIG_DIR = ".code-query"
CONFIG_NAME = "config.json"
CONFIG_PATH = CONFIG_DIR + "/" + CONFIG_NAME  # "/" on every system, as git writes paths
# Our temp files' names (store.atomic writes them, the memo's sweep and install's exclude line
# know them by these).
TMP_PREFIX, TMP_SUFFIX = ".cqcfg-", ".tmp"
