"""The history engine (``codequery_gitcfg.git.history``, ARCHITECTURE.md): one listing, one
blob reader, each distinct blob judged once; and post-rewrite, which judges a whole rebase at once."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from codequery_gitcfg.git import history
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git import repo as gitrepo
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support.history import BAD_BATCH, BATCH_LINE, CONFIG, TYPO, TYPO_LINE, short
from support.history import commit as commit_config
from support.hooks import install, run_git
from support.repos import LEGACY_AUTO, VALID, git


def commit(repo: Path, content: Any, message: str, path: str = CONFIG) -> str:
    """``support.history.commit``, naming the commit in full (the listing's ids are full)."""
    commit_config(repo, content, message, path)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def other(repo: Path, name: str, message: str) -> str:
    (repo / name).write_text(f"{name}\n")
    git(repo, "add", name)
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


# -- the engine ------------------------------------------------------------------------
def test_the_listing_names_root_merges_symlinks_and_deletions(repo: Path) -> None:
    first = commit(repo, VALID, "add")
    git(repo, "checkout", "-qb", "side")
    side = commit(repo, BAD_BATCH, "side: bad")
    git(repo, "checkout", "-q", "main")
    other(repo, "x.txt", "main: other")
    git(repo, "merge", "-q", "--no-ff", "--no-verify", "-m", "merge", "side")
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()
    os.remove(repo / CONFIG)
    os.symlink("../x.txt", repo / CONFIG)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "link")
    link = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "rm", "-q", CONFIG)
    git(repo, "commit", "-qm", "gone")
    gone = git(repo, "rev-parse", "HEAD").stdout.strip()
    changes = gitrepo.config_changes(["main"], str(repo), os.environ)
    assert [(c.name.commit, c.mode) for c in changes] == [
        (first, "100644"), (side, "100644"), (merge, "100644"), (link, "120000"), (gone, "000000")]
    assert changes[2].name.parents[1] == side  # the merge, against its first parent
    assert changes[0].name.subject == "add"


def test_each_distinct_blob_is_read_and_judged_once(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    for n in range(3):
        commit(repo, BAD_BATCH, f"bad {n}")
        commit(repo, VALID, f"valid {n}")
    judged: List[bytes] = []
    real = history.judge_blob
    monkeypatch.setattr(history, "judge_blob", lambda raw, label: judged.append(raw) or real(raw, label))
    asked: List[List[str]] = []
    real_read = gitrepo.read_blobs
    monkeypatch.setattr(gitrepo, "read_blobs", lambda ids, *a, **k: asked.append(list(ids)) or real_read(ids, *a, **k))
    found = history.examine([f"{base}..HEAD"], str(repo), os.environ)
    assert len(found.changes) == 6
    assert sorted(judged) == sorted({json.dumps(c, indent=2).encode() + b"\n" for c in (BAD_BATCH, VALID)})
    assert len(asked) == 1 and len(asked[0]) == 2  # one reader, two distinct blobs
    assert [c.judged.clean for c in found.changes] == [False, True] * 3


def test_one_listing_one_size_check_one_reader(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    for n in range(20):
        commit(repo, {**VALID, "processing": {"batch_size": n + 1}}, f"config {n}")
    calls: List[str] = []
    real = gitrepo.run_git
    monkeypatch.setattr(gitrepo, "run_git", lambda args, **kw: calls.append(" ".join(args[:3])) or real(args, **kw))
    popen = subprocess.Popen
    started: List[str] = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: started.append(" ".join(args[:4])) or popen(args, **kw))
    found = history.examine([f"{base}..HEAD"], str(repo), os.environ)
    assert len(found.changes) == 20 and all(c.judged.clean for c in found.changes)
    assert calls == ["--no-replace-objects log -z", "--no-replace-objects cat-file --batch-check=%(objectname) "
                     "%(objecttype) %(objectsize)"]
    # every git process started: the listing, the sizes, the one reader
    assert started == ["git --no-replace-objects log -z", "git --no-replace-objects cat-file --batch-check=%(objectname) "
                       "%(objecttype) %(objectsize)", "git --no-replace-objects cat-file --batch"]


def test_an_oversized_blob_is_refused_from_its_header_never_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    commit(repo, b" " * (2 * 1024 * 1024) + b"{}", "two megabytes")
    commit(repo, VALID, "valid")
    asked: List[str] = []
    real_read = gitrepo.read_blobs
    monkeypatch.setattr(gitrepo, "read_blobs", lambda ids, *a, **k: asked.extend(ids) or real_read(ids, *a, **k))
    found = history.examine([f"{base}..HEAD"], str(repo), os.environ)
    assert found.changes[0].judged.problems[0].message == "config file is larger than 1048576 bytes (1 MiB)"
    assert asked == [found.changes[1].blob]  # only the small one was read


def test_the_blob_reader_is_bounded_and_stays_in_step(repo: Path) -> None:
    blobs = []
    for content in (b"small", b"x" * 5000, b"also small"):
        blobs.append(subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=content,
                                    capture_output=True, check=True).stdout.decode().strip())
    missing = "0123456789abcdef0123456789abcdef01234567"
    got = list(gitrepo.read_blobs([blobs[0], blobs[1], missing, blobs[2]], str(repo), os.environ, limit=100))
    assert got == [(blobs[0], b"small"), (blobs[1], None), (missing, None), (blobs[2], b"also small")]
    many = list(gitrepo.read_blobs([blobs[0]] * 300, str(repo), os.environ, limit=100))  # more than a chunk
    assert many == [(blobs[0], b"small")] * 300


def test_a_sha256_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "sha256"
    root.mkdir()
    git(root, "init", "-q", "--object-format=sha256")
    first = commit(root, VALID, "valid")
    bad = commit(root, BAD_BATCH, "bad")
    assert len(bad) == 64
    found = history.examine([first], str(root), os.environ)
    assert [len(c.blob) for c in found.changes] == [64]
    found = history.examine([f"{first}..HEAD"], str(root), os.environ)
    assert [c.name.commit for c in found.changes] == [bad]
    assert found.changes[0].judged.problems[0].path == "processing.batch_size"


def test_the_rules_of_each_caller(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    legacy = commit(repo, LEGACY_AUTO, "legacy")
    bad = commit(repo, BAD_BATCH, "bad")
    tip = commit(repo, LEGACY_AUTO, "legacy again")
    found = history.examine([f"{base}..HEAD"], str(repo), os.environ, tips={"refs/heads/main": tip})
    everywhere = history.findings(found, legacy=history.EVERYWHERE, fix="FIX")
    assert [f.change.name.commit for f in everywhere] == [legacy, bad, tip]
    assert "run `FIX` to fix it" in everywhere[0].problems[0].message
    at_tips = history.findings(found, legacy=history.AT_TIPS, fix="FIX")
    assert [(f.change.name.commit, f.ref) for f in at_tips] == [(bad, None), (tip, "refs/heads/main")]
    assert [f.change.name.commit for f in history.findings(found, legacy=history.NOWHERE, fix="FIX")] == [bad]
    tips_only = history.findings(found, legacy=history.NOWHERE, fix="FIX", tips_only=True)
    assert tips_only == []  # the tip is legacy (allowed) and valid


# -- post-rewrite: a whole rebase judged at once ------------------------------------------
SUMMARY = (f"codequery-gitcfg: warning: after the rebase, 2 rewritten commits carry a {CONFIG} that is not valid "
           "or uses an old schema (git ran no pre-commit check for them):")


def rebase_scene(repo: Path) -> None:
    """main: a valid config; feature (checked out): a bad config, another file, a typo."""
    commit(repo, VALID, "valid config")
    git(repo, "checkout", "-qb", "feature")
    commit(repo, BAD_BATCH, "feature: bad batch")
    other(repo, "f.txt", "feature: a file")
    commit(repo, TYPO, "feature: typo")
    git(repo, "checkout", "-q", "main")
    other(repo, "m.txt", "main moves on")
    git(repo, "checkout", "-q", "feature")


def summary(repo: Path, stderr: str) -> List[str]:
    lines = stderr.splitlines()
    start = lines.index(SUMMARY)
    return lines[start:start + 6]


def expected(repo: Path) -> List[str]:
    bad, typo = short(repo, "HEAD~2"), short(repo, "HEAD")
    return [SUMMARY,
            f"codequery-gitcfg: commit {bad} (feature: bad batch):",
            f"  {bad}:{CONFIG}:{BATCH_LINE}",
            f"codequery-gitcfg: commit {typo} (feature: typo):",
            f"  {typo}:{CONFIG}:{TYPO_LINE}",
            f"codequery-gitcfg: fix each commit named where it is (`git rebase -i {bad}^`, mark each `edit`, fix the "
            f"file (`codequery-gitcfg migrate` migrates an old one), `git commit --amend -- {CONFIG}`, "
            "`git rebase --continue`) before you push"]


@pytest.mark.parametrize("how", [
    ("rebase", "main"),
    ("rebase", "--apply", "main"),
    ("rebase", "--merge", "--exec", "true", "main"),
    ("rebase", "-i", "main"),
], ids=["merge-backend", "apply-backend", "exec", "interactive"])
def test_post_rewrite_names_each_bad_rewritten_commit_once(repo: Path, how: tuple[str, ...]) -> None:
    rebase_scene(repo)
    install(repo)
    proc = run_git(repo, *how, GIT_SEQUENCE_EDITOR="true", GIT_EDITOR="true")
    assert proc.returncode == 0, proc.stderr
    assert summary(repo, proc.stderr) == expected(repo)
    assert proc.stderr.count(SUMMARY) == 1
    for rev in ("HEAD", "HEAD~2"):
        assert proc.stderr.count(f"codequery-gitcfg: commit {short(repo, rev)} (") == 1


def test_post_rewrite_after_pull_rebase_names_them_and_still_migrates(clones: Tuple[Path, Path]) -> None:
    mine, theirs = clones  # (tests/conftest.py): mine has our hooks
    commit(mine, BAD_BATCH, "mine: bad batch")
    commit(mine, TYPO, "mine: typo")
    other(theirs, "t.txt", "theirs: a file")
    git(theirs, "push", "-q", "origin", "main")
    proc = run_git(mine, "pull", "--rebase", "-q")
    assert proc.returncode == 0, proc.stderr
    assert summary(mine, proc.stderr)[:5] == [
        SUMMARY,
        f"codequery-gitcfg: commit {short(mine, 'HEAD~1')} (mine: bad batch):",
        f"  {short(mine, 'HEAD~1')}:{CONFIG}:{BATCH_LINE}",
        f"codequery-gitcfg: commit {short(mine, 'HEAD')} (mine: typo):",
        f"  {short(mine, 'HEAD')}:{CONFIG}:{TYPO_LINE}"]
    # and a pulled legacy config is still migrated in the working tree, as before
    commit(theirs, LEGACY_AUTO, "theirs: legacy config")
    git(theirs, "push", "-q", "origin", "main")
    git(mine, "reset", "-q", "--hard", "origin/main~1")
    other(mine, "l.txt", "mine: local work")
    proc = run_git(mine, "pull", "--rebase", "-q")
    assert proc.returncode == 0, proc.stderr
    assert f"codequery-gitcfg: migrated {CONFIG}" in proc.stderr
    assert SUMMARY not in proc.stderr


def test_post_rewrite_of_commits_that_never_touch_the_config_starts_no_python(repo: Path, tmp_path: Path) -> None:
    commit(repo, VALID, "valid config")
    git(repo, "checkout", "-qb", "feature")
    other(repo, "a.txt", "a")
    other(repo, "b.txt", "b")
    git(repo, "checkout", "-q", "main")
    other(repo, "m.txt", "main moves on")
    git(repo, "checkout", "-q", "feature")
    worktree = worktree_by_gitpython(str(repo), os.environ)
    assert worktree is not None
    gone = str(tmp_path / "gone" / "python")
    installer.install(worktree, ["post-rewrite"], gone, os.environ, driver=False)
    proc = run_git(repo, "rebase", "main")
    assert proc.returncode == 0 and "Python it was installed with is gone" not in proc.stderr
    commit(repo, BAD_BATCH, "now the config")
    git(repo, "checkout", "-q", "main")
    other(repo, "n.txt", "main again")
    git(repo, "checkout", "-q", "feature")
    proc = run_git(repo, "rebase", "main")
    assert "Python it was installed with is gone" in proc.stderr  # this one needs Python


def test_post_rewrite_passes_git_s_lines_to_a_hook_already_there(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "post-rewrite"
    hook.write_text('#!/bin/sh\necho "$@" > .git/theirs.log\ncat >> .git/theirs.log\n')
    hook.chmod(0o755)
    rebase_scene(repo)
    install(repo)
    old = git(repo, "rev-list", "--reverse", "main..feature").stdout.split()
    proc = run_git(repo, "rebase", "main")
    assert proc.returncode == 0, proc.stderr
    new = git(repo, "rev-list", "--reverse", "main..feature").stdout.split()
    assert (repo / ".git" / "theirs.log").read_text() == "rebase\n" + "".join(
        f"{o} {n}\n" for o, n in zip(old, new))
    assert SUMMARY in proc.stderr


def test_rewritten_reads_git_s_lines() -> None:
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    assert history.rewritten(f"{a} {b}\n{c} {b}\n\ngarbage\n{a} {c} extra\n") == [b, c]
    assert history.rewritten("") == []


def test_after_rewrite_with_nothing_bad_says_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = commit(repo, VALID, "valid")
    assert history.after_rewrite(f"{'a' * 40} {new}\n", os.environ, str(repo)) == 0
    assert capsys.readouterr().err == ""


def test_pre_receive_and_pre_push_ignore_malformed_lines(repo: Path) -> None:
    environ: Dict[str, str] = dict(os.environ)
    assert history.pre_receive("not three fields\n\n", environ, str(repo)) == 0
    assert history.pre_push(["origin", "url"], "a b c\n(delete) " + "0" * 40 + " refs/heads/x " + "1" * 40 + "\n",
                            environ, str(repo)) == 0
