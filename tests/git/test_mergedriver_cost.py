"""The merge driver's own cost: git starts it once per merge of the config (each commit of a
rebase or cherry-pick range that both sides changed), so it imports what a merge uses and
nothing else, and it records its valid result as the blob git will store (README: "Git hooks")."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from codequery_gitcfg.core.env import TRUE_WORDS
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION
from codequery_gitcfg.git import layout, mergedriver
from codequery_gitcfg.git.install import driver_command
from codequery_gitcfg.store import memo

from support.hooks import CONFIG
from support.repos import git

BASE = {"dataset_name": "proj", "model": "sonnet", "processing": {"mode": "manual", "batch_size": 5}}
OURS = {**BASE, "model": "opus"}
THEIRS = {**BASE, "processing": {"mode": "auto", "batch_size": 5}}
# What a clean merge must not load: the reference validator, GitPython, the CLI's parser, the
# hooks' layers (manager, locking, the git layer), what only conflicts or fallbacks need.
NOT_FOR_A_MERGE = ("jsonschema", "git", "argparse", "filelock", "difflib", "tempfile", "subprocess", "traceback",
                   "codequery_gitcfg.git.hooks", "codequery_gitcfg.git.repo", "codequery_gitcfg.git.ops",
                   "codequery_gitcfg.store.manager", "codequery_gitcfg.store.locking", "codequery_gitcfg.store.atomic",
                   "codequery_gitcfg.core.env", "codequery_gitcfg.cli.main", "codequery_gitcfg.cli.git_commands")


def sides(folder: Path, *contents: Dict[str, Any]) -> List[str]:
    names = []
    for name, content in zip(("base", "ours", "theirs"), contents):
        path = folder / f".merge_file_{name}"
        path.write_text(json.dumps(content, indent=2) + "\n")
        names.append(str(path))
    return names


def untraced() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def run_as_git_does(repo: Path, *contents: Dict[str, Any], env: Dict[str, str] | None = None) -> Dict[str, Any]:
    """The registered command's Python part, as git runs it (at the worktree's top), then what it loaded."""
    base, ours, theirs = sides(repo, *contents)
    entry = mergedriver_entry()
    probe = (f"import json, sys\nsys.argv[1:] = {['merge-driver', base, ours, theirs, '7', CONFIG]!r}\n"
             f"try:\n    exec({entry!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
             "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))")
    proc = subprocess.run([sys.executable, "-I", "-c", probe], cwd=repo, capture_output=True, text=True,
                          env={**untraced(), **(env or {})})
    assert proc.returncode == 0, proc.stderr
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["ours"] = ours
    result["stderr"] = proc.stderr
    return result


def mergedriver_entry() -> str:
    """The Python code of the command install registers (`python -I -c CODE merge-driver ...`)."""
    code = driver_command("/p").split(" -I -c ", 1)[1].split(" merge-driver ", 1)[0]
    assert code.startswith("'") and code.endswith("'")
    return code[1:-1]


def valid_blobs(repo: Path) -> List[str]:
    path = repo / ".git" / "codequery-gitcfg" / "valid-blobs"
    return path.read_text().splitlines()[1:] if path.exists() else []


def test_a_clean_merge_loads_only_what_a_merge_uses(repo: Path) -> None:
    first = run_as_git_does(repo, BASE, OURS, THEIRS)
    # the repository's first memo entry starts the file (a temp file and a rename), once
    assert [m for m in NOT_FOR_A_MERGE if m in first["modules"]] == ["tempfile", "codequery_gitcfg.store.atomic"]
    result = run_as_git_does(repo, BASE, OURS, {**THEIRS, "exclude_patterns": ["dist/*"]})
    assert result["code"] == 0, result["stderr"]
    loaded = [m for m in NOT_FOR_A_MERGE if m in result["modules"]]
    assert loaded == []
    merged = json.loads(Path(result["ours"]).read_text())
    assert merged["model"] == "opus" and merged["processing"]["mode"] == "auto"


def test_a_clean_merge_records_the_blob_git_will_store(repo: Path) -> None:
    result = run_as_git_does(repo, BASE, OURS, THEIRS)
    assert result["code"] == 0
    blob = git(repo, "hash-object", result["ours"]).stdout.strip()
    assert valid_blobs(repo) == [blob]
    assert (repo / ".git" / "codequery-gitcfg" / "valid-blobs").read_text().startswith(memo.rules_key() + "\n")


def test_a_result_that_is_not_valid_is_not_recorded(repo: Path) -> None:
    bad = {**THEIRS, "processing": {"mode": "auto", "batch_size": 0}}
    result = run_as_git_does(repo, BASE, OURS, bad)
    assert result["code"] == 1
    assert "jsonschema" in result["modules"]  # the reference gives the messages
    assert "batch_size" in result["stderr"]
    assert valid_blobs(repo) == []


def test_a_merge_of_legacy_sides_records_its_migrated_result(repo: Path) -> None:
    legacy = {"dataset_name": "proj", "auto_process": True}
    result = run_as_git_does(repo, legacy, {**legacy, "model": "opus"}, {**legacy, "exclude_patterns": ["a/*"]})
    assert result["code"] == 0
    merged = json.loads(Path(result["ours"]).read_text())
    assert merged["schema_version"] == CURRENT_SCHEMA_VERSION and "auto_process" not in merged
    assert valid_blobs(repo) == [git(repo, "hash-object", result["ours"]).stdout.strip()]


def test_a_conflict_writes_markers_and_records_nothing(repo: Path) -> None:
    result = run_as_git_does(repo, BASE, OURS, {**BASE, "model": "haiku"})
    assert result["code"] == 1
    assert "<<<<<<< ours" in Path(result["ours"]).read_text()
    assert valid_blobs(repo) == []


def test_a_linked_worktree_records_in_its_own_git_dir(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "other", str(linked))
    gitdir = git(linked, "rev-parse", "--absolute-git-dir").stdout.strip()
    blobs = []
    # git sets GIT_DIR in a linked worktree; without it, the .git file names the git dir
    for env, theirs in (({}, THEIRS), ({"GIT_DIR": gitdir}, {**THEIRS, "exclude_patterns": ["dist/*"]})):
        result = run_as_git_does(linked, BASE, OURS, theirs, env=env)
        assert result["code"] == 0
        blobs.append(git(linked, "hash-object", result["ours"]).stdout.strip())
    assert (Path(gitdir) / "codequery-gitcfg" / "valid-blobs").read_text().splitlines()[1:] == blobs
    assert valid_blobs(repo) == []


def test_outside_a_git_dir_the_merge_still_works_and_records_nothing(tmp_path: Path) -> None:
    base, ours, theirs = sides(tmp_path, BASE, OURS, THEIRS)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert mergedriver.run([base, ours, theirs, "7", CONFIG], {}) == 0
    finally:
        os.chdir(old)
    assert not (tmp_path / ".git").exists()


def test_the_skip_words_are_core_envs() -> None:
    assert mergedriver.SKIP_WORDS == TRUE_WORDS
    assert mergedriver.SKIP_VAR == "CODEQUERY_GITCFG_SKIP"


# -- blob ids, as git computes them -------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"{}\n", "{\"dataset_name\": \"é\"}\r\n".encode(), b"\xef\xbb\xbf{}"])
def test_blob_ids_are_gits(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert memo.blob_id(data) == git(tmp_path, "hash-object", str(path)).stdout.strip()
    sha256 = tmp_path / "sha256"
    if git(tmp_path, "init", "-q", "--object-format=sha256", str(sha256), check=False).returncode == 0:
        assert memo.blob_id(data, "sha256") == git(sha256, "hash-object", str(path)).stdout.strip()
    with pytest.raises(ValueError, match="unknown object format"):
        memo.blob_id(data, "md5")


@pytest.mark.parametrize(("config", "found"), [
    ("", "sha1"),
    ("[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha256\n", "sha256"),
    ("[core]\n\tbare = false\n[Extensions]\n\tObjectFormat = \"SHA256\" # comment\n", "sha256"),
    ("[extensions]\n\tobjectFormat = sha1\n", "sha1"),
    ("[other]\n\tobjectformat = sha256\n", "sha1"),
    ("[extensions]\n\tobjectformat = sha3\n", None),
])
def test_the_object_format_is_read_from_the_repositorys_config(tmp_path: Path, config: str, found: Any) -> None:
    (tmp_path / "config").write_text(config)
    assert layout.object_format(str(tmp_path)) == found


def test_the_object_format_of_real_repositories(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "one")
    assert layout.object_format(str(tmp_path / "one" / ".git")) == "sha1"
    if git(tmp_path, "init", "-q", "--object-format=sha256", "two", check=False).returncode == 0:
        assert layout.object_format(str(tmp_path / "two" / ".git")) == "sha256"
    assert layout.object_format(str(tmp_path / "none")) == "sha1"  # no config file: git's default
