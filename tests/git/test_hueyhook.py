"""`install --huey-post-commit`: the README's Huey post-commit hook, written with this interpreter,
run by real commits whose PATH lacks the virtual environment (as from a GUI client)."""
from __future__ import annotations

import json
import os
import re
import stat
import sys
import venv
from pathlib import Path
from typing import Dict, Tuple

import pytest
from codequery_gitcfg.git import hueyhook
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git.hooks import HOOKS
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support.hooks import bare_path, cli, install, run_git
from support.repos import git

KEPT = "post-commit.codequery-gitcfg-huey.orig"
# Code Query's task, as its worker module declares it; the "documentation" is a line on stderr
# and in .documented, so that the order of the hooks shows.
TASKS = '''
import json, os, sys
from huey import SqliteHuey

huey = SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db")


@huey.task()
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    print(f"documented {filepath}", file=sys.stderr)
    with open(os.path.join(project_root, ".documented"), "a") as f:
        f.write(json.dumps([dataset_name, filepath, commit_hash]) + "\\n")
'''
# A post-commit hook someone else installed: it says that it ran, and under which name.
FOREIGN = b"""#!/bin/sh
echo "foreign $(basename "$0")" >&2
"""


# Our hooks other than post-commit, so that the Huey hook takes the post-commit file
# (with our own post-commit hook, see the tests at the end).
OTHERS = ("-t", "pre-commit")
ONLY_HUEY = (*OTHERS, "--huey-post-commit")


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def snapshot(folder: Path) -> Dict[str, Tuple[bytes, int, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def cq_repo(repo: Path) -> Path:
    """Code Query's layout: a manual-mode config, its tasks.py, its run-time files ignored."""
    (repo / "tasks.py").write_text(TASKS)
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "config.json").write_text(
        json.dumps({"dataset_name": "proj", "processing": {"mode": "manual"}}, indent=2) + "\n")
    (repo / ".gitignore").write_text(".documented\n__pycache__/\n.code-query/*\n!.code-query/config.json\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "setup")
    return repo


def commit(repo: Path, name: str, **env: str) -> str:
    """Queue ``name`` as Code Query's pre-commit hook would, commit it; the commit's stderr."""
    (repo / name).write_text(f"{name}\n")
    (repo / ".code-query" / "file_queue.json").write_text(json.dumps({"files": [{"filepath": name}]}))
    git(repo, "add", name)
    return run_git(repo, "commit", "-qm", f"add {name}", **env).stderr


def documented(repo: Path) -> list:
    path = repo / ".documented"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def foreign(path: Path) -> None:
    path.write_bytes(FOREIGN)
    path.chmod(0o750)


def test_install_writes_the_template_with_this_python(cq_repo: Path) -> None:
    out = install(cq_repo, *ONLY_HUEY)
    assert "\n  huey post-commit: installed\n" in out
    hook = hooks_dir(cq_repo) / "post-commit"
    assert hook.read_bytes() == hueyhook.render(sys.executable)
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755
    text = hook.read_text()
    assert text.startswith("#!/bin/sh\n''':'\n")
    assert f'\npython={sys.executable}\n' in text
    assert '\nelif [ -x "$python" ]; then\n    "$python" -I "$0" "$@"\n' in text
    assert re.search(r"@[A-Z]+@", text) is None  # every placeholder filled


def test_a_commit_without_the_venv_on_path_documents_the_files(cq_repo: Path) -> None:
    install(cq_repo, *ONLY_HUEY)
    assert os.path.dirname(sys.executable) not in bare_path().split(os.pathsep)
    err = commit(cq_repo, "a.py")
    assert err == "documented a.py\n"  # manual mode: synchronous, here and now; no traceback
    assert documented(cq_repo) == [["proj", "a.py", "HEAD"]]
    assert not (cq_repo / ".code-query" / "file_queue.json").exists()


def test_a_foreign_post_commit_hook_is_kept_runs_after_and_is_restored(cq_repo: Path) -> None:
    hook = hooks_dir(cq_repo) / "post-commit"
    foreign(hook)
    out = install(cq_repo, *ONLY_HUEY)
    assert f"\n  huey post-commit: installed; the hook that was there is kept as {KEPT} and runs after it\n" in out
    assert (hooks_dir(cq_repo) / KEPT).read_bytes() == FOREIGN
    assert commit(cq_repo, "a.py") == f"documented a.py\nforeign {KEPT}\n"
    out = cli(cq_repo, "doctor")[1]
    assert f"\n  huey hook        ok  current; runs {sys.executable}, then the hook it replaced ({KEPT})\n" in out

    code, out, err = cli(cq_repo, "uninstall")
    assert (code, err) == (0, "")
    assert "\n  huey post-commit: removed\n  huey post-commit: restored the hook that was there before\n" in out
    assert hook.read_bytes() == FOREIGN
    assert stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not (hooks_dir(cq_repo) / KEPT).exists()
    assert commit(cq_repo, "b.py") == "foreign post-commit\n"


def test_installing_twice_changes_nothing_and_install_keeps_it_current(cq_repo: Path) -> None:
    foreign(hooks_dir(cq_repo) / "post-commit")
    install(cq_repo, *ONLY_HUEY)
    before = snapshot(hooks_dir(cq_repo))
    assert "\n  huey post-commit: already installed\n" in install(cq_repo, *ONLY_HUEY)
    assert "\n  huey post-commit: already installed\n" in install(cq_repo, *OTHERS)  # once there, install keeps it
    assert snapshot(hooks_dir(cq_repo)) == before

    where = hueyhook.where(installer.inspect(str(hooks_dir(cq_repo)), "post-commit"))
    assert where is not None
    old = Path(where)
    old.write_text(old.read_text().replace(" version=", " version=0.0.1-"))
    out = cli(cq_repo, "doctor")[1]
    assert "\n  huey hook        FIX installed, but outdated (written by codequery-gitcfg 0.0.1-" in out
    assert "\n  huey post-commit: updated\n" in install(cq_repo, *OTHERS)
    assert old.read_bytes() == hueyhook.render(sys.executable)
    assert (hooks_dir(cq_repo) / KEPT).read_bytes() == FOREIGN


def test_install_refuses_when_the_kept_place_is_taken(cq_repo: Path) -> None:
    foreign(hooks_dir(cq_repo) / "post-commit")
    foreign(hooks_dir(cq_repo) / KEPT)
    code, out, _ = cli(cq_repo, "install", *ONLY_HUEY)
    assert code == 1
    assert (f"\n  huey post-commit: NOT installed: {hooks_dir(cq_repo) / 'post-commit'} is not ours and "
            f"{hooks_dir(cq_repo) / KEPT} already exists; move one of them away and run install again\n") in out
    assert (hooks_dir(cq_repo) / "post-commit").read_bytes() == FOREIGN


def test_behind_our_post_commit_hook_it_takes_the_place_ours_runs(cq_repo: Path) -> None:
    # The layout `install` leaves with our own post-commit hook in front of a foreign one.
    folder = hooks_dir(cq_repo)
    (folder / "post-commit").write_bytes(installer.render("post-commit", sys.executable))
    (folder / "post-commit").chmod(0o755)
    foreign(folder / f"post-commit{installer.CHAINED}")
    out = install(cq_repo, *ONLY_HUEY)
    assert (f"\n  huey post-commit: installed (run by our post-commit hook, after its own work); the hook that "
            f"was there is kept as {KEPT} and runs after it\n") in out
    assert (folder / f"post-commit{installer.CHAINED}").read_bytes() == hueyhook.render(sys.executable)
    assert (folder / KEPT).read_bytes() == FOREIGN
    # Ours skipped, the chain still runs: the Huey hook, then the foreign one.
    assert commit(cq_repo, "a.py", CODEQUERY_GITCFG_SKIP="1") == f"documented a.py\nforeign {KEPT}\n"

    assert hueyhook.uninstall(installer.inspect(str(folder), "post-commit")) == [
        "  huey post-commit: removed", "  huey post-commit: restored the hook that was there before"]
    assert (folder / f"post-commit{installer.CHAINED}").read_bytes() == FOREIGN
    assert (folder / "post-commit").read_bytes() == installer.render("post-commit", sys.executable)


@pytest.mark.skipif("post-commit" not in HOOKS, reason="our own post-commit hook is not in this version")
@pytest.mark.parametrize("huey_first", [True, False])
def test_with_our_post_commit_hook_ours_runs_first_then_huey_then_foreign(cq_repo: Path, huey_first: bool) -> None:
    foreign(hooks_dir(cq_repo) / "post-commit")
    before = snapshot(hooks_dir(cq_repo))
    if huey_first:
        install(cq_repo, "--huey-post-commit")
        install(cq_repo)
    else:
        install(cq_repo)
        install(cq_repo, "--huey-post-commit")
    assert installer.inspect(str(hooks_dir(cq_repo)), "post-commit").current
    # A legacy config committed without pre-commit: our post-commit hook warns about it first.
    (cq_repo / ".code-query" / "config.json").write_text(json.dumps({"dataset_name": "proj", "auto_process": False}))
    git(cq_repo, "add", ".code-query/config.json")
    (cq_repo / "a.py").write_text("a\n")
    (cq_repo / ".code-query" / "file_queue.json").write_text(json.dumps({"files": [{"filepath": "a.py"}]}))
    git(cq_repo, "add", "a.py")
    err = run_git(cq_repo, "commit", "--no-verify", "-qm", "legacy").stderr
    assert err.index("codequery-gitcfg: warning: commit ") < err.index("documented a.py\n")
    assert err.endswith(f"documented a.py\nforeign {KEPT}\n")
    assert "Traceback" not in err

    assert cli(cq_repo, "uninstall")[0] == 0
    assert snapshot(hooks_dir(cq_repo)) == before


def test_a_gone_python_is_one_line_and_the_chain_still_runs(cq_repo: Path, tmp_path: Path) -> None:
    python = tmp_path / "python3"
    python.symlink_to(sys.executable)
    foreign(hooks_dir(cq_repo) / "post-commit")
    worktree = worktree_by_gitpython(str(cq_repo), os.environ)
    assert worktree is not None
    assert installer.install(worktree, [], str(python), os.environ, huey=True) == 0
    python.unlink()
    assert commit(cq_repo, "a.py") == (
        f"code-query: not documenting this commit: the Python this hook was installed with is gone ({python}); "
        f"run 'codequery-gitcfg install --huey-post-commit' again from Code Query's environment\nforeign {KEPT}\n")
    assert documented(cq_repo) == []
    code, out, _ = cli(cq_repo, "doctor")
    assert code == 1
    assert (f"\n  huey hook        FIX installed, but its Python is gone ({python}): "
            "run `codequery-gitcfg install`\n") in out


def test_a_python_without_codequery_gitcfg_is_one_line(cq_repo: Path, tmp_path: Path) -> None:
    venv.create(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / "bin" / "python"
    worktree = worktree_by_gitpython(str(cq_repo), os.environ)
    assert worktree is not None
    installer.install(worktree, [], str(python), os.environ, huey=True)
    assert commit(cq_repo, "a.py") == (
        f"code-query: not documenting this commit: No module named 'codequery_gitcfg' ({python}); "
        "run 'codequery-gitcfg install --huey-post-commit' again from Code Query's environment\n")
