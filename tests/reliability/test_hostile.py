"""A hostile repository and an unlucky user (issue 12): swaps, imports, chained hooks,
filters, odd paths and committed symlinks.

Each test reproduces one way the adversarial pass of issue 12 got through, with
real git and the installed hooks. The fuzz variants run a bounded number of
derandomized examples; CODEQUERY_SOAK=1 runs many more (RELIABILITY lines).
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import warnings
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from codequery_gitcfg.api import ConfigManager
from codequery_gitcfg.core.errors import OutsideWorktreeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.hooks import cli, commit_skipping_hooks, install, run_git
from support.reliability_helpers import CONFIG_REL, Deadline, full_config, init_repo, report, scaled, seconds
from support.repos import LEGACY_AUTO, VALID

pytestmark = pytest.mark.reliability

SECRET = "OUTSIDE-SECRET"
OUTSIDE = json.dumps({"dataset_name": SECRET, "processing": {"mode": "auto"}}, indent=2) + "\n"


def fuzz_settings(ci: int, soak: int) -> settings:
    return settings(max_examples=scaled(ci, soak), deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def git(cwd: str | os.PathLike[str], *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


# -- 1. containment at every operation ----------------------------------------------------
class Swaps:
    """A worktree whose config (or its folder) can be swapped for a symlink out, and back."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "repo"
        self.cfg = init_repo(self.root)
        self.inside = self.cfg.read_text()
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        (self.outside / "config.json").write_text(OUTSIDE)
        (self.root / "elsewhere.json").write_text(self.inside)  # a symlink to it stays inside
        self.folder = self.cfg.parent
        self.aside = self.root / "aside"

    def restore(self) -> None:
        if self.folder.is_symlink():
            self.folder.unlink()
        if self.aside.exists():
            self.aside.rename(self.folder)
        if self.cfg.is_symlink():
            self.cfg.unlink()
        if not self.cfg.exists():
            self.cfg.write_text(self.inside)

    def file_out(self) -> None:
        self.restore()
        self.cfg.unlink()
        self.cfg.symlink_to(self.outside / "config.json")

    def folder_out(self) -> None:
        self.restore()
        self.folder.rename(self.aside)
        self.folder.symlink_to(self.outside)

    def file_in(self) -> None:
        self.restore()
        self.cfg.unlink()
        self.cfg.symlink_to(self.root / "elsewhere.json")

    @property
    def out(self) -> bool:
        return (self.cfg.is_symlink() and "outside" in os.readlink(self.cfg)) or self.folder.is_symlink()

    def untouched(self) -> None:
        assert (self.outside / "config.json").read_text() == OUTSIDE
        assert sorted(os.listdir(self.outside)) == ["config.json"]
        for folder, _, names in os.walk(self.root):
            if ".git" in folder.split(os.sep):
                continue
            for name in names:
                path = Path(folder) / name
                if not path.is_symlink():
                    assert SECRET not in path.read_text(errors="replace"), f"outside content copied into {path}"


def _ops(manager: ConfigManager) -> Dict[str, Any]:
    return {
        "load_config": manager.load_config,
        "load_raw_config": manager.load_raw_config,
        "update_processing_mode": lambda: manager.update_processing_mode("auto"),
        "save_config": lambda: manager.save_config(full_config(batch_size=9)),
        "migrate_file": manager.migrate_file,
        "validate_config_file": manager.validate_config_file,
    }


@pytest.mark.parametrize("swap", ["file_out", "folder_out"])
def test_a_long_lived_manager_never_follows_a_symlink_swapped_in_later(tmp_path: Path, swap: str) -> None:
    s = Swaps(tmp_path)
    refused = 0
    for name in _ops(ConfigManager(s.cfg)):
        manager = ConfigManager(s.cfg)
        assert manager.load_config()["dataset_name"] == "project"  # resolved, checked and cached
        getattr(s, swap)()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "validate_config_file":
                problems = manager.validate_config_file()
                assert len(problems) == 1 and "outside the worktree" in problems[0], problems
            else:
                with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
                    _ops(manager)[name]()
        refused += 1
        s.untouched()
        s.restore()
    report(f"hostile.swap.{swap}", refused=refused)


def test_a_symlink_swapped_in_that_stays_inside_is_followed(tmp_path: Path) -> None:
    s = Swaps(tmp_path)
    manager = ConfigManager(s.cfg)
    manager.load_config()
    s.file_in()
    (s.root / "elsewhere.json").write_text(json.dumps(full_config(batch_size=42)))
    assert manager.load_config()["processing"]["batch_size"] == 42
    manager.update_processing_mode("auto")
    assert json.loads((s.root / "elsewhere.json").read_text())["processing"]["mode"] == "auto"


STEPS = ["load_config", "load_raw_config", "update_processing_mode", "save_config", "migrate_file",
         "validate_config_file", "file_out", "folder_out", "file_in", "restore"]


def test_swaps_between_operations_fuzz(tmp_path: Path) -> None:
    """Many swap timings: any sequence of operations and swaps, on one long-lived manager."""
    counts = {"sequences": 0, "refused": 0, "done": 0}
    base = [0]

    @fuzz_settings(25, 600)
    @given(st.lists(st.sampled_from(STEPS), min_size=2, max_size=12))
    def run(steps: List[str]) -> None:
        base[0] += 1
        s = Swaps(tmp_path / f"round-{base[0]}")
        manager = ConfigManager(s.cfg)
        for step in steps:
            if step in ("file_out", "folder_out", "file_in", "restore"):
                getattr(s, step)()
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = _ops(manager)[step]()
                except OutsideWorktreeError:
                    assert s.out, f"{step} refused a path that stays inside"
                    counts["refused"] += 1
                    continue
            assert SECRET not in repr(result), f"{step} returned outside content after {steps}"
            if step == "validate_config_file" and s.out:
                assert result and "outside the worktree" in result[0]
                counts["refused"] += 1
            else:
                assert not s.out, f"{step} accepted an outside path after {steps}"
                counts["done"] += 1
            s.untouched()
        counts["sequences"] += 1

    run()
    report("hostile.swap_fuzz", **counts)


def test_concurrent_swaps_never_leak_outside_content_to_readers(tmp_path: Path) -> None:
    """A folder swapped in and out while readers read: a read opens what was checked
    (no symlink followed below the worktree's top), or fails."""
    s = Swaps(tmp_path)
    manager = ConfigManager(s.cfg)
    stop = threading.Event()
    swaps = [0]

    def swapper() -> None:
        while not stop.is_set():
            s.folder_out()
            s.restore()
            swaps[0] += 1

    reads = {"ok": 0, "refused": 0, "missing": 0}
    thread = threading.Thread(target=swapper)
    thread.start()
    deadline = Deadline(seconds(2, 60))
    try:
        while not deadline.passed:
            for call in (manager.load_config, manager.load_raw_config):
                try:
                    result = call()
                except OutsideWorktreeError:
                    reads["refused"] += 1
                except (FileNotFoundError, OSError):
                    reads["missing"] += 1  # the folder is aside for a moment
                else:
                    assert result.get("dataset_name") != SECRET, "a read returned the outside file"
                    reads["ok"] += 1
    finally:
        stop.set()
        thread.join()
    s.restore()
    s.untouched()
    report("hostile.concurrent_swaps", swaps=swaps[0], **reads)
    assert reads["ok"] and reads["refused"]


# -- 2. hook Python isolated from PYTHONPATH and the current folder ---------------------------
def _planted(tmp_path: Path) -> tuple[Path, Path]:
    """A hooked repository committing modules that would leave a marker when imported."""
    root = tmp_path / "planted"
    init_repo(root, VALID)
    marker = tmp_path / "imported-from-the-repository"
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for name in ("jsonschema.py", "x/jsonschema.py", "codequery_gitcfg.py", "filelock.py", "sitecustomize.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(code)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "planted modules")
    install(root)
    return root, marker


def _commit_config(root: Path, n: int, **env: str) -> subprocess.CompletedProcess[str]:
    cfg = root / CONFIG_REL
    legacy = dict(LEGACY_AUTO, dataset_name=f"round-{n}")  # legacy: judged and migrated, jsonschema needed
    cfg.write_text(json.dumps(legacy, indent=2) + "\n")
    git(root, "add", CONFIG_REL)
    return run_git(root, "commit", "-qm", f"round {n}", check=False, **env)


PYTHONPATHS = [":/x", ":", "/x:", ".", "::", "x", "./x", "/nonexistent::/x", ":.:x:"]


@pytest.mark.parametrize("pythonpath", PYTHONPATHS)
def test_hook_python_never_imports_from_the_repository(tmp_path: Path, pythonpath: str) -> None:
    root, marker = _planted(tmp_path)
    proc = _commit_config(root, 1, PYTHONPATH=pythonpath)
    assert proc.returncode == 0, proc.stderr
    assert "migrated the staged .code-query/config.json" in proc.stderr  # our package ran, from its venv
    assert not marker.exists(), f"PYTHONPATH={pythonpath!r} imported {marker.read_text()!r} from the repository"


def test_hook_python_pythonpath_shapes_fuzz(tmp_path: Path) -> None:
    root, marker = _planted(tmp_path)
    count = [0]

    @fuzz_settings(6, 120)
    @given(st.lists(st.sampled_from(["", ".", "x", "./x", "/x", "..", "x/..", str(root)]), min_size=1, max_size=4),
           st.sampled_from(["PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME"]))
    def run(parts: List[str], var: str) -> None:
        count[0] += 1
        value = ":".join(parts) if var == "PYTHONPATH" else parts[0]
        proc = _commit_config(root, count[0], **{var: value})
        assert proc.returncode == 0, (var, value, proc.stderr)
        assert not marker.exists(), f"{var}={value!r} imported {marker.read_text()!r}"

    run()
    report("hostile.pythonpath_fuzz", commits=count[0])


# -- 6. partial staging ---------------------------------------------------------------------
def _partial(tmp_path: Path, working: Dict[str, Any]) -> Tuple[Path, str, subprocess.CompletedProcess[str]]:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    install(root)
    cfg = root / CONFIG_REL
    cfg.write_text(json.dumps({"datasetName": "demo", "auto_process": True}, indent=2) + "\n")
    git(root, "add", CONFIG_REL)
    text = json.dumps(working, indent=2) + "\n"
    cfg.write_text(text)
    return root, text, run_git(root, "commit", "-qm", "partial", check=False)


@pytest.mark.parametrize(("working", "said"), [
    # The case: the gate refuses the disagreeing pair (expand, then contract).
    ({"datasetName": "demo", "auto_process": True, "excludePatterns": ["mine/*"], "exclude_patterns": ["theirs/*"]},
     "  .code-query/config.json:4:22: exclude_patterns: excludePatterns (line 4) and exclude_patterns (line 7) "
     "disagree: [\"mine/*\"] vs [\"theirs/*\"]."),
    # A value of the staged file that an unstaged edit would make the migration drop.
    ({"datasetName": "demo", "auto_process": True, "processing": {"mode": "manual"}},
     "  .code-query/config.json: its migration would drop a value the staged file keeps: removed auto_process: "
     "true; kept processing.mode 'manual', which wins"),
], ids=["disagreeing pair", "dropped value"])
def test_partial_staging_never_drops_an_unstaged_value(tmp_path: Path, working: Dict[str, Any], said: str) -> None:
    root, text, proc = _partial(tmp_path, working)
    assert proc.returncode == 1
    assert said in proc.stderr, proc.stderr
    assert "nothing was changed. Finish or undo those edits" in proc.stderr
    assert (root / CONFIG_REL).read_text() == text, "the working file was changed"
    assert json.loads(git(root, "show", f":{CONFIG_REL}")) == {"datasetName": "demo", "auto_process": True}


def test_partial_staging_reports_what_happens_to_the_working_file(tmp_path: Path) -> None:
    root, _, proc = _partial(tmp_path, {"datasetName": "demo", "auto_process": True, "excludePatterns": ["mine/*"]})
    assert proc.returncode == 0, proc.stderr
    assert ("codequery-gitcfg: the working-tree file was migrated too, with its unstaged edits:\n"
            "  - added exclude_patterns, the current name of excludePatterns (kept beside it for Code Query's readers)\n"
            ) in proc.stderr, proc.stderr
    assert json.loads((root / CONFIG_REL).read_text())["exclude_patterns"] == ["mine/*"]


# -- 8. the loop guard ------------------------------------------------------------------------
def test_a_chained_hook_committing_elsewhere_is_still_checked(tmp_path: Path) -> None:
    other = tmp_path / "other"
    init_repo(other, VALID)
    install(other)
    (other / CONFIG_REL).write_text(json.dumps({"dataset_name": "bad name!"}) + "\n")
    git(other, "add", CONFIG_REL)
    head = git(other, "rev-parse", "HEAD")
    root = tmp_path / "repo"
    init_repo(root, VALID)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n"
                    "unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX\n"
                    f"cd '{other}' && git commit -qm 'from a chained hook'\n"
                    f"echo $? > '{tmp_path / 'rc'}'\n")
    hook.chmod(0o755)
    install(root)
    (root / CONFIG_REL).write_text(json.dumps(full_config(batch_size=7)) + "\n")
    git(root, "add", CONFIG_REL)
    proc = run_git(root, "commit", "-qm", "valid", check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rc").read_text().strip() == "1", "the other repository's check was switched off"
    assert "dataset_name" in proc.stderr and "commit stopped" in proc.stderr
    assert git(other, "rev-parse", "HEAD") == head


def test_the_loop_guard_still_stops_a_loop_in_one_repository(tmp_path: Path) -> None:
    # A hook manager that calls our (moved) script from the hook ours chains to.
    root = tmp_path / "repo"
    init_repo(root, VALID)
    install(root)
    hooks = root / ".git" / "hooks"
    ours = hooks / "pre-commit"
    moved = hooks / "ours-moved"
    ours.rename(moved)
    ours.write_text(f"#!/bin/sh\necho manager >> '{tmp_path / 'runs'}'\nexec '{moved}' \"$@\"\n")
    ours.chmod(0o755)
    install(root)  # ours again at the hook path, the manager's hook chained
    (root / CONFIG_REL).write_text(json.dumps(full_config(batch_size=8)) + "\n")
    git(root, "add", CONFIG_REL)
    proc = run_git(root, "commit", "-qm", "loop", check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs").read_text() == "manager\n"


# -- 10. clean/smudge filters -------------------------------------------------------------------
def _filtered(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    git(root, "config", "filter.comment.smudge", "sed '1i // smudged'")
    git(root, "config", "filter.comment.clean", "sed '/^\\/\\/ smudged$/d'")
    (root / ".gitattributes").write_text(f"{CONFIG_REL} filter=comment\n")
    git(root, "add", ".gitattributes")
    git(root, "commit", "-qm", "filter")
    install(root)
    cfg = root / CONFIG_REL
    cfg.write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(root, "add", CONFIG_REL)
    cfg.unlink()
    git(root, "checkout", "--", CONFIG_REL)  # the working form now starts with the comment
    assert cfg.read_text().startswith("// smudged\n")
    return root


def test_a_filtered_config_is_judged_as_staged(tmp_path: Path) -> None:
    root = _filtered(tmp_path)
    proc = run_git(root, "commit", "-qm", "legacy", check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(git(root, "show", f"HEAD:{CONFIG_REL}"))["processing"] == {"mode": "auto"}
    text = (root / CONFIG_REL).read_text()
    assert text.startswith("// smudged\n") and json.loads(text.split("\n", 1)[1])["processing"] == {"mode": "auto"}
    assert ("the working-tree file (through the git filter 'comment') now holds the migrated version"
            in proc.stderr)
    assert git(root, "status", "--porcelain") == ""


def test_a_filtered_config_with_unstaged_edits_is_refused_plainly(tmp_path: Path) -> None:
    root = _filtered(tmp_path)
    cfg = root / CONFIG_REL
    edited = cfg.read_text().replace('"project"', '"edited"')
    cfg.write_text(edited)
    proc = run_git(root, "commit", "-qm", "legacy", check=False)
    assert proc.returncode == 1
    assert ("it goes through the git filter 'comment' and has unstaged edits; only the staged version is "
            "checked. Stage them (`git add .code-query/config.json`) or stash them") in proc.stderr
    assert cfg.read_text() == edited


def test_post_merge_says_a_filtered_config_is_checked_only_as_staged(tmp_path: Path) -> None:
    root = _filtered(tmp_path)
    commit_skipping_hooks(root, "legacy")
    code, _, err = cli(root, "hook", "post-merge", "0")
    assert code == 0
    assert err == ("codequery-gitcfg: .code-query/config.json goes through the git filter 'comment': "
                   "it is checked only as staged, when you commit it\n")


# -- 13. a repository path with a newline ------------------------------------------------------
def test_a_repository_path_with_a_newline(tmp_path: Path) -> None:
    root = tmp_path / "a\nb"
    init_repo(root, VALID)
    install(root)
    (root / CONFIG_REL).write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(root, "add", CONFIG_REL)
    proc = run_git(root, "commit", "-qm", "legacy", check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(git(root, "show", f"HEAD:{CONFIG_REL}"))["processing"] == {"mode": "auto"}
    code, _, err = cli(root, "validate")
    assert (code, err) == (0, "")


# -- 14. committed symlinks ---------------------------------------------------------------------
def _linked(tmp_path: Path, layout: str) -> tuple[Path, str]:
    """A hooked repository whose committed config is reached through a committed symlink."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    if layout == "file":
        target = "real.json"
        (root / ".code-query").mkdir()
        (root / CONFIG_REL).symlink_to("../real.json")
    else:
        target = "cfg/config.json"
        (root / "cfg").mkdir()
        (root / ".code-query").symlink_to("cfg")
    (root / target).write_text(json.dumps(VALID, indent=2) + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "linked config")
    install(root)
    return root, target


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_editing_the_target_of_a_committed_symlink_is_checked(tmp_path: Path, layout: str) -> None:
    root, target = _linked(tmp_path, layout)
    (root / target).write_text(json.dumps({"dataset_name": "bad name!"}) + "\n")
    git(root, "add", target)
    proc = run_git(root, "commit", "-qm", "invalid target", check=False)
    assert proc.returncode == 1, proc.stderr
    assert f"commit stopped: the staged {target} is not valid:" in proc.stderr
    (root / target).write_text(json.dumps(LEGACY_AUTO, indent=2) + "\n")
    git(root, "add", target)
    proc = run_git(root, "commit", "-qm", "legacy target", check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(git(root, "show", f"HEAD:{target}"))["processing"] == {"mode": "auto"}


def test_the_staged_target_blob_is_judged_not_the_working_file(tmp_path: Path) -> None:
    root, target = _linked(tmp_path, "file")
    (root / target).write_text(json.dumps({"dataset_name": "bad name!"}) + "\n")
    git(root, "add", target)
    (root / target).write_text(json.dumps(VALID) + "\n")  # valid, but not what the commit carries
    proc = run_git(root, "commit", "-qm", "invalid staged", check=False)
    assert proc.returncode == 1 and "dataset_name" in proc.stderr, proc.stderr


def test_a_committed_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    root, _ = _linked(tmp_path, "file")
    (root / CONFIG_REL).unlink()
    (root / CONFIG_REL).symlink_to("../../outside.json")
    git(root, "add", CONFIG_REL)
    proc = run_git(root, "commit", "-qm", "out", check=False)
    assert proc.returncode == 1
    assert "lead outside the worktree or loop; refused" in proc.stderr, proc.stderr


# -- 19. the cosmetic ones ----------------------------------------------------------------------
def test_temp_files_of_a_killed_write_stay_out_of_git(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root)
    install(root)
    install(root)  # twice: one exclude line
    (cfg.parent / ".cqcfg-config.json.abcd1234.tmp").write_text("{")
    assert git(root, "status", "--porcelain") == ""
    git(root, "add", "-A")
    assert git(root, "diff", "--cached", "--name-only") == ""
    exclude = (root / ".git" / "info" / "exclude").read_text()
    assert exclude.count(".cqcfg-*.tmp") == 1


def test_long_reports_are_capped(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    install(root)
    cfg = root / CONFIG_REL
    cfg.write_text(json.dumps(dict(VALID, exclude_patterns=[f"/abs{i}" for i in range(300)])) + "\n")
    code, _, err = cli(root, "validate")
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 51 and lines[-1] == "... and 250 more problems", lines[-3:]
    git(root, "add", CONFIG_REL)
    proc = run_git(root, "commit", "-qm", "many", check=False)
    assert proc.returncode == 1
    assert "  ... and 250 more problems\n" in proc.stderr and len(proc.stderr.splitlines()) < 60


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own a repository as another user")
def test_dubious_ownership_is_passed_on(tmp_path: Path) -> None:
    import pwd
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="cq-dubious-"))
    try:
        root = base / "repo"
        init_repo(root, VALID)
        nobody = pwd.getpwnam("nobody")
        for folder, dirs, names in os.walk(base):
            for name in [folder] + [os.path.join(folder, n) for n in dirs + names]:
                os.lchown(name, nobody.pw_uid, nobody.pw_gid)
        code, _, err = cli(root, "validate")
        assert code == 1
        assert err.startswith("git refuses this repository: detected dubious ownership in repository at "), err
        assert "safe.directory" in err and "not inside a git worktree" not in err
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def test_validate_of_an_empty_name_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    for argv in (["validate", ""], ["migrate", ""], ["show", "--file", ""], ["set", "--file", "", "model", "opus"]):
        code, out, err = cli(root, *argv)
        assert (code, out) == (1, ""), (argv, code, out, err)
        assert err == "'' is not a file name: name the FILE, or give none for the default one\n", (argv, err)


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_is_reported_as_utf32(tmp_path: Path, encoding: str) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root, VALID)
    cfg.write_bytes(json.dumps(VALID).encode(encoding))
    code, _, err = cli(root, "validate")
    assert (code, err) == (1, ".code-query/config.json: config file is UTF-32 encoded; save it as UTF-8\n")

