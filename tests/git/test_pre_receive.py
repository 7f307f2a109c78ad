"""The server's pre-receive hook (``install --server``, README: "Server installs"), through
real pushes to a bare repository from a client that has no hooks at all."""
from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from support.history import BAD_BATCH, BATCH_LINE, CONFIG, commit
from support.hooks import cli, run_git
from support.repos import LEGACY_AUTO, VALID, git

REFUSED = f"codequery-gitcfg: push refused: 1 of the pushed commits carries a {CONFIG} that needs fixing:"


def advice(start: str) -> str:
    return ("codequery-gitcfg: every commit counts, not only the last one: fix each commit named where it is "
            f"(`git rebase -i {start}`, mark each `edit`, fix the file, `git commit --amend -- {CONFIG}`, "
            "`git rebase --continue`), then push again")


def push(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_git(repo, "push", "origin", *args, check=False)


def remote(proc: subprocess.CompletedProcess[str]) -> List[str]:
    """What the pusher sees of the server's hook: its ``remote:`` lines."""
    return [line[len("remote: "):].rstrip() for line in proc.stderr.splitlines() if line.startswith("remote: ")]


def objects(bare: Path) -> List[str]:
    return sorted(git(bare, "cat-file", "--batch-all-objects", "--batch-check").stdout.splitlines())


def files_of(bare: Path) -> Dict[str, int]:
    """Every file of the repository outside its objects and refs, with its size."""
    found = {}
    for folder, _, names in os.walk(bare):
        rel = os.path.relpath(folder, bare)
        if rel.split(os.sep)[0] in ("objects", "refs", "logs"):
            continue
        for name in names:
            if name not in ("packed-refs", "FETCH_HEAD"):
                found[os.path.join(rel, name)] = os.path.getsize(os.path.join(folder, name))
    return found


@pytest.fixture
def server(repo: Path, tmp_path: Path) -> Path:
    """A bare repository with the server hook; ``repo`` (no hooks of ours) pushes to it."""
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    code, out, err = cli(bare, "install", "--server")
    assert code == 0, out + err
    assert "pre-receive: installed" in out
    git(repo, "remote", "add", "origin", str(bare))
    assert push(repo, "main").returncode == 0  # the first commit, without a config
    return bare


def test_a_no_verify_commit_is_refused_by_the_server(repo: Path, server: Path) -> None:
    bad = commit(repo, BAD_BATCH, "bad config")
    before = objects(server)
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc) == [REFUSED, f"codequery-gitcfg: commit {bad} (bad config):",
                            f"  {bad}:{CONFIG}:{BATCH_LINE}", advice(f"{bad}^")]
    assert "! [remote rejected] main -> main (pre-receive hook declined)" in proc.stderr
    assert "Traceback" not in proc.stderr
    # git's quarantine: the refused push left no object behind, and the branch did not move
    assert objects(server) == before
    assert git(server, "rev-parse", "main").stdout == git(repo, "rev-parse", "HEAD~1").stdout


def test_a_bad_commit_followed_by_its_fix_is_still_refused(repo: Path, server: Path) -> None:
    commit(repo, VALID, "valid")
    bad = commit(repo, BAD_BATCH, "bad config")
    commit(repo, VALID, "fixed")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc)[1:3] == [f"codequery-gitcfg: commit {bad} (bad config):", f"  {bad}:{CONFIG}:{BATCH_LINE}"]


def test_valid_pushes_a_new_branch_and_tags_pass(repo: Path, server: Path) -> None:
    commit(repo, VALID, "valid")
    proc = push(repo, "main")
    assert (proc.returncode, remote(proc)) == (0, [])
    git(repo, "checkout", "-qb", "feature")
    commit(repo, {**VALID, "model": "sonnet"}, "feature: model")
    proc = push(repo, "feature")
    assert (proc.returncode, remote(proc)) == (0, [])
    git(repo, "tag", "v1")
    git(repo, "tag", "-a", "-m", "annotated", "v2", "HEAD~1")
    proc = push(repo, "--tags")
    assert (proc.returncode, remote(proc)) == (0, [])
    git(repo, "branch", "at-old", "HEAD~1")  # a new branch of commits the server has: nothing new
    proc = push(repo, "at-old")
    assert (proc.returncode, remote(proc)) == (0, [])
    proc = push(repo, "--delete", "feature")  # a deletion passes
    assert (proc.returncode, remote(proc)) == (0, [])


def test_a_new_branch_pays_only_for_its_own_commits(repo: Path, server: Path) -> None:
    commit(repo, LEGACY_AUTO, "legacy, before the server had the hook")
    git(server, "config", "codequery-gitcfg.allowLegacy", "true")
    assert push(repo, "main").returncode == 0
    git(server, "config", "--unset", "codequery-gitcfg.allowLegacy")
    git(repo, "checkout", "-qb", "feature")
    (repo / "other.txt").write_text("x\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "feature: not the config")
    proc = push(repo, "feature")
    # its tip carries the legacy config main already had: not brought by this push
    assert (proc.returncode, remote(proc)) == (0, [])


def test_a_branch_that_ends_at_a_legacy_config_is_refused(repo: Path, server: Path) -> None:
    legacy = commit(repo, LEGACY_AUTO, "legacy")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc) == [
        REFUSED,
        f"codequery-gitcfg: refs/heads/main would end at commit {legacy} (legacy):",
        f"  {legacy}:{CONFIG}:1:1: pending migration to schema version 2 (legacy keys: auto_process); "
        "run `codequery-gitcfg migrate` to fix it",
        "codequery-gitcfg: for a branch that ends at an old schema: `codequery-gitcfg migrate`, commit the file, "
        "then push again",
    ]
    # a legacy commit inside the push is history: migrated at the tip, the push passes
    code, _, err = cli(repo, "migrate")
    assert code == 0, err
    git(repo, "commit", "-qam", "migrated")
    assert push(repo, "main").returncode == 0


def test_server_settings_allow_legacy_and_tips_only(repo: Path, server: Path) -> None:
    commit(repo, LEGACY_AUTO, "legacy")
    git(server, "config", "codequery-gitcfg.allowLegacy", "true")
    assert push(repo, "main").returncode == 0
    bad = commit(repo, BAD_BATCH, "bad config")
    commit(repo, VALID, "fixed")
    assert push(repo, "main").returncode == 1  # allowLegacy never lets an invalid config in
    git(server, "config", "codequery-gitcfg.tipsOnly", "true")
    assert push(repo, "main").returncode == 0  # only the tip counts now, and it is valid
    commit(repo, BAD_BATCH, "bad again")
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc)[1].startswith("codequery-gitcfg: refs/heads/main would end at commit ")
    assert bad not in "".join(remote(proc))


@pytest.mark.parametrize("hostile, line", [
    (b" " * (100 * 1024 * 1024) + b"{}", ": config file is larger than 1048576 bytes (1 MiB)"),
    (b"[" * 200_000, ":1: nesting deeper than 32 levels"),
    (b'{"dataset_name": "caf\xe9"}', ":1: config file is not valid UTF-8 (byte 21)"),
], ids=["100MB", "200000-deep", "invalid-utf8"])
def test_hostile_pushes_are_refused_with_one_line(repo: Path, server: Path, hostile: bytes, line: str) -> None:
    bad = commit(repo, hostile, "hostile")
    proc = push(repo, "main")
    assert proc.returncode == 1
    lines = remote(proc)
    assert lines[1] == f"codequery-gitcfg: commit {bad} (hostile):"
    assert [x for x in lines if x.startswith(f"  {bad}:")] == [f"  {bad}:{CONFIG}{line}"]
    assert "Traceback" not in proc.stderr


def test_a_symlink_at_the_config_path_is_refused_not_followed(repo: Path, server: Path) -> None:
    (repo / "elsewhere.json").write_text(json.dumps(VALID))
    (repo / ".code-query").mkdir()
    os.symlink("../elsewhere.json", repo / CONFIG)
    git(repo, "add", "elsewhere.json", CONFIG)
    git(repo, "commit", "-qm", "a link")
    link = git(repo, "rev-parse", "--short", "HEAD").stdout.strip()
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc)[1:3] == [f"codequery-gitcfg: commit {link} (a link):",
                                 f"  {link}:{CONFIG}: is a symbolic link in this commit (mode 120000); links are "
                                 "not followed here: commit the file itself"]


def test_a_symlinked_config_folder_is_refused_too(repo: Path, server: Path) -> None:
    (repo / "real").mkdir()
    (repo / "real" / "config.json").write_text(json.dumps(VALID))
    os.symlink("real", repo / ".code-query")
    git(repo, "add", "real", ".code-query")
    git(repo, "commit", "-qm", "a linked folder")
    link = git(repo, "rev-parse", "--short", "HEAD").stdout.strip()
    proc = push(repo, "main")
    assert proc.returncode == 1
    assert remote(proc)[2] == (f"  {link}:.code-query: is a symbolic link in this commit (mode 120000); links are "
                               "not followed here: commit the file itself")


def test_nothing_is_written_into_the_repository_but_the_hook(repo: Path, server: Path) -> None:
    before = files_of(server)
    commit(repo, BAD_BATCH, "bad config")
    assert push(repo, "main").returncode == 1
    commit(repo, VALID, "valid")
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    commit(repo, VALID, "valid")
    assert push(repo, "main").returncode == 0
    assert files_of(server) == before


def test_an_existing_pre_receive_hook_still_runs_and_uninstall_restores_it(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "theirs.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    theirs = b"#!/bin/sh\ncat >> received.log\necho theirs ran >&2\n"
    hook = bare / "hooks" / "pre-receive"
    hook.write_bytes(theirs)
    hook.chmod(0o755)
    code, out, _ = cli(bare, "install", "--server")
    assert code == 0 and "kept as pre-receive.codequery-gitcfg.orig" in out
    script = hook.read_bytes()
    assert cli(bare, "install", "--server")[1].count("already installed") == 1
    assert hook.read_bytes() == script  # installing twice changes nothing
    git(repo, "remote", "add", "origin", str(bare))
    commit(repo, VALID, "valid")
    proc = push(repo, "main")
    assert proc.returncode == 0 and "theirs ran" in remote(proc)
    sha = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert (bare / "received.log").read_text() == f"{'0' * 40} {sha} refs/heads/main\n"  # the same stdin
    bad = commit(repo, BAD_BATCH, "bad config")
    proc = push(repo, "main")
    assert proc.returncode == 1 and f"  {bad}:{CONFIG}:{BATCH_LINE}" in remote(proc)
    assert "theirs ran" not in remote(proc)  # refused by ours: theirs is not asked
    assert cli(bare, "uninstall")[0] == 0
    assert hook.read_bytes() == theirs


def test_install_server_refuses_other_options(tmp_path: Path) -> None:
    bare = tmp_path / "x.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    code, _, err = cli(bare, "install", "--server", "--hook-type", "pre-push")
    assert code == 2
    assert err.splitlines()[-1] == ("codequery-gitcfg install: error: --server installs the pre-receive hook alone: "
                                    "it takes no --hook-type, --merge-driver-only or --huey-post-commit")


def test_install_server_from_anywhere_with_git_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "y.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    monkeypatch.setenv("GIT_DIR", "y.git")  # relative, as a user types it, from the folder above
    code, out, err = cli(tmp_path, "install", "--server")
    assert code == 0, err
    assert f"hooks folder: {bare.resolve() / 'hooks'}" in out
    assert (bare / "hooks" / "pre-receive").read_bytes().startswith(b"#!/bin/sh\n# The pre-receive hook of codequery-gitcfg")
    assert cli(tmp_path, "uninstall")[1].splitlines()[1:] == ["  pre-receive: removed"]


def test_an_error_reaches_the_pusher_as_one_line(repo: Path, server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A line naming a commit the repository does not have: git's own refusal, in one line.
    from codequery_gitcfg.cli.hook import main

    missing = "1234567890abcdef1234567890abcdef12345678"
    monkeypatch.chdir(server)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{'0' * 40} {missing} refs/heads/x\n"))
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    assert main(["pre-receive"]) == 1
    assert err.getvalue() == f"git log: bad object {missing}\n"
