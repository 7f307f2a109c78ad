"""Code Query's own readers keep working through every migration (expand, then contract).

Code Query's server, its jq-based pre-commit and post-merge hooks and its newer config
migration read the camelCase keys. These tests install hooks of that shape *before*
ours, then commit, pull, pull --rebase and rebase, and check after each step that the
reader still finds its dataset.
"""
from __future__ import annotations

import json
import shutil
import stat
import warnings
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from codequery_gitcfg import ConfigManager
from codequery_gitcfg.core.migrate import ALIASES, CURRENT_SCHEMA_VERSION, kept_aliases, migrate

from support.hooks import CONFIG, cli, commit_skipping_hooks, committed, install, run_git, status
from support.repos import LEGACY_CAMEL, git

needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (CI installs it)")

# The shape of Code Query's installed hooks: they resolve the dataset with jq, as its
# hooks do, and log what they found where the test can read it.
CODE_QUERY_HOOK = """#!/bin/sh
DATASET_NAME=$(jq -r '.mainDatasetName // .datasetName // empty' .code-query/config.json 2>/dev/null)
if [ -z "$DATASET_NAME" ]; then
    echo "Dataset name not found in configuration" >&2
    echo "@HOOK@: NOT FOUND" >> "$(git rev-parse --git-dir)/codequery-readers.log"
    exit 0
fi
echo "@HOOK@: $DATASET_NAME" >> "$(git rev-parse --git-dir)/codequery-readers.log"
"""


def _install_code_query_hooks(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    for hook in ("pre-commit", "post-merge"):
        path = hooks / hook
        path.write_text(CODE_QUERY_HOOK.replace("@HOOK@", hook))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _readers_log(repo: Path) -> list[str]:
    log = repo / ".git" / "codequery-readers.log"
    return log.read_text().splitlines() if log.exists() else []


def _jq_dataset(path: Path) -> str:
    """What every deployed Code Query reader resolves: mainDatasetName, else datasetName."""
    data = json.loads(path.read_text())
    return str(data.get("mainDatasetName") or data.get("datasetName") or "")


def assert_expanded(data: Dict[str, Any], dataset: str = "project") -> None:
    assert data["schema_version"] == CURRENT_SCHEMA_VERSION and data["dataset_name"] == dataset
    assert (data.get("mainDatasetName") or data.get("datasetName")) == dataset
    for alias in kept_aliases(data):
        twin = ALIASES[alias]
        if alias == "worktreeInfo":
            assert data[alias]["mainDatasetName"] == data[twin]["main_dataset_name"]
            assert data[alias]["isWorktree"] == data[twin]["is_worktree"]
        else:
            assert data[alias] == data[twin], alias


# -- migration in memory and in files ---------------------------------------------------------
def test_in_memory_migration_is_canonical_while_the_file_keeps_the_aliases(
        in_repo: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(LEGACY_CAMEL)
    assert cli(in_repo, "migrate")[0] == 0
    data = json.loads(path.read_text())
    assert_expanded(data)
    assert "datasetName" not in data  # shadowed by mainDatasetName: it decided nothing
    assert "version" not in data
    assert data["worktreeInfo"]["datasetNote"] == LEGACY_CAMEL["worktreeInfo"]["datasetNote"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about a kept alias at run time
        loaded = ConfigManager(path).load_config()
    assert not set(ALIASES) & set(loaded)
    assert loaded["dataset_name"] == "project" and loaded["exclude_patterns"] == LEGACY_CAMEL["excludePatterns"]
    assert migrate(data).config == migrate(LEGACY_CAMEL).config
    assert not set(ALIASES) & set(migrate(data).config)


def test_an_expanded_file_is_current(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(LEGACY_CAMEL)
    assert cli(in_repo, "migrate")[0] == 0
    once = path.read_bytes()
    assert cli(in_repo, "validate")[0] == 0
    assert cli(in_repo, "migrate", "--check")[0] == 0
    assert cli(in_repo, "migrate")[0] == 0
    assert path.read_bytes() == once


def test_datasetname_alone_is_kept_beside_dataset_name(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config({"datasetName": "solo", "excludePatterns": ["dist/*"]})
    code, _, err = cli(in_repo, "migrate")  # the report goes to stderr (issue 14)
    assert code == 0
    data = json.loads(path.read_text())
    assert data["datasetName"] == data["dataset_name"] == "solo"
    assert data["excludePatterns"] == data["exclude_patterns"] == ["dist/*"]
    assert "added dataset_name, the current name of datasetName" in err


def test_a_disagreeing_pair_is_refused_naming_both_keys_and_lines(
        in_repo: Path, write_config: Callable[..., Path]) -> None:
    text = '{\n  "schema_version": 2,\n  "mainDatasetName": "old",\n  "dataset_name": "new"\n}\n'
    path = write_config(text)
    code, _, err = cli(in_repo, "validate")
    assert code == 1
    assert "mainDatasetName (line 3) and dataset_name (line 4) disagree" in err
    assert '"old" vs "new"' in err
    code, _, err = cli(in_repo, "migrate")
    assert code == 1 and "disagree" in err
    assert path.read_text() == text  # nothing written
    code, _, err = cli(in_repo, "set", "model", "opus")
    assert code == 1 and "disagree" in err and path.read_text() == text


def test_every_write_keeps_the_pairs_equal(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(LEGACY_CAMEL)
    assert cli(in_repo, "migrate")[0] == 0
    assert cli(in_repo, "set", "exclude_patterns", '["src/gen/*"]')[0] == 0
    assert cli(in_repo, "set", "worktree.branch", "other")[0] == 0
    assert cli(in_repo, "set", "dataset_name", "renamed")[0] == 0
    data = json.loads(path.read_text())
    assert data["excludePatterns"] == data["exclude_patterns"] == ["src/gen/*"]
    assert data["worktreeInfo"]["branch"] == data["worktree"]["branch"] == "other"
    assert data["mainDatasetName"] == data["dataset_name"] == "renamed"
    assert cli(in_repo, "unset", "created_at")[0] == 0
    data = json.loads(path.read_text())
    assert "createdAt" not in data and "created_at" not in data
    manager = ConfigManager(path)
    manager.update_processing_mode("auto")
    manager.save_config({**manager.load_config(), "dataset_name": "saved"})
    data = json.loads(path.read_text())
    assert data["mainDatasetName"] == data["dataset_name"] == "saved"
    assert data["excludePatterns"] == data["exclude_patterns"]
    assert cli(in_repo, "validate")[0] == 0


def test_contract_drops_the_aliases_and_get_still_answers(in_repo: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(LEGACY_CAMEL)
    assert cli(in_repo, "migrate")[0] == 0
    code, _, err = cli(in_repo, "migrate", "--contract")
    assert code == 0 and "dropped the legacy keys" in err
    data = json.loads(path.read_text())
    assert not set(ALIASES) & set(data)
    assert data["dataset_name"] == "project" and data["worktree"]["branch"] == "feature"
    assert cli(in_repo, "validate")[0] == 0
    assert cli(in_repo, "get", "dataset_name")[1] == "project\n"
    once = path.read_bytes()
    assert cli(in_repo, "migrate", "--contract")[0] == 0 and path.read_bytes() == once


def test_a_hand_resolved_mix_of_legacy_and_current_keys_migrates(
        in_repo: Path, write_config: Callable[..., Path]) -> None:
    # What a conflict resolution leaves: createdAt and version beside schema_version 2.
    path = write_config({"schema_version": 2, "dataset_name": "x", "createdAt": "2024-05-01T10:00:00Z",
                         "version": "1.1.0", "processing": {"mode": "auto"}})
    code, _, err = cli(in_repo, "validate")
    assert code == 1 and "run `codequery-gitcfg migrate`" in err and "did you mean" not in err
    assert cli(in_repo, "migrate")[0] == 0
    data = json.loads(path.read_text())
    assert data["createdAt"] == data["created_at"] == "2024-05-01T10:00:00Z" and "version" not in data
    assert cli(in_repo, "validate")[0] == 0


# -- get ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "expected"), [
    ("dataset_name", "project\n"),
    ("model", "claude-3-5-sonnet-20240620\n"),
    ("processing.mode", "manual\n"),
    ("processing.batch_size", "5\n"),
    ("processing.delay_seconds", "300\n"),
    ("processing.fallback_to_sync", "true\n"),
    ("exclude_patterns", '["dist/*"]\n'),
    ("processing", None),
    ("worktree.branch", "feature\n"),
    ("worktree.is_worktree", "true\n"),
])
def test_get_prints_one_effective_value(in_repo: Path, write_config: Callable[..., Path],
                                        key: str, expected: str | None) -> None:
    write_config({"dataset_name": "project", "exclude_patterns": ["dist/*"],
                  "worktree": {"branch": "feature", "is_worktree": True}})
    code, out, _ = cli(in_repo, "get", key)
    assert code == 0
    if expected is None:
        assert json.loads(out)["mode"] == "manual"
    else:
        assert out == expected


def test_get_exit_1_when_unset_and_for_unknown_keys(in_repo: Path, write_config: Callable[..., Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write_config({"dataset_name": "project"})
    assert cli(in_repo, "get", "created_at") == (1, "", "")
    code, out, err = cli(in_repo, "get", "datset_name")
    assert (code, out) == (1, "") and "did you mean 'dataset_name'" in err
    monkeypatch.setenv("CODEQUERY_BATCH_SIZE", "7")
    assert cli(in_repo, "get", "processing.batch_size")[1] == "7\n"


# -- Code Query's hooks, chained after ours -----------------------------------------------------
@needs_jq
def test_code_query_hooks_still_find_their_dataset_through_commit_and_pull(repo: Path, tmp_path: Path) -> None:
    _install_code_query_hooks(repo)
    out = install(repo)
    assert "reads legacy keys (mainDatasetName, datasetName)" in out
    assert "`codequery-gitcfg get dataset_name`" in out
    # Code Query's create_project_config writes the camelCase shape; commit it.
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text(json.dumps(LEGACY_CAMEL, indent=2) + "\n")
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "config")
    assert "migrated the staged" in proc.stderr
    assert_expanded(committed(repo))
    assert _readers_log(repo) == ["pre-commit: project"]
    assert status(repo) == ""

    # A teammate without our hooks pushes a legacy file again; we pull (merge, then rebase).
    origin = tmp_path / "origin.git"
    git(repo, "clone", "-q", "--bare", str(repo), str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "fetch", "-q", "origin")
    git(repo, "branch", "-q", "--set-upstream-to=origin/main")
    mate = tmp_path / "mate"
    git(tmp_path, "clone", "-q", str(origin), str(mate))
    legacy = {**LEGACY_CAMEL, "mainDatasetName": "renamed", "auto_process": True}
    (mate / CONFIG).write_text(json.dumps(legacy, indent=2) + "\n")
    commit_skipping_hooks(mate, "legacy again")
    git(mate, "push", "-q", "origin", "main")
    run_git(repo, "pull", "-q", "--no-rebase")
    assert _readers_log(repo)[-1] == "post-merge: renamed"
    assert_expanded(json.loads((repo / CONFIG).read_text()), "renamed")
    assert json.loads((repo / CONFIG).read_text())["processing"] == {"mode": "auto"}
    git(repo, "commit", "-qam", "migrated after pull")
    assert _readers_log(repo)[-1] == "pre-commit: renamed"
    git(repo, "push", "-q", "origin", "main")

    # pull --rebase with a local commit, and a plain fetch + rebase.
    git(mate, "pull", "-q", "--no-rebase")
    (mate / CONFIG).write_text(json.dumps({**legacy, "mainDatasetName": "third"}, indent=2) + "\n")
    commit_skipping_hooks(mate, "third")
    git(mate, "push", "-q", "origin", "main")
    (repo / "local.txt").write_text("x\n")
    git(repo, "add", "local.txt")
    run_git(repo, "commit", "-qm", "local")
    run_git(repo, "pull", "-q", "--rebase")
    assert _jq_dataset(repo / CONFIG) == "third"
    assert_expanded(json.loads((repo / CONFIG).read_text()), "third")
    git(repo, "commit", "-qam", "migrated after pull --rebase")
    assert _readers_log(repo)[-1] == "pre-commit: third"
    assert status(repo) == ""


@needs_jq
def test_doctor_names_the_kept_aliases_and_the_legacy_reader(repo: Path, write_config: Callable[..., Path]) -> None:
    _install_code_query_hooks(repo)
    install(repo)
    write_config(LEGACY_CAMEL)
    assert cli(repo, "migrate")[0] == 0
    _, out, _ = cli(repo, "doctor")
    assert "legacy keys kept for Code Query's readers: mainDatasetName, excludePatterns, createdAt, worktreeInfo" in out
    assert "pre-commit.codequery-gitcfg.orig reads legacy keys (mainDatasetName, datasetName)" in out


# -- a git-ignored config -------------------------------------------------------------------------
@pytest.mark.parametrize("rule", [".code-query/", ".code-query", "*.json"])
def test_an_ignored_config_is_reported_and_the_advice_works(repo: Path, rule: str) -> None:
    # Code Query's .gitignore ignores .code-query/ (the SQLite index lives there).
    (repo / ".gitignore").write_text(f"node_modules/\n{rule}\n")
    code, _, err = cli(repo, "init")
    assert code == 0
    assert f".code-query/config.json is ignored by git (.gitignore:2: `{rule}`)" in err
    code, out, _ = cli(repo, "doctor")
    assert code == 1 and "FIX .code-query/config.json is ignored by git" in out
    # Follow the advice literally.
    advice = out.split("never see it: ", 1)[1]
    lines = (repo / ".gitignore").read_text().splitlines()
    if advice.startswith("change"):
        lines[1] = advice.split("` to `", 1)[1].split("`", 1)[0]
    lines.insert(2, "!.code-query/config.json")
    (repo / ".gitignore").write_text("\n".join(lines) + "\n")
    (repo / ".code-query" / "index.db").write_text("sqlite")
    seen = git(repo, "status", "--porcelain", "-uall").stdout
    assert "?? .code-query/config.json" in seen
    assert ("index.db" in seen) == (rule == "*.json")  # what the rule ignored besides stays ignored
    assert "ignored by git" not in cli(repo, "doctor")[1]
