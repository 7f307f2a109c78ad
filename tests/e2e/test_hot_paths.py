"""Which heavy modules each hot path loads, checked in a fresh interpreter (issue 13).

Timings belong in bench/; what a path imports is a fact that can be asserted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from support.repos import VALID, git

FAST = "codequery_gitcfg.core._fastcheck"  # the generated validator: light, but only loaded to check
HEAVY = ("jsonschema", "git", "filelock", "huey", "fastjsonschema", "decimal", FAST)
CONFIG = ".code-query/config.json"


def untraced() -> Dict[str, str]:
    """The environment without CI's coverage start-up: the tracer imports modules of its own
    (hashlib, sqlite3), and these tests count what *our* code imports."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def loaded_after(repo: Path, code: str) -> List[str]:
    """Run ``code`` in a new interpreter in ``repo``; the heavy modules it left in sys.modules."""
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, env=untraced())
    assert proc.returncode == 0, proc.stderr
    loaded: List[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return loaded


def test_idle_hook_entry_loads_nothing_heavy(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "config")
    (repo / "other.txt").write_text("x\n")
    git(repo, "add", "other.txt")
    code = "from codequery_gitcfg.cli.hook import main\nassert main(['pre-commit']) == 0"
    assert loaded_after(repo, code) == []


def test_staged_hook_with_a_memo_hit_loads_nothing_heavy(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    git(repo, "add", CONFIG)
    code = "from codequery_gitcfg.cli.hook import main\nassert main(['pre-commit']) == 0"
    # The first run judges the new blob: the fast verdict, never jsonschema.
    assert loaded_after(repo, code) == [FAST]
    assert loaded_after(repo, code) == []


def test_validate_of_a_valid_file_never_loads_jsonschema(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID)
    code = "from codequery_gitcfg.cli.main import main\nassert main(['validate']) == 0"
    assert loaded_after(repo, code) == [FAST]


def test_validate_of_an_invalid_file_asks_jsonschema_for_the_messages(
        repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    code = "from codequery_gitcfg.cli.main import main\nassert main(['validate']) == 1"
    # (jsonschema may load decimal itself: only ours is counted here)
    assert [m for m in loaded_after(repo, code) if m != "decimal"] == [FAST, "jsonschema"]


@pytest.mark.parametrize("call", [
    "import codequery_gitcfg as c\nc.effective_config()",
    "import codequery_gitcfg as c\nc.ConfigManager('.code-query/config.json').load_config()",
    "import codequery_gitcfg as c\nfrom codequery_gitcfg.huey_bridge import plan_dispatch\n"
    "plan_dispatch(c.effective_config(), ['a.py'], worker_running=False)",
])
def test_a_cached_config_in_a_new_process_loads_nothing_heavy(
        repo: Path, write_config: Callable[..., Path], call: str) -> None:
    write_config(VALID)
    first = loaded_after(repo, call)
    assert "jsonschema" not in first and "git" not in first and "filelock" not in first
    again = loaded_after(repo, call)
    assert [m for m in again if m != FAST] == []
    if "plan_dispatch" not in call:
        assert again == []  # not even the fast validator: the memo knew these bytes
        # and nothing a read does not need: no git process, no temp files, no OpenSSL
        light = "import sys\n" + call + "\nprint(sorted(m for m in ('subprocess', 'tempfile', 'hashlib') if m in sys.modules))"
        proc = subprocess.run([sys.executable, "-c", light], cwd=repo, capture_output=True, text=True, check=True,
                              env=untraced())
        assert proc.stdout.strip() == "[]"


def test_a_valid_env_override_is_checked_without_jsonschema_then_remembered(repo: Path, write_config: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(VALID)
    monkeypatch.setenv("CODEQUERY_BATCH_SIZE", "3")
    code = "import codequery_gitcfg as c\nassert c.effective_config()['processing']['batch_size'] == 3"
    assert "jsonschema" not in loaded_after(repo, code)
    assert loaded_after(repo, code) == []  # the same overrides on the same file: remembered


def test_a_kept_config_in_a_new_process_loads_only_the_quick_read(repo: Path, write_config: Callable[..., Path]) -> None:
    # The read Code Query's post-commit hook and every worker start make: the few modules
    # ARCHITECTURE.md names, no typing, no judge, no store.manager.
    write_config(VALID)
    # (counted from after start-up: an editable install's finder may load typing itself)
    code = ("import sys\nbefore = set(sys.modules)\nimport codequery_gitcfg as c\nc.effective_config()\n"
            "print(json.dumps(sorted(m for m in set(sys.modules) - before\n"
            "                        if m.startswith('codequery_gitcfg.') or m == 'typing')))")
    probe = f"import json\n{code}"
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True,
                           env=untraced()) for _ in range(2)]
    assert "codequery_gitcfg.core.judge" in json.loads(runs[0].stdout)  # the first read went the whole way
    assert json.loads(runs[1].stdout) == [
        "codequery_gitcfg.core", "codequery_gitcfg.core.jsonvalue", "codequery_gitcfg.core.names", "codequery_gitcfg.core.version",
        "codequery_gitcfg.effective", "codequery_gitcfg.git", "codequery_gitcfg.git.layout",
        "codequery_gitcfg.store", "codequery_gitcfg.store.memo", "codequery_gitcfg.store.owner",
    ]


def _valid_history(repo: Path, write_config: Callable[..., Path], commits: int = 3) -> str:
    """``commits`` commits that each change the config, all valid; the commit before them."""
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    for n in range(commits):
        write_config({**VALID, "processing": {"mode": "manual", "batch_size": n + 1}})
        git(repo, "add", CONFIG)
        git(repo, "commit", "-q", "--no-verify", "-m", f"config {n}")
    return base


def test_a_range_check_of_valid_commits_never_loads_jsonschema(repo: Path, write_config: Callable[..., Path]) -> None:
    base = _valid_history(repo, write_config)
    code = f"from codequery_gitcfg.cli.main import main\nassert main(['validate', '--range', '{base}..HEAD']) == 0"
    # The fast validator judges the blobs: no jsonschema, no GitPython, no filelock, no huey.
    assert loaded_after(repo, code) == [FAST]
    # The blobs are in the verdict memo now: not even the fast validator.
    assert loaded_after(repo, code) == []


@pytest.mark.parametrize("hook", ["pre-push", "pre-receive", "post-rewrite"])
def test_the_history_hooks_on_valid_commits_load_nothing_heavy(repo: Path, write_config: Callable[..., Path],
                                                               hook: str) -> None:
    base = _valid_history(repo, write_config)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    new = git(repo, "rev-list", f"{base}..HEAD").stdout.split()
    git(repo, "reset", "-q", "--hard", base)  # as a server has them: objects no ref reaches yet
    zeros = "0" * 40
    lines = {"pre-push": f"refs/heads/main {head} refs/heads/main {base}\n",
             "pre-receive": f"{base} {head} refs/heads/main\n",
             "post-rewrite": "".join(f"{zeros} {sha}\n" for sha in new)}[hook]
    call = {"pre-push": "history.pre_push(['origin', 'url'], lines, os.environ)",
            "pre-receive": "history.pre_receive(lines, os.environ)",
            "post-rewrite": "history.after_rewrite(lines, os.environ)"}[hook]
    code = (f"import os\nfrom codequery_gitcfg.git import history, repo\nlines = {lines!r}\n"
            f"assert len(history.examine({new!r}, None, os.environ, walk=False).changes) == 3\n"
            f"assert {call} == 0")
    # what the hook entry adds to this (cli.hook, git.hooks) loads nothing heavy either (see above)
    assert [m for m in loaded_after(repo, code) if m != FAST] == []
