"""Defaults are the core's own (issue 22, row 2): a caller that changes a public
``DEFAULT_CONFIG`` changes its own copy, never what the core merges, and never the
run-time result ``store.memo`` keeps for every later process (README: "Remembered verdicts")."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

from codequery_gitcfg.core import defaults

from support.repos import git

MUTATE = """
import codequery_gitcfg.core.defaults as d
from codequery_gitcfg import ConfigManager, effective_config
ConfigManager.DEFAULT_CONFIG["processing"]["batch_size"] = 99
ConfigManager.DEFAULT_CONFIG["exclude_patterns"].append("mine/*")
d.DEFAULT_CONFIG["processing"]["batch_size"] = 77
d.DEFAULT_PROCESSING["batch_size"] = 66
d.DEFAULT_EXCLUDE_PATTERNS.clear()
"""
READ = """
import json
from codequery_gitcfg import ConfigManager, effective_config
first = effective_config()
second = ConfigManager(".code-query/config.json").load_config()
print(json.dumps([first["processing"]["batch_size"], second["processing"]["batch_size"],
                  len(first["exclude_patterns"]), len(second["exclude_patterns"])]))
"""


def run(repo: Path, code: str) -> list[int]:
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    result: list[int] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_a_process_that_changes_the_public_defaults_changes_nothing_for_later_ones(
        repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "project"})  # every processing value and the patterns are defaults
    git(repo, "add", ".code-query/config.json")
    git(repo, "commit", "-qm", "config")
    # The process that changed them: its own reads keep the real defaults too.
    assert run(repo, MUTATE + READ) == [5, 5, 12, 12]
    memo = repo / ".git" / "codequery-gitcfg"
    assert any(memo.iterdir())  # a result was kept for the next process
    # Every later process (the quick read from the kept result, and a full load).
    assert run(repo, READ) == [5, 5, 12, 12]


def test_public_defaults_are_independent_copies_of_the_core_s() -> None:
    from codequery_gitcfg import ConfigManager

    assert ConfigManager.DEFAULT_CONFIG == defaults.DEFAULT_CONFIG == defaults.defaults()
    assert ConfigManager.DEFAULT_CONFIG is not defaults.DEFAULT_CONFIG
    assert ConfigManager.DEFAULT_CONFIG["processing"] is not defaults.DEFAULT_CONFIG["processing"]
    assert defaults.DEFAULT_CONFIG["processing"] is not defaults.DEFAULT_PROCESSING
    assert defaults.DEFAULT_CONFIG["exclude_patterns"] is not defaults.DEFAULT_EXCLUDE_PATTERNS
    assert defaults.defaults() is not defaults.defaults()
