"""The config's merge driver, with real git: merge, pull, rebase, cherry-pick, revert, stash pop."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION
from codequery_gitcfg.git.mergedriver import merge_driver

from support.hooks import CONFIG, cli, commit_skipping_hooks, install, run_git, status
from support.repos import git

LEGACY = {"dataset_name": "proj", "auto_process": True, "exclude_patterns": ["dist/*"]}
FEATURE = {"dataset_name": "proj", "auto_process": False, "exclude_patterns": ["dist/*", "build/*"]}
EXPECTED = {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "proj", "processing": {"mode": "manual"},
            "exclude_patterns": ["dist/*", "build/*"]}


def write(repo: Path, content: Any) -> None:
    target = repo / CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")


def on_disk(repo: Path) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((repo / CONFIG).read_text())
    return data


def diverge(repo: Path) -> None:
    """main migrates the legacy file; branch feature (an older tool, no hooks) edits it."""
    write(repo, LEGACY)
    commit_skipping_hooks(repo, "legacy config")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, FEATURE)
    commit_skipping_hooks(repo, "feature: manual mode, exclude build")
    git(repo, "checkout", "-q", "main")
    code, out, err = cli(repo, "migrate")
    assert code == 0, out + err
    assert on_disk(repo)["processing"] == {"mode": "auto"}
    run_git(repo, "commit", "-qam", "migrate the config")


@pytest.fixture
def diverged(repo: Path) -> Path:
    install(repo)
    diverge(repo)
    return repo


def assert_merged(repo: Path) -> None:
    assert on_disk(repo) == EXPECTED
    assert status(repo) == ""
    code, out, err = cli(repo, "validate")
    assert code == 0, out + err


def test_merge_of_a_migrated_file_and_a_legacy_edit_has_no_conflict(diverged: Path) -> None:
    proc = run_git(diverged, "merge", "-q", "--no-edit", "feature")
    assert "CONFLICT" not in proc.stdout + proc.stderr
    assert_merged(diverged)
    # ours' formatting: two spaces, schema_version where the migration put it
    assert (diverged / CONFIG).read_text() == json.dumps(EXPECTED, indent=2) + "\n"


def test_the_legacy_keys_ours_keeps_for_code_query_stay_equal_to_their_twins(repo: Path) -> None:
    install(repo)
    camel = {"mainDatasetName": "proj", "excludePatterns": ["dist/*"], "createdAt": "2024-05-01T10:00:00"}
    write(repo, camel)
    commit_skipping_hooks(repo, "camelCase config")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {**camel, "excludePatterns": ["dist/*", "build/*"]})
    commit_skipping_hooks(repo, "feature: exclude build")
    git(repo, "checkout", "-q", "main")
    assert cli(repo, "migrate")[0] == 0  # expands: the camelCase keys stay beside their twins
    run_git(repo, "commit", "-qam", "migrate the config")
    run_git(repo, "merge", "-q", "--no-edit", "feature")
    data = on_disk(repo)
    assert data["excludePatterns"] == data["exclude_patterns"] == ["dist/*", "build/*"]
    assert data["mainDatasetName"] == data["dataset_name"] == "proj"
    assert data["createdAt"] == data["created_at"]
    assert cli(repo, "validate")[0] == 0
    assert status(repo) == ""
    # the other way round: ours is the camelCase file, which keeps its keys, now with twins
    git(repo, "checkout", "-q", "-b", "other", "feature~1")
    write(repo, {**camel, "createdAt": "2024-06-01T10:00:00"})
    commit_skipping_hooks(repo, "other: created later")
    run_git(repo, "merge", "-q", "--no-edit", "main")
    data = on_disk(repo)
    assert data["excludePatterns"] == data["exclude_patterns"] == ["dist/*", "build/*"]
    assert data["createdAt"] == data["created_at"] == "2024-06-01T10:00:00"
    assert data["mainDatasetName"] == data["dataset_name"] == "proj"
    assert data["schema_version"] == CURRENT_SCHEMA_VERSION
    assert cli(repo, "validate")[0] == 0


def test_cherry_pick(diverged: Path) -> None:
    run_git(diverged, "cherry-pick", "feature")
    assert_merged(diverged)


@pytest.mark.parametrize("interactive", [False, True], ids=["rebase", "rebase -i"])
def test_rebase(diverged: Path, interactive: bool) -> None:
    git(diverged, "checkout", "-q", "feature")
    run_git(diverged, "rebase", *(["-i"] if interactive else []), "main", GIT_SEQUENCE_EDITOR="true")
    assert_merged(diverged)
    assert git(diverged, "log", "-1", "--format=%s").stdout.strip() == "feature: manual mode, exclude build"


def test_revert(repo: Path) -> None:
    install(repo)
    write(repo, LEGACY)
    commit_skipping_hooks(repo, "legacy config")
    write(repo, FEATURE)
    commit_skipping_hooks(repo, "manual mode, exclude build")
    assert cli(repo, "migrate")[0] == 0
    run_git(repo, "commit", "-qam", "migrate the config")
    run_git(repo, "revert", "--no-edit", "HEAD~1")
    assert on_disk(repo) == {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "proj", "processing": {"mode": "auto"},
                             "exclude_patterns": ["dist/*"]}
    assert status(repo) == ""


def test_stash_pop(diverged: Path) -> None:
    """An edit of the legacy file, stashed, then popped onto the migrated one."""
    git(diverged, "checkout", "-q", "main~1")
    write(diverged, {**LEGACY, "exclude_patterns": ["dist/*", "coverage/*"]})
    git(diverged, "stash", "-q")
    git(diverged, "checkout", "-q", "main")
    run_git(diverged, "stash", "pop", "-q")
    assert on_disk(diverged) == {"schema_version": CURRENT_SCHEMA_VERSION, "dataset_name": "proj", "processing": {"mode": "auto"},
                                 "exclude_patterns": ["dist/*", "coverage/*"]}
    assert git(diverged, "stash", "list").stdout == ""


@pytest.fixture
def clones_config() -> Dict[str, Any]:
    return LEGACY


@pytest.fixture
def diverged_clones(clones: Tuple[Path, Path]) -> Tuple[Path, Path]:
    """(mine, with our hooks and the feature edit; upstream, which migrates and pushes)."""
    mine, upstream = clones
    assert cli(upstream, "migrate")[0] == 0
    git(upstream, "commit", "-qam", "migrate the config")
    git(upstream, "push", "-q", "origin", "main")
    write(mine, FEATURE)
    commit_skipping_hooks(mine, "feature: manual mode, exclude build")
    return mine, upstream


@pytest.mark.parametrize("how", ["--no-rebase", "--rebase"])
def test_pull(diverged_clones: Tuple[Path, Path], how: str) -> None:
    mine, _ = diverged_clones
    proc = run_git(mine, "pull", "-q", how, "--no-edit")
    assert "CONFLICT" not in proc.stdout + proc.stderr
    assert on_disk(mine) == EXPECTED  # same values; the key order is ours'
    assert status(mine) == ""
    assert cli(mine, "validate")[0] == 0


# -- true conflicts ----------------------------------------------------------------
def conflicting(repo: Path, ours: int, theirs: int) -> None:
    base = {"dataset_name": "proj", "processing": {"mode": "auto", "batch_size": 5}, "exclude_patterns": ["a/*"]}
    write(repo, base)
    commit_skipping_hooks(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {**base, "processing": {"mode": "auto", "batch_size": theirs}, "exclude_patterns": ["a/*", "b/*"]})
    commit_skipping_hooks(repo, "feature")
    git(repo, "checkout", "-q", "main")
    write(repo, {**base, "model": "sonnet", "processing": {"mode": "auto", "batch_size": ours}})
    commit_skipping_hooks(repo, "main")


def test_a_true_conflict_gets_markers_around_that_member_only(repo: Path) -> None:
    install(repo)
    conflicting(repo, 10, 20)
    proc = run_git(repo, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode == 1
    assert f"CONFLICT (content): Merge conflict in {CONFIG}" in proc.stdout
    assert (f"codequery-gitcfg: merge conflict in {CONFIG} at processing.batch_size: ours 10, theirs 20"
            in proc.stderr)
    assert (repo / CONFIG).read_text() == """{
  "dataset_name": "proj",
  "processing": {
    "mode": "auto",
<<<<<<< ours
    "batch_size": 10
=======
    "batch_size": 20
>>>>>>> theirs
  },
  "exclude_patterns": [
    "a/*",
    "b/*"
  ],
  "model": "sonnet"
}
"""
    assert status(repo) == f"UU {CONFIG}\n"


def test_without_the_driver_git_conflicts_on_the_shape(repo: Path) -> None:
    """The case the driver exists for: git's own line merge stops on it."""
    diverge(repo)
    proc = git(repo, "merge", "--no-edit", "feature", check=False)
    assert proc.returncode == 1
    assert f"CONFLICT (content): Merge conflict in {CONFIG}" in proc.stdout


# -- the driver as git calls it ------------------------------------------------------
def sides(tmp_path: Path, base: Any, ours: Any, theirs: Any) -> Tuple[str, str, str]:
    names = []
    for name, content in (("base", base), ("ours", ours), ("theirs", theirs)):
        path = tmp_path / f".merge_file_{name}"
        path.write_bytes(content if isinstance(content, bytes) else
                         (content if isinstance(content, str) else json.dumps(content, indent=2) + "\n").encode())
        names.append(str(path))
    return names[0], names[1], names[2]


def test_ours_formatting_is_kept(tmp_path: Path) -> None:
    base, ours, theirs = sides(
        tmp_path, LEGACY,
        '{\r\n\t"exclude_patterns": ["dist/*"],\r\n\t"dataset_name": "proj",\r\n\t"processing": {"mode": "auto"}\r\n}',
        FEATURE)
    assert merge_driver([base, ours, theirs, "7", CONFIG], {}) == 0
    assert Path(ours).read_bytes() == (  # one-line values stay one line (README: Writing)
        b'{\r\n\t"exclude_patterns": ["dist/*", "build/*"],\r\n'
        b'\t"dataset_name": "proj",\r\n\t"processing": {"mode": "manual"}\r\n}')


def test_the_marker_size_is_git_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, ours, theirs = sides(tmp_path, {"dataset_name": "a"}, {"dataset_name": "b"}, {"dataset_name": "c", "x": None})
    assert merge_driver([base, ours, theirs, "9", "cfg.json"], {}) == 1
    assert Path(ours).read_text() == ('{\n<<<<<<<<< ours\n  "dataset_name": "b",\n=========\n  "dataset_name": "c",\n'
                                      '>>>>>>>>> theirs\n  "x": null\n}\n')
    err = capsys.readouterr().err
    assert 'at dataset_name: ours "b", theirs "c"' in err
    assert "x" not in err.replace("cfg.json", "")


def test_a_missing_member_is_not_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, ours, theirs = sides(tmp_path, {"dataset_name": "a", "model": "x"}, {"dataset_name": "a"},
                               {"dataset_name": "a", "model": None})
    assert merge_driver([base, ours, theirs, "7", "cfg.json"], {}) == 1
    assert "at model: ours (missing), theirs null" in capsys.readouterr().err


def test_an_invalid_merge_result_is_written_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, ours, theirs = sides(tmp_path, {"dataset_name": "a"}, {"dataset_name": "a", "batch": 1},
                               {"dataset_name": "b"})
    assert merge_driver([base, ours, theirs, "7", "cfg.json"], {}) == 1
    assert json.loads(Path(ours).read_text()) == {"dataset_name": "b", "batch": 1}
    err = capsys.readouterr().err
    assert "codequery-gitcfg: merged cfg.json key by key, but the result is not valid:" in err
    assert "batch" in err
    assert "codequery-gitcfg: fix it, then `git add cfg.json`" in err


def test_added_on_both_sides(tmp_path: Path) -> None:
    base, ours, theirs = sides(tmp_path, "", {"dataset_name": "a", "model": "sonnet"},
                               {"dataset_name": "a", "exclude_patterns": []})
    assert merge_driver([base, ours, theirs, "7", CONFIG], {}) == 0
    assert json.loads(Path(ours).read_text()) == {"dataset_name": "a", "model": "sonnet", "exclude_patterns": []}


UNREADABLE = {
    "markers": '{\n<<<<<<< a\n  "dataset_name": "x"\n=======\n  "dataset_name": "y"\n>>>>>>> b\n}\n',
    "not JSON": '{\n  "dataset_name": "proj",\n}\n',
    "newer schema": '{\n  "schema_version": 3,\n  "dataset_name": "proj"\n}\n',
}


@pytest.mark.parametrize("side", [1, 2])
@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_an_unreadable_side_falls_back_to_git_merge_file(tmp_path: Path, kind: str, side: int,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    contents = [json.dumps(VALID, indent=2) + "\n"] * 3
    contents[side] = UNREADABLE[kind]
    names = sides(tmp_path, *contents)
    expected = tmp_path / "expected"
    expected.write_text(contents[1])
    ran = git(tmp_path, "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(expected), names[0], names[2],
              check=False)
    assert merge_driver([*names, "7", CONFIG], {}) == (1 if ran.returncode else 0)
    assert Path(names[1]).read_bytes() == expected.read_bytes()
    said = capsys.readouterr().err
    assert f"codequery-gitcfg: cannot merge {CONFIG} key by key; git merge-file merges its text instead:" in said


def test_skipped_it_is_git_s_text_merge(tmp_path: Path) -> None:
    base, ours, theirs = sides(tmp_path, LEGACY, {**LEGACY, "auto_process": False}, EXPECTED)
    assert merge_driver([base, ours, theirs, "7", CONFIG], {}, by_keys=False) == 1
    assert "<<<<<<< ours" in Path(ours).read_text()


VALID = {"dataset_name": "proj", "processing": {"mode": "manual"}}


def test_the_skip_variable_leaves_the_merge_to_git(tmp_path: Path) -> None:
    from codequery_gitcfg.git.hooks import run

    base, ours, theirs = sides(tmp_path, LEGACY, {**LEGACY, "auto_process": False}, EXPECTED)
    assert run("merge-driver", [base, ours, theirs, "7", CONFIG], {"CODEQUERY_GITCFG_SKIP": "1"}) == 1
    assert "<<<<<<< ours" in Path(ours).read_text()
    base, ours, theirs = sides(tmp_path, LEGACY, {**LEGACY, "auto_process": False}, EXPECTED)
    assert run("merge-driver", [base, ours, theirs, "7", CONFIG], {}) == 0


def test_wrong_usage_is_a_clear_error(tmp_path: Path) -> None:
    from codequery_gitcfg.cli.hook import main

    assert main(["merge-driver", "only-one"]) == 1
    base, ours, theirs = sides(tmp_path, VALID, VALID, VALID)
    assert main(["merge-driver", base, ours, theirs, "seven"]) == 1
