"""install / uninstall: where the scripts go, what they keep, and what they run."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support.hooks import CONFIG, cli, commit_skipping_hooks, committed, install, run_git, status
from support.repos import LEGACY_AUTO, git

HOOKS = ("pre-commit", "pre-merge-commit", "post-merge", "post-rewrite", "post-checkout", "post-commit",
         "post-applypatch", "pre-push")
# A hook someone else installed: it logs how it was called and what came on stdin.
FOREIGN = b"""#!/bin/sh
log="$(git rev-parse --git-common-dir)/foreign.log"
echo "$(basename "$0") $*" >> "$log"
cat >> "$log"
"""


def snapshot(folder: Path) -> Dict[str, Tuple[bytes, int, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def test_install_writes_our_scripts_where_git_looks(repo: Path) -> None:
    out = install(repo)
    assert f"hooks folder: {repo / '.git' / 'hooks'}" in out
    for hook in HOOKS:
        path = hooks_dir(repo) / hook
        assert path.stat().st_mode & 0o111
        text = path.read_text()
        assert f"codequery-gitcfg-managed: hook={hook} version=" in text
        assert f"python='{sys.executable}'" in text
        assert installer.inspect(str(hooks_dir(repo)), hook).current


def test_install_twice_changes_nothing(repo: Path) -> None:
    install(repo)
    before = snapshot(hooks_dir(repo))
    out = install(repo)
    assert snapshot(hooks_dir(repo)) == before
    assert out.count("already installed") == len(HOOKS)


def test_install_picks_hook_types(repo: Path) -> None:
    install(repo, "--hook-type", "pre-commit", "-t", "post-merge")
    assert {p.name for p in hooks_dir(repo).iterdir() if not p.name.endswith(".sample")} == {"pre-commit", "post-merge"}
    code, _, err = cli(repo, "install", "--hook-type", "pre-rebase")
    assert code == 2 and "invalid choice" in err


def test_outdated_script_is_replaced(repo: Path) -> None:
    install(repo, "-t", "pre-commit")
    path = hooks_dir(repo) / "pre-commit"
    path.write_text(path.read_text().replace("version=", "version=0.0.0-"))
    assert "pre-commit: updated" in install(repo, "-t", "pre-commit")
    assert installer.inspect(str(hooks_dir(repo)), "pre-commit").current


def test_foreign_hooks_are_kept_chained_and_restored(repo: Path, write_config: Callable[..., Path]) -> None:
    for hook in ("pre-commit", "post-rewrite"):
        (hooks_dir(repo) / hook).write_bytes(FOREIGN)
        (hooks_dir(repo) / hook).chmod(0o750)
    out = install(repo)
    assert "kept as pre-commit.codequery-gitcfg.orig and runs after ours" in out
    kept = hooks_dir(repo) / "pre-commit.codequery-gitcfg.orig"
    assert kept.read_bytes() == FOREIGN and stat.S_IMODE(kept.stat().st_mode) == 0o750
    assert installer.inspect(str(hooks_dir(repo)), "pre-commit").state == "ours"

    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "legacy")
    assert "migrated the staged" in proc.stderr
    assert committed(repo)["processing"] == {"mode": "auto"}
    log = repo / ".git" / "foreign.log"
    assert log.read_text() == "pre-commit.codequery-gitcfg.orig \n"

    # post-rewrite gets the rewritten commits on stdin: the chained hook must see them.
    old = git(repo, "rev-parse", "HEAD").stdout.strip()
    run_git(repo, "commit", "-q", "--amend", "-m", "amended")
    new = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert log.read_text().splitlines()[1:] == [
        "pre-commit.codequery-gitcfg.orig ", "post-rewrite.codequery-gitcfg.orig amend", f"{old} {new}"]

    # A failing chained pre-commit still stops the commit.
    kept.write_bytes(FOREIGN + b"exit 3\n")
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    assert run_git(repo, "commit", "-qm", "x", check=False).returncode != 0
    assert git(repo, "log", "-1", "--format=%s").stdout == "amended\n"
    kept.write_bytes(FOREIGN)

    code, out, _ = cli(repo, "uninstall")
    assert code == 0
    assert "pre-commit: removed" in out and "restored" in out
    for hook in ("pre-commit", "post-rewrite"):
        path = hooks_dir(repo) / hook
        assert path.read_bytes() == FOREIGN and stat.S_IMODE(path.stat().st_mode) == 0o750
    assert sorted(p.name for p in hooks_dir(repo).iterdir() if not p.name.endswith(".sample")) == [
        "post-rewrite", "pre-commit"]


def test_install_refuses_to_overwrite_a_kept_hook(repo: Path) -> None:
    (hooks_dir(repo) / "pre-commit").write_bytes(FOREIGN)
    (hooks_dir(repo) / "pre-commit.codequery-gitcfg.orig").write_bytes(b"#!/bin/sh\n")
    code, out, _ = cli(repo, "install")
    assert code == 1 and "pre-commit: NOT installed" in out
    assert (hooks_dir(repo) / "pre-commit").read_bytes() == FOREIGN
    assert installer.inspect(str(hooks_dir(repo)), "post-merge").current  # the others are installed


def test_uninstall_without_our_hooks(repo: Path) -> None:
    assert cli(repo, "uninstall")[:2] == (0, f"hooks folder: {hooks_dir(repo)}\n  no codequery-gitcfg hooks here\n")


def test_core_hooks_path_is_honoured(repo: Path, write_config: Callable[..., Path]) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    out = install(repo)
    assert "(core.hooksPath = .githooks)" in out
    assert (repo / ".githooks" / "pre-commit").exists()
    assert not (hooks_dir(repo) / "pre-commit").exists()
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    run_git(repo, "commit", "-qm", "legacy")
    assert committed(repo)["schema_version"] == CURRENT_SCHEMA_VERSION
    assert status(repo) == "?? .githooks/\n"


def test_linked_worktree(repo: Path, tmp_path: Path, write_config: Callable[..., Path]) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    out = install(linked)
    assert f"hooks folder: {hooks_dir(repo)}" in out  # hooks are shared by all worktrees
    (linked / ".code-query").mkdir()
    (linked / CONFIG).write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(linked, "add", CONFIG)
    proc = run_git(linked, "commit", "-qm", "legacy in a linked worktree")
    assert "migrated the staged" in proc.stderr
    assert committed(linked)["processing"] == {"mode": "auto"}
    assert status(linked) == ""
    lock = repo / ".git" / "worktrees" / "linked" / "codequery-gitcfg" / ".code-query%config.json.lock"
    assert lock.exists()  # the linked worktree's own git directory, never the worktree


def test_dead_interpreter(repo: Path, write_config: Callable[..., Path]) -> None:
    worktree = worktree_by_gitpython(str(repo))
    assert worktree is not None
    installer.install(worktree, HOOKS, "/gone/venv/bin/python", os.environ)
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    run_git(repo, "commit", "-qm", "config not staged: no Python needed")

    git(repo, "checkout", "-qb", "feature")
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "legacy", check=False)
    assert proc.returncode == 1
    assert "the Python it was installed with is gone: /gone/venv/bin/python" in proc.stderr
    assert "codequery-gitcfg install" in proc.stderr

    commit_skipping_hooks(repo, "legacy")
    git(repo, "checkout", "-q", "main")
    proc = run_git(repo, "merge", "-q", "--squash", "feature")  # post-merge: says so, never fails
    assert proc.returncode == 0 and "is gone" in proc.stderr


def test_interpreter_without_the_package(repo: Path, tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # A virtual environment without the package (not `python -S`: the hook runs site itself).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    bare_python = tmp_path / "bare" / "bin" / "python"
    worktree = worktree_by_gitpython(str(repo))
    assert worktree is not None
    installer.install(worktree, ["pre-commit"], str(bare_python), os.environ)
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "legacy", check=False)
    assert proc.returncode == 1
    assert "cannot run the hook with" in proc.stderr and "codequery-gitcfg install" in proc.stderr


def test_skip_variable_still_runs_the_chained_hook(repo: Path, write_config: Callable[..., Path]) -> None:
    (hooks_dir(repo) / "pre-commit").write_bytes(FOREIGN)
    (hooks_dir(repo) / "pre-commit").chmod(0o755)
    install(repo)
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "skip", CODEQUERY_GITCFG_SKIP="true")
    assert "codequery-gitcfg" not in proc.stderr
    assert committed(repo) == LEGACY_AUTO
    assert (repo / ".git" / "foreign.log").read_text() == "pre-commit.codequery-gitcfg.orig \n"


@pytest.mark.parametrize("folder", ["it's", 'a "b" $c `d` \\e'])
def test_interpreter_paths_survive_quoting(tmp_path: Path, folder: str) -> None:
    python = f"/opt/{folder}/python"
    (tmp_path / "pre-commit").write_bytes(installer.render("pre-commit", python))
    found = installer.inspect(str(tmp_path), "pre-commit")
    assert found.python == python and found.current


def test_rebase_runs_ours_and_feeds_stdin_to_the_chained_post_rewrite(
        repo: Path, write_config: Callable[..., Path]) -> None:
    (hooks_dir(repo) / "post-rewrite").write_bytes(FOREIGN)
    (hooks_dir(repo) / "post-rewrite").chmod(0o755)
    install(repo)
    git(repo, "checkout", "-qb", "upstream")
    write_config(LEGACY_AUTO)
    commit_skipping_hooks(repo, "legacy upstream")
    git(repo, "checkout", "-q", "main")
    (repo / "local.txt").write_text("local\n")
    git(repo, "add", "local.txt")
    run_git(repo, "commit", "-qm", "local")
    old = git(repo, "rev-parse", "HEAD").stdout.strip()
    proc = run_git(repo, "rebase", "-q", "upstream")
    new = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert f"migrated {CONFIG} to {CURRENT_VERSION_NAME} after the rebase" in proc.stderr
    assert (repo / ".git" / "foreign.log").read_text().splitlines() == [
        "post-rewrite.codequery-gitcfg.orig rebase", f"{old} {new}"]


def test_install_from_a_subfolder(repo: Path) -> None:
    (repo / "sub").mkdir()
    code, out, _ = cli(repo / "sub", "install", "-t", "pre-commit")
    assert code == 0 and f"hooks folder: {hooks_dir(repo)}" in out
    assert (hooks_dir(repo) / "pre-commit").exists()


def test_a_chain_that_comes_back_to_us_ends(repo: Path, write_config: Callable[..., Path]) -> None:
    # Another manager's hook that runs "<hook>.legacy", as the pre-commit framework does.
    manager = b"""#!/bin/sh
echo manager >> "$(git rev-parse --git-common-dir)/chain.log"
if [ -x "$(dirname "$0")/pre-commit.legacy" ]; then "$(dirname "$0")/pre-commit.legacy" "$@" || exit; fi
"""
    (hooks_dir(repo) / "pre-commit").write_bytes(manager)
    (hooks_dir(repo) / "pre-commit").chmod(0o755)
    install(repo, "-t", "pre-commit")
    # The manager installs itself again: ours becomes its .legacy, and ours chains to the old manager.
    os.rename(hooks_dir(repo) / "pre-commit", hooks_dir(repo) / "pre-commit.legacy")
    (hooks_dir(repo) / "pre-commit").write_bytes(manager)
    (hooks_dir(repo) / "pre-commit").chmod(0o755)
    write_config(LEGACY_AUTO)
    git(repo, "add", CONFIG)
    proc = run_git(repo, "commit", "-qm", "legacy")
    assert proc.stderr.count("migrated the staged") == 1
    assert (repo / ".git" / "chain.log").read_text() == "manager\nmanager\n"


FRAMEWORK_SCRIPT = "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexit 0\n"


def test_install_leaves_the_framework_hook_that_runs_ours(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos:\n- repo: x\n  hooks:\n  - id: codequery-config-migrate\n")
    (hooks_dir(repo) / "pre-commit").write_text(FRAMEWORK_SCRIPT)
    code, out, _ = cli(repo, "install", "-t", "pre-commit", "-t", "post-merge")
    assert code == 0
    assert ("  pre-commit: NOT installed: the pre-commit framework's hook is there and runs "
            "codequery-config-migrate; it does what ours would\n") in out
    assert "  post-merge: installed\n" in out
    assert (hooks_dir(repo) / "pre-commit").read_text() == FRAMEWORK_SCRIPT


def test_install_says_it_wraps_a_framework_hook_without_ours(repo: Path) -> None:
    (hooks_dir(repo) / "pre-commit").write_text(FRAMEWORK_SCRIPT)
    code, out, _ = cli(repo, "install", "-t", "pre-commit")
    assert code == 0
    assert ("  pre-commit: installed (the pre-commit framework's hook that was there is kept as "
            "pre-commit.codequery-gitcfg.orig and runs after ours; to let the framework run our checks instead, "
            "add codequery-config-validate or codequery-config-migrate to .pre-commit-config.yaml and run "
            "`codequery-gitcfg uninstall`)\n") in out
