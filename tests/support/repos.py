"""Real git repositories in temporary folders: ``git`` and the configs many tests share."""
from __future__ import annotations

import os
import subprocess
from typing import Any, Dict


def git(cwd: str | os.PathLike[str], *args: str, check: bool = True,
        env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


# Code Query's create_project_config writes this camelCase shape today.
LEGACY_CAMEL: Dict[str, Any] = {
    "datasetName": "project_feature",
    "mainDatasetName": "project",
    "excludePatterns": ["*.test.js", "node_modules/*"],
    "createdAt": "2024-05-01T10:00:00",
    "version": "1.1.0",
    "worktreeInfo": {"isWorktree": True, "branch": "feature", "mainDatasetName": "project",
                     "datasetNote": "Worktree dataset derived from project"},
}

LEGACY_AUTO: Dict[str, Any] = {"dataset_name": "project", "model": "claude-3-5-sonnet-20240620", "auto_process": True}

VALID: Dict[str, Any] = {"dataset_name": "project", "processing": {"mode": "manual", "batch_size": 5}}
