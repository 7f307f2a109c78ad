"""Helpers for the history tests (validate --rev/--range, pre-push, pre-receive, post-rewrite):
commits made as git makes them without pre-commit, and the findings they give."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.repos import git

CONFIG = ".code-query/config.json"
BAD_BATCH = {"dataset_name": "project", "processing": {"batch_size": 0}}
BATCH_LINE = "4:19: processing.batch_size: batch_size must be a positive integer (1 to 1000); got 0"
TYPO = {"dataset_name": "project", "modle": "sonnet"}
TYPO_LINE = "3:12: modle: unknown key 'modle'; did you mean 'model'?"


def write(repo: Path, content: Any, path: str = CONFIG) -> None:
    """``content`` as the file: bytes and text as they are, anything else as JSON (indent 2)."""
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")


def commit(repo: Path, content: Any, message: str, path: str = CONFIG) -> str:
    """Commit ``content`` as a teammate without hooks would (``--no-verify``); the short id."""
    write(repo, content, path)
    git(repo, "add", path)
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return short(repo)


def short(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", "--short", rev).stdout.strip()
