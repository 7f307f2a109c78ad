"""install registers the merge driver (local git config + info/attributes), uninstall removes it, doctor reports it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from codequery_gitcfg.git.install import driver_command

from support.hooks import CONFIG, cli, install, status
from support.repos import git

ATTRIBUTE = f"{CONFIG} merge=codequery-config"


def local_config(repo: Path) -> str:
    return git(repo, "config", "--local", "--get-regexp", r"^merge\.", check=False).stdout


def test_install_registers_it_and_commits_nothing(repo: Path) -> None:
    out = install(repo)
    attributes = repo / ".git" / "info" / "attributes"
    assert ("  merge driver: registered (merge.codequery-config in the local git config, "
            f"{ATTRIBUTE!r} in {attributes})") in out
    assert local_config(repo) == ("merge.codequery-config.name codequery-gitcfg: Code Query config, merged key by key\n"
                                  f"merge.codequery-config.driver {driver_command(sys.executable)}\n")
    assert driver_command("/v/bin/python") == (
        "'/v/bin/python' -I -c 'import sys, _signal; _signal.signal(_signal.SIGINT, _signal.SIG_DFL); "
        "from codequery_gitcfg.cli import quit_on_interrupt; from codequery_gitcfg.cli.hook import main; "
        "quit_on_interrupt(); sys.exit(main())' "
        "merge-driver %O %A %B %L %P; s=$?; [ $s -le 1 ] && exit $s; case ${CODEQUERY_GITCFG_FAVOR-} in "
        "[Oo][Uu][Rr][Ss]) f=--ours ;; [Tt][Hh][Ee][Ii][Rr][Ss]) f=--theirs ;; *) f= ;; esac; "
        "git merge-file $f -L ours -L base -L theirs --marker-size=%L %A %O %B")
    assert attributes.read_text() == ATTRIBUTE + "\n"
    assert git(repo, "check-attr", "merge", "--", CONFIG).stdout == f"{CONFIG}: merge: codequery-config\n"
    assert status(repo) == ""


def test_installing_twice_changes_nothing(repo: Path) -> None:
    install(repo)
    attributes = repo / ".git" / "info" / "attributes"
    before = (attributes.stat().st_mtime_ns, (repo / ".git" / "config").read_bytes())
    assert "  merge driver: already registered\n" in install(repo)
    assert (attributes.stat().st_mtime_ns, (repo / ".git" / "config").read_bytes()) == before


def test_uninstall_removes_only_ours(repo: Path) -> None:
    attributes = repo / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    attributes.write_text("*.bin -diff\n")
    git(repo, "config", "merge.other.driver", "true")
    install(repo)
    assert attributes.read_text() == f"*.bin -diff\n{ATTRIBUTE}\n"
    code, out, _ = cli(repo, "uninstall")
    assert code == 0
    assert "  merge driver: removed merge.codequery-config from the local git config\n" in out
    assert f"  merge driver: removed {ATTRIBUTE!r} from {attributes}\n" in out
    assert attributes.read_text() == "*.bin -diff\n"
    assert local_config(repo) == "merge.other.driver true\n"


def test_a_foreign_driver_of_that_name_is_left_alone(repo: Path) -> None:
    git(repo, "config", "merge.codequery-config.driver", "my-own %A")
    code, out, _ = cli(repo, "install")
    assert code == 1
    assert ("  merge driver: NOT registered: merge.codequery-config in this repository's git config is not ours; "
            "remove it (`git config --remove-section merge.codequery-config`) and run install again") in out
    assert "  merge driver: left alone: merge.codequery-config is not ours" in cli(repo, "uninstall")[1]
    assert local_config(repo) == "merge.codequery-config.driver my-own %A\n"


def test_framework_users_register_only_the_driver(repo: Path) -> None:
    code, out, _ = cli(repo, "install", "--merge-driver-only")
    assert code == 0
    assert out.startswith("  merge driver: registered")
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert "merge.codequery-config.driver" in local_config(repo)


def test_a_linked_worktree_shares_it(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked))
    install(linked)
    assert (repo / ".git" / "info" / "attributes").read_text() == ATTRIBUTE + "\n"
    assert git(repo, "check-attr", "merge", "--", CONFIG).stdout == f"{CONFIG}: merge: codequery-config\n"


def test_doctor_reports_it(repo: Path) -> None:
    def said() -> str:
        out = cli(repo, "doctor")[1]
        return next(x for x in out.splitlines() if x.strip().startswith("merge driver"))

    assert said() == ("  merge driver     ok  not registered (optional: without it git merges the config line by line; "
                      "`codequery-gitcfg install --merge-driver-only` registers it)")
    install(repo)
    assert said() == f"  merge driver     ok  registered; runs {sys.executable}"
    (repo / ".git" / "info" / "attributes").write_text("")
    assert said() == (f"  merge driver     FIX half registered ({ATTRIBUTE!r} in info/attributes is missing): "
                      "run `codequery-gitcfg install`")


def test_with_its_python_gone_git_s_text_merge_still_runs(repo: Path) -> None:
    from codequery_gitcfg.git import install as installer
    from codequery_gitcfg.git.repo import worktree_by_gitpython

    worktree = worktree_by_gitpython(str(repo))
    assert worktree is not None
    assert installer.install_driver(worktree, "/gone/python", {}) == 0
    lines = ["{\n", '  "dataset_name": "proj",\n', '  "model": "sonnet",\n', '  "processing": {"mode": "auto"}\n',
             "}\n"]
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text("".join(lines))
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / CONFIG).write_text("".join(lines).replace('"auto"', '"manual"'))
    git(repo, "commit", "-qam", "manual")
    git(repo, "checkout", "-q", "main")
    (repo / CONFIG).write_text("".join(lines).replace('"proj"', '"project"'))
    git(repo, "commit", "-qam", "renamed")
    proc = git(repo, "merge", "-q", "--no-edit", "feature")
    assert "/gone/python" in proc.stderr
    assert (repo / CONFIG).read_text() == "".join(lines).replace('"auto"', '"manual"').replace('"proj"', '"project"')


@pytest.mark.parametrize("favour, model", [("theirs", "haiku"), ("OURS", "opus"), ("", None)])
def test_with_its_python_gone_git_s_text_merge_takes_the_favoured_side(repo: Path, favour: str,
                                                                        model: Optional[str]) -> None:
    from codequery_gitcfg.git import install as installer
    from codequery_gitcfg.git.repo import worktree_by_gitpython

    worktree = worktree_by_gitpython(str(repo))
    assert worktree is not None
    assert installer.install_driver(worktree, "/gone/python", {}) == 0
    text = '{\n  "dataset_name": "proj",\n  "model": "sonnet"\n}\n'
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text(text)
    git(repo, "add", CONFIG)
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / CONFIG).write_text(text.replace("sonnet", "haiku"))
    git(repo, "commit", "-qam", "haiku")
    git(repo, "checkout", "-q", "main")
    (repo / CONFIG).write_text(text.replace("sonnet", "opus"))
    git(repo, "commit", "-qam", "opus")
    proc = subprocess.run(["git", "merge", "-q", "--no-edit", "feature"], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "CODEQUERY_GITCFG_FAVOR": favour})
    if model is None:
        assert proc.returncode == 1 and "<<<<<<< ours" in (repo / CONFIG).read_text(), proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert (repo / CONFIG).read_text() == text.replace("sonnet", model)
