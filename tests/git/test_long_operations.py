"""Rebases and cherry-pick / revert ranges: git runs post-commit once per commit, and the hooks
answer from the shell whenever nothing new must be judged (README: "Git hooks").

Every Python the hooks start goes through a wrapper that logs why it was started, so each test
proves which commits cost a Python process and which cost none.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, List

import pytest
from codequery_gitcfg.git import install as installer
from codequery_gitcfg.git.hooks import HOOKS
from codequery_gitcfg.git.repo import worktree_by_gitpython

from support.hooks import CONFIG, commit_skipping_hooks, run_git
from support.repos import git

# Who started Python: our scripts run `python [OPTIONS] -c CODE HOOK ARGS...`, the merge driver
# `python -I -c CODE merge-driver %O %A %B %L %P`, Code Query's Huey hook `python -I SCRIPT`.
WRAPPER = """#!/bin/sh
who= prev=
for a do
    case $prev in
        code) who=$a; break ;;
        -c) prev=code ;;
        *) prev=$a ;;
    esac
done
[ -n "$who" ] || who=${{2##*/}}
printf '%s\\n' "$who" >> "{log}"
exec "{python}" "$@"
"""
HUEY = "post-commit.codequery-gitcfg.orig"  # where Code Query's Huey hook goes, behind ours


class Started:
    """The Pythons the hooks started since the last ``clear()``."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def clear(self) -> None:
        self.log.write_text("")

    def __call__(self, *only: str) -> List[str]:
        """Who started Python, in order; with ``only``, those of them alone."""
        return [who for who in self.log.read_text().splitlines() if not only or who in only]


def install_counted(repo: Path, tmp_path: Path, huey: bool = False) -> Started:
    log = tmp_path / "pythons.log"
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(WRAPPER.format(log=log, python=sys.executable))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    worktree = worktree_by_gitpython(str(repo), os.environ)
    assert worktree is not None
    assert installer.install(worktree, list(HOOKS), str(wrapper), os.environ, huey=huey) == 0
    started = Started(log)
    started.clear()
    return started


def write(repo: Path, content: Any) -> None:
    target = repo / CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")


def config_with(**processing: Any) -> dict[str, Any]:
    # model first, processing last: git's own text merge keeps them apart, as the driver does
    return {"dataset_name": "project", "model": "sonnet", "exclude_patterns": ["dist/*"],
            "processing": {"mode": "manual", **processing}}


def short(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", "--short", rev).stdout.strip()


def commits(repo: Path, revs: str) -> List[str]:
    return git(repo, "rev-list", "--reverse", revs).stdout.split()


@pytest.fixture
def base(repo: Path) -> Path:
    write(repo, config_with(delay_seconds=0))
    commit_skipping_hooks(repo, "config")
    return repo


def side_branch(repo: Path, configs: List[Any], hooks: bool = False) -> None:
    """Branch ``side`` from HEAD: one commit per config (None: a commit that leaves it alone)."""
    git(repo, "checkout", "-q", "-b", "side")
    for n, content in enumerate(configs):
        if content is None:
            (repo / f"file{n}.txt").write_text(f"{n}\n")
            git(repo, "add", f"file{n}.txt")
            git(repo, "commit", "-q", "--no-verify", "-m", f"side {n}: a file")
            continue
        write(repo, content)
        if hooks:  # with our pre-commit, which remembers the blob it passed
            run_git(repo, "commit", "-qam", f"side {n}: config")
        else:
            commit_skipping_hooks(repo, f"side {n}: config")
    git(repo, "checkout", "-q", "main")


def main_changes_the_model(repo: Path) -> None:
    data = json.loads((repo / CONFIG).read_text())
    write(repo, {**data, "model": "opus"})
    commit_skipping_hooks(repo, "main: model")


# -- rebase -------------------------------------------------------------------------------------
def test_post_commit_during_a_rebase_starts_no_python(base: Path, tmp_path: Path) -> None:
    side_branch(base, [None, config_with(delay_seconds=1), {"dataset_name": "bad name!"}, None])
    (base / "main.txt").write_text("main\n")
    git(base, "add", "main.txt")
    git(base, "commit", "-qm", "main: a file")
    started = install_counted(base, tmp_path, huey=True)
    git(base, "checkout", "-q", "side")
    started.clear()
    proc = run_git(base, "rebase", "main")
    # not once in four replayed commits (two change the config), nor Code Query's Huey hook
    assert started("post-commit", HUEY) == []
    # post-rewrite, once at the end, names the bad commit, once
    assert started("post-rewrite") == ["post-rewrite"]
    assert proc.stderr.count(f"commit {short(base, 'HEAD~1')} (side 2: config)") == 1
    assert proc.stderr.count("carr") == 1


def test_a_rebase_with_the_apply_backend_starts_no_post_commit_python(base: Path, tmp_path: Path) -> None:
    side_branch(base, [config_with(delay_seconds=1), config_with(delay_seconds=2)])
    (base / "main.txt").write_text("main\n")
    git(base, "add", "main.txt")
    git(base, "commit", "-qm", "main: a file")
    started = install_counted(base, tmp_path)
    git(base, "checkout", "-q", "side")
    started.clear()
    run_git(base, "rebase", "--apply", "main")
    assert started("post-commit", "post-applypatch") == []


def test_am_still_names_each_commit_it_makes(base: Path, tmp_path: Path) -> None:
    """`git am` keeps its state in rebase-apply/ too (with an "applying" file): not a rebase."""
    side_branch(base, [{"dataset_name": "bad name!"}])
    git(base, "format-patch", "-q", "-1", "side", "-o", str(tmp_path / "patches"))
    started = install_counted(base, tmp_path)
    proc = run_git(base, "am", "-q", *map(str, sorted((tmp_path / "patches").iterdir())))
    assert started("post-applypatch") == ["post-applypatch"]
    assert proc.stderr.count(f"commit {short(base)} (side 0: config) carries a {CONFIG} that is not valid") == 1


# -- cherry-pick and revert ranges -------------------------------------------------------------------
def picked(repo: Path, since: str) -> List[str]:
    return commits(repo, f"{since}..HEAD")


def test_a_cherry_pick_range_of_blobs_pre_commit_passed_starts_no_python(base: Path, tmp_path: Path) -> None:
    started = install_counted(base, tmp_path)
    side_branch(base, [config_with(delay_seconds=n) for n in (1, 2, 3)] + [None], hooks=True)
    # each blob judged once, by pre-commit; its commit's post-commit found it in the memo
    assert started("pre-commit", "post-commit") == ["pre-commit"] * 3
    before = git(base, "rev-parse", "HEAD").stdout.strip()
    started.clear()
    proc = run_git(base, "cherry-pick", "main..side")
    assert len(picked(base, before)) == 4
    assert started() == []  # four commits, no Python: three known blobs, one commit that leaves it alone
    assert "codequery-gitcfg" not in proc.stderr


def test_a_cherry_pick_range_merged_by_the_driver_costs_no_post_commit_python(base: Path, tmp_path: Path) -> None:
    side_branch(base, [config_with(delay_seconds=n) for n in (1, 2, 3)])
    main_changes_the_model(base)
    started = install_counted(base, tmp_path)
    before = git(base, "rev-parse", "HEAD").stdout.strip()
    proc = run_git(base, "cherry-pick", "main..side")
    # both sides changed the config: the driver merged each commit and remembered its result
    assert started() == ["merge-driver"] * 3
    assert json.loads((base / CONFIG).read_text())["model"] == "opus"
    assert json.loads((base / CONFIG).read_text())["processing"]["delay_seconds"] == 3
    assert "codequery-gitcfg" not in proc.stderr
    blobs = (base / ".git" / "codequery-gitcfg" / "valid-blobs").read_text().split("\n")[1:]
    for commit in picked(base, before):
        assert git(base, "rev-parse", f"{commit}:{CONFIG}").stdout.strip() in blobs


def test_a_commit_pre_commit_migrated_costs_post_commit_no_python(base: Path, tmp_path: Path) -> None:
    started = install_counted(base, tmp_path)
    write(base, {"dataset_name": "project", "auto_process": True})
    proc = run_git(base, "commit", "-qam", "legacy")
    assert "this commit carries the migrated file" in proc.stderr
    assert started() == ["pre-commit"]  # post-commit found the migrated blob in the memo
    assert json.loads(git(base, "show", f"HEAD:{CONFIG}").stdout)["processing"] == {"mode": "auto"}


def test_a_range_that_deletes_the_config_starts_no_python(base: Path, tmp_path: Path) -> None:
    git(base, "checkout", "-q", "-b", "side")
    git(base, "rm", "-q", CONFIG)
    git(base, "commit", "-q", "--no-verify", "-m", "no config")
    git(base, "checkout", "-q", "main")
    started = install_counted(base, tmp_path)
    proc = run_git(base, "cherry-pick", "main..side")
    assert started() == []
    assert "codequery-gitcfg" not in proc.stderr


def test_a_revert_range_of_known_blobs_starts_no_python(base: Path, tmp_path: Path) -> None:
    started = install_counted(base, tmp_path)
    for n in (1, 2):
        write(base, config_with(delay_seconds=n))
        run_git(base, "commit", "-qam", f"delay {n}")
    started.clear()
    run_git(base, "revert", "--no-edit", "HEAD~2..HEAD")
    # back to the blob pre-commit passed, then to the one committed before install:
    # never judged, so Python judges it once, and remembers it
    assert started() == ["post-commit"]
    started.clear()
    run_git(base, "revert", "--no-edit", "HEAD~2..HEAD")  # and forth: all known now
    assert started() == []


def test_every_bad_or_unknown_commit_of_a_cherry_pick_range_is_named_once(base: Path, tmp_path: Path) -> None:
    started = install_counted(base, tmp_path)
    side_branch(base, [config_with(delay_seconds=1)], hooks=True)  # known: pre-commit passed it
    git(base, "checkout", "-q", "side")
    for n, content in ((1, {"dataset_name": "bad name!"}), (2, config_with(delay_seconds=2)),
                       (3, config_with(batch_size=0))):
        write(base, content)
        git(base, "add", CONFIG)  # as a teammate without hooks: nothing judged these blobs
        git(base, "-c", "core.hooksPath=/dev/null", "commit", "-qm", f"side {n}: unchecked")
    git(base, "checkout", "-q", "main")
    before = git(base, "rev-parse", "HEAD").stdout.strip()
    started.clear()
    proc = run_git(base, "cherry-pick", "main..side")
    names = [short(base, c) for c in picked(base, before)]
    warning = f"carries a {CONFIG} that is not valid; git ran no pre-commit check for it:"
    assert proc.stderr.count(warning) == 2
    subjects = ["side 0: config", "side 1: unchecked", "side 2: unchecked", "side 3: unchecked"]
    for name, subject, bad in zip(names, subjects, [False, True, False, True]):
        assert proc.stderr.count(f"commit {name} ({subject})") == (1 if bad else 0), subject
    assert "batch_size" in proc.stderr and "dataset_name" in proc.stderr
    # Python for the three blobs never judged; none for the one pre-commit passed
    assert started() == ["post-commit"] * 3


def git_calls(trace: Path, command: str) -> int:
    """How many ``git COMMAND`` processes GIT_TRACE saw (the hooks' included)."""
    return sum(f"built-in: git {command} " in line for line in trace.read_text().splitlines())


@pytest.mark.parametrize("how", ["cherry-pick", "revert"])
def test_a_range_that_leaves_the_config_alone_costs_one_git_call_in_all(base: Path, tmp_path: Path,
                                                                        how: str) -> None:
    side_branch(base, [None] * 6)
    started = install_counted(base, tmp_path, huey=True)
    # the Huey hook's shell says when it runs at all (its Python is counted anyway)
    huey = base / ".git" / "hooks" / HUEY
    huey.write_text(huey.read_text().replace("\nqueue=", f"\necho huey >> '{tmp_path / 'huey.log'}'\nqueue=", 1))
    trace = tmp_path / "trace"
    if how == "cherry-pick":
        run_git(base, "cherry-pick", "main..side", GIT_TRACE=str(trace))
    else:
        git(base, "merge", "-q", "--ff-only", "side")
        run_git(base, "revert", "--no-edit", "HEAD~6..HEAD", GIT_TRACE=str(trace))
    assert started() == []
    # six commits: one look at all of them, none per commit (and the Huey hook not started)
    assert git_calls(trace, "cat-file") == 1
    assert git_calls(trace, "diff-tree") == 0
    assert not (tmp_path / "huey.log").exists()  # nothing queued: Code Query's hook is not even started


def test_a_change_a_rename_carries_into_the_config_is_still_named(repo: Path, tmp_path: Path) -> None:
    # main renames settings.json to the config; side, from before the rename, edits settings.json:
    # picking it changes the config, though the original never touches that path
    settings = {**config_with(delay_seconds=0), "created_at": "2024-05-01T10:00:00Z",
                "worktree": {"branch": "main", "is_worktree": False}}
    (repo / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    git(repo, "add", "settings.json")
    git(repo, "commit", "-qm", "settings")
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "settings.json").write_text(json.dumps({**settings, "dataset_name": "bad name!"}, indent=2) + "\n")
    git(repo, "commit", "-qam", "side: rename the dataset")
    (repo / "other.txt").write_text("x\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "side: a file")
    git(repo, "checkout", "-q", "main")
    (repo / ".code-query").mkdir()
    git(repo, "mv", "settings.json", CONFIG)
    git(repo, "commit", "-qm", "main: the config")
    started = install_counted(repo, tmp_path)
    proc = run_git(repo, "cherry-pick", "main..side")
    assert json.loads((repo / CONFIG).read_text())["dataset_name"] == "bad name!"
    assert proc.stderr.count("(side: rename the dataset) carries a .code-query/config.json that is not valid") == 1
    assert started() == ["post-commit"]


def test_a_no_verify_commit_during_a_stopped_range_is_still_named(base: Path, tmp_path: Path) -> None:
    (base / "f.txt").write_text("base\n")
    git(base, "add", "f.txt")
    git(base, "commit", "-qm", "f")
    git(base, "checkout", "-q", "-b", "side")
    for n in (1, 2):
        (base / "f.txt").write_text(f"side {n}\n")
        git(base, "commit", "-qam", f"side {n}")
    git(base, "checkout", "-q", "main")
    (base / "f.txt").write_text("main\n")
    git(base, "commit", "-qam", "main: f")
    started = install_counted(base, tmp_path)
    assert run_git(base, "cherry-pick", "main..side", check=False).returncode != 0  # a conflict in f.txt
    (base / "f.txt").write_text("resolved\n")
    write(base, {"dataset_name": "bad name!"})  # and, while at it, an edit nothing checks
    proc = run_git(base, "commit", "-qa", "--no-verify", "-m", "resolved by hand")
    assert proc.stderr.count(f"commit {short(base)} (resolved by hand) carries a {CONFIG} that is not valid") == 1
    assert started() == ["post-commit"]


def test_a_linked_worktree_is_answered_from_the_shell_too(base: Path, tmp_path: Path) -> None:
    started = install_counted(base, tmp_path)
    linked = tmp_path / "linked"
    git(base, "worktree", "add", "-q", "-b", "work", str(linked))
    git(linked, "checkout", "-q", "-b", "side")
    for n in (1, 2):
        write(linked, config_with(delay_seconds=n))
        run_git(linked, "commit", "-qam", f"side {n}")  # pre-commit remembers, in this worktree's memo
    git(linked, "checkout", "-q", "-b", "again", "work")
    started.clear()
    run_git(linked, "cherry-pick", "work..side")
    # the memo is the linked worktree's own (git sets GIT_DIR there), hook-rules the common dir's
    assert started() == []
    own = Path(git(linked, "rev-parse", "--absolute-git-dir").stdout.strip())
    assert (own / "codequery-gitcfg" / "valid-blobs").exists()


def test_a_sha256_repository_is_answered_from_the_shell_too(tmp_path: Path) -> None:
    repo = tmp_path / "sha256"
    repo.mkdir()
    if git(repo, "init", "-q", "--object-format=sha256", check=False).returncode != 0:
        pytest.skip("this git makes no SHA-256 repositories")
    write(repo, config_with(delay_seconds=0))
    commit_skipping_hooks(repo, "config")
    side_branch(repo, [config_with(delay_seconds=n) for n in (1, 2)])
    main_changes_the_model(repo)
    started = install_counted(repo, tmp_path)
    run_git(repo, "cherry-pick", "main..side")
    assert started() == ["merge-driver"] * 2  # and no post-commit Python: the driver's ids are git's
    blob = git(repo, "rev-parse", f"HEAD:{CONFIG}").stdout.strip()
    assert len(blob) == 64
    assert blob in (repo / ".git" / "codequery-gitcfg" / "valid-blobs").read_text().split("\n")


# -- the shell believes the memo only under the rules Python applies now ------------------------------
def known_range(base: Path, tmp_path: Path) -> Started:
    """Hooks installed, a side branch of three blobs pre-commit passed."""
    started = install_counted(base, tmp_path)
    side_branch(base, [config_with(delay_seconds=n) for n in (1, 2, 3)], hooks=True)
    started.clear()
    return started


def rules_file(repo: Path) -> Path:
    return repo / ".git" / "codequery-gitcfg" / "hook-rules"


def test_an_input_changed_after_install_leaves_the_blobs_to_python(base: Path, tmp_path: Path) -> None:
    started = known_range(base, tmp_path)
    # As if a core file (or a package of sys.path) changed after install: an input newer than the stamp.
    planted = tmp_path / "input.py"
    planted.write_text("x\n")
    lines = rules_file(base).read_text().splitlines()
    lines.insert(2, str(planted))
    rules_file(base).write_text("\n".join(lines) + "\n")
    os.utime(planted)
    stamp = rules_file(base).stat().st_mtime_ns
    os.utime(planted, ns=(stamp + 10**9, stamp + 10**9))
    run_git(base, "cherry-pick", "main..side")
    assert started() == ["post-commit"] * 3  # Python decides each blob, as without the stamp


@pytest.mark.parametrize("damage", ["other rules", "other python", "cut short", "missing", "no memo key"])
def test_a_stamp_that_does_not_hold_leaves_the_blobs_to_python(base: Path, tmp_path: Path, damage: str) -> None:
    started = known_range(base, tmp_path)
    path = rules_file(base)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("python ") and lines[1].startswith("rules ") and lines[-1] == "end"
    if damage == "other rules":
        lines[1] = "rules " + "0" * 64
    elif damage == "other python":
        lines[0] = "python /usr/bin/python3"
    elif damage == "cut short":
        lines = lines[:-1]
    if damage == "missing":
        path.unlink()
    elif damage == "no memo key":
        blobs = base / ".git" / "codequery-gitcfg" / "valid-blobs"
        blobs.write_text("rules " + "1" * 64 + "\n" + "\n".join(blobs.read_text().splitlines()[1:]) + "\n")
    else:
        mtime = path.stat().st_mtime_ns
        path.write_text("\n".join(lines) + "\n")
        os.utime(path, ns=(mtime, mtime))  # only its content differs
    run_git(base, "cherry-pick", "main..side")
    assert started() == ["post-commit"] * 3


def test_a_stamp_or_memo_of_another_user_or_a_symlink_is_not_believed(base: Path, tmp_path: Path) -> None:
    started = known_range(base, tmp_path)
    blobs = base / ".git" / "codequery-gitcfg" / "valid-blobs"
    real = tmp_path / "elsewhere"
    real.write_bytes(blobs.read_bytes())
    blobs.unlink()
    blobs.symlink_to(real)
    run_git(base, "cherry-pick", "main..side")
    assert started() == ["post-commit"] * 3


def test_install_writes_the_rules_the_hooks_python_computes(base: Path, tmp_path: Path) -> None:
    install_counted(base, tmp_path)
    lines = rules_file(base).read_text().splitlines()
    probe = ("import os, sys\nsys.path[:] = [p for p in sys.path if os.path.isabs(p)]\n"
             "from codequery_gitcfg.store import memo\nprint(memo.rules_key())")
    import subprocess

    key = subprocess.run([sys.executable, "-E", "-c", probe], capture_output=True, text=True, check=True).stdout
    assert lines[0] == f"python {tmp_path / 'bin' / 'python3'}"
    assert lines[1] == key.strip()
    assert all(os.path.isabs(line) for line in lines[2:-1])
    assert any(line.endswith(os.path.join("core", "schema.json")) for line in lines)
    assert any(line.endswith(os.path.join("jsonschema", "__init__.py")) for line in lines)
    assert lines[-1] == "end"
    code = subprocess.run([sys.executable, "-m", "codequery_gitcfg", "uninstall"], cwd=base, capture_output=True)
    assert code.returncode == 0
    assert not rules_file(base).exists()


# -- Code Query's Huey post-commit hook ---------------------------------------------------------
TASKS = '''
import json, os
from huey import SqliteHuey

huey = SqliteHuey(name="code-query-worker", filename=".code-query/huey_jobs.db")


@huey.task()
def process_file_documentation(filepath, dataset_name, commit_hash, project_root, job_id=None):
    with open(os.path.join(project_root, ".documented"), "a") as f:
        f.write(json.dumps([dataset_name, filepath, commit_hash]) + "\\n")
'''


@pytest.fixture
def cq_base(base: Path) -> Path:
    (base / "tasks.py").write_text(TASKS)
    (base / ".gitignore").write_text(".documented\n__pycache__/\n.code-query/*\n!.code-query/config.json\n")
    git(base, "add", "-A")
    git(base, "commit", "-qm", "Code Query's layout")
    return base


def test_the_huey_hook_starts_no_python_without_a_queue(cq_base: Path, tmp_path: Path) -> None:
    started = install_counted(cq_base, tmp_path, huey=True)
    (cq_base / "a.py").write_text("a\n")
    git(cq_base, "add", "a.py")
    run_git(cq_base, "commit", "-qm", "a file, nothing queued")
    assert started() == []
    side_branch(cq_base, [None, None, None])
    run_git(cq_base, "cherry-pick", "main..side")
    assert started() == []
    run_git(cq_base, "revert", "--no-edit", "HEAD~3..HEAD")
    assert started() == []
    assert not (cq_base / ".documented").exists()


def test_alone_the_huey_hook_starts_no_python_without_a_queue(cq_base: Path, tmp_path: Path) -> None:
    """`install --huey-post-commit` without our post-commit hook: the Huey hook is the post-commit file."""
    log = tmp_path / "pythons.log"
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir()
    wrapper.write_text(WRAPPER.format(log=log, python=sys.executable))
    wrapper.chmod(0o755)
    worktree = worktree_by_gitpython(str(cq_base), os.environ)
    assert worktree is not None
    assert installer.install(worktree, ["pre-commit"], str(wrapper), os.environ, huey=True) == 0
    started = Started(log)
    started.clear()
    side_branch(cq_base, [None, None])
    run_git(cq_base, "cherry-pick", "main..side")
    assert started() == []
    (cq_base / ".code-query" / "file_queue.json").write_text(json.dumps({"files": [{"filepath": "a.py"}]}))
    (cq_base / "a.py").write_text("a\n")
    git(cq_base, "add", "a.py")
    run_git(cq_base, "commit", "-qm", "a file, queued")
    assert started("post-commit") == ["post-commit"]  # the Huey hook's own file, under git's name for it
    assert json.loads((cq_base / ".documented").read_text()) == ["project", "a.py", "HEAD"]


def test_the_huey_hook_still_takes_what_code_querys_pre_commit_hook_queued(cq_base: Path, tmp_path: Path) -> None:
    started = install_counted(cq_base, tmp_path, huey=True)
    side_branch(cq_base, [None, None, None])
    # Code Query's pre-commit hook queued a file (its queue records), and git made the next
    # commits without it: the first commit of the range takes the queue, the others find none.
    queue = cq_base / ".code-query" / "file_queue.json"
    queue.write_text(json.dumps({"files": [{"filepath": "a.py", "commit_hash": "abc123"}]}))
    run_git(cq_base, "cherry-pick", "main..side")
    assert started() == [HUEY]  # once, for the first commit
    assert not queue.exists()
    documented = [json.loads(line) for line in (cq_base / ".documented").read_text().splitlines()]
    assert documented == [["project", "a.py", "abc123"]]
