"""``validate --rev`` / ``--range`` / ``--from-ref --to-ref`` (README: "Command line" and
"CI"): the config as committed, read from git's objects, in every commit that changes it."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

import pytest
from codequery_gitcfg.cli.main import main

from support.history import BAD_BATCH, BATCH_LINE, CONFIG, TYPO, TYPO_LINE, commit, short
from support.repos import LEGACY_AUTO, VALID, git

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def passed(result: tuple[int, str, str]) -> bool:
    """Exit 0 and nothing but validate's success line (wherever the CLI prints it)."""
    code, out, err = result
    return code == 0 and (out + err).strip() in ("ok -- validation done", "")


@pytest.fixture
def history(in_repo: Path) -> List[str]:
    """main: initial (no config), valid, bad batch size, a typo, valid again: their short ids."""
    ids = [short(in_repo)]
    ids.append(commit(in_repo, VALID, "add the config"))
    ids.append(commit(in_repo, BAD_BATCH, "batch size zero"))
    ids.append(commit(in_repo, TYPO, "a typo"))
    ids.append(commit(in_repo, VALID, "fixed"))
    return ids


def test_range_text_names_each_bad_commit_once_with_its_subject(history: List[str], capsys: Capture) -> None:
    code, out, err = run(capsys, "validate", "--range", f"{history[0]}..HEAD")
    assert (code, out) == (1, "")
    assert err == (f"commit {history[2]} (batch size zero):\n"
                   f"{history[2]}:{CONFIG}:{BATCH_LINE}\n"
                   f"commit {history[3]} (a typo):\n"
                   f"{history[3]}:{CONFIG}:{TYPO_LINE}\n")


def test_from_ref_to_ref_is_the_same_range(history: List[str], capsys: Capture) -> None:
    by_range = run(capsys, "validate", "--range", f"{history[0]}..HEAD")
    assert run(capsys, "validate", "--from-ref", history[0], "--to-ref", "HEAD") == by_range


def test_range_json_names_commits_as_files(history: List[str], capsys: Capture) -> None:
    code, out, err = run(capsys, "validate", "--range", f"{history[0]}..HEAD", "--format", "json", "-v")
    assert (code, err) == (1, "")
    assert json.loads(out) == {
        "status": "fail",
        "successes": [f"{history[1]}:{CONFIG}", f"{history[4]}:{CONFIG}"],
        "errors": [
            {"filename": f"{history[2]}:{CONFIG}", "path": "$.processing.batch_size",
             "message": "batch_size must be a positive integer (1 to 1000); got 0", "has_sub_errors": False,
             "line": 4, "column": 19},
            {"filename": f"{history[3]}:{CONFIG}", "path": "$",  # check-jsonschema's: the object
             "message": "unknown key 'modle'; did you mean 'model'?", "has_sub_errors": False,
             "line": 3, "column": 12},
        ],
        "parse_errors": [],
    }


def test_range_github_annotations_keep_line_and_column(history: List[str], capsys: Capture) -> None:
    code, out, err = run(capsys, "validate", "--range", f"{history[0]}..HEAD", "--format", "github")
    assert (code, err) == (1, "")
    assert out == (f"::error file={history[2]}%3A{CONFIG},line=4,col=19::processing.batch_size: "
                   "batch_size must be a positive integer (1 to 1000); got 0\n"
                   f"::error file={history[3]}%3A{CONFIG},line=3,col=12::modle: "
                   "unknown key 'modle'; did you mean 'model'?\n")


def test_rev_checks_the_config_as_committed_there(history: List[str], capsys: Capture) -> None:
    assert passed(run(capsys, "validate", "--rev", "HEAD"))
    code, _, err = run(capsys, "validate", "--rev", "HEAD~2")
    assert (code, err) == (1, f"commit {history[2]} (batch size zero):\n{history[2]}:{CONFIG}:{BATCH_LINE}\n")
    # not the working tree: it holds a bad file now, and --rev still reads the commit
    (Path.cwd() / CONFIG).write_text("{not json")
    assert passed(run(capsys, "validate", "--rev", "HEAD"))
    code, _, err = run(capsys, "validate", "--rev", history[0])
    assert (code, err) == (1, f"commit {history[0]} (initial):\n{history[0]}:{CONFIG}: file not found in this commit\n")


def test_a_legacy_commit_fails_unless_allowed(in_repo: Path, capsys: Capture) -> None:
    base = short(in_repo)
    legacy = commit(in_repo, LEGACY_AUTO, "legacy")
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert (code, err) == (1, f"commit {legacy} (legacy):\n"
                              f"{legacy}:{CONFIG}:1:1: pending migration to schema version 2 "
                              "(legacy keys: auto_process); run `codequery-gitcfg migrate` to fix it\n")
    assert passed(run(capsys, "validate", "--range", f"{base}..HEAD", "--allow-legacy"))
    assert passed(run(capsys, "validate", "--rev", "HEAD", "--allow-legacy"))
    assert run(capsys, "validate", "--rev", "HEAD")[0] == 1
    # --allow-legacy lets an old schema through, never an invalid file
    bad = commit(in_repo, {**LEGACY_AUTO, "auto_process": "yes"}, "legacy and invalid")
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD", "--allow-legacy")
    assert code == 1 and err.startswith(f"commit {bad} (legacy and invalid):\n{bad}:{CONFIG}:")


def test_empty_range_and_a_range_that_never_touches_the_config_pass(history: List[str], capsys: Capture) -> None:
    assert passed(run(capsys, "validate", "--range", "HEAD..HEAD"))
    (Path.cwd() / "other.txt").write_text("x\n")
    git(Path.cwd(), "add", "other.txt")
    git(Path.cwd(), "commit", "-qm", "not the config")
    assert passed(run(capsys, "validate", "--range", "HEAD~1..HEAD"))
    code, out, _ = run(capsys, "validate", "--range", "HEAD..HEAD", "--format", "json")
    assert (code, json.loads(out)["status"]) == (0, "ok")


def test_a_bad_revision_is_one_line(history: List[str], capsys: Capture) -> None:
    assert run(capsys, "validate", "--range", "nope..HEAD") == (1, "", "git log: bad revision 'nope..HEAD'\n")
    assert run(capsys, "validate", "--rev", "nope") == (1, "", "git log: bad revision 'nope'\n")


@pytest.mark.parametrize("argv, message", [
    (["--rev", "HEAD", "x.json"], "--rev checks commits and FILE checks files: give one or the other"),
    (["--rev", "HEAD", "--range", "a..b"], "--rev and --range cannot be combined: name the commits one way"),
    (["--range", "HEAD"], "--range takes A..B (two revisions and two dots), not 'HEAD'"),
    (["--range", "a...b"], "--range takes A..B (two revisions and two dots), not 'a...b'"),
    (["--rev=--output=/tmp/x"], "--rev takes a revision, not an option ('--output=/tmp/x')"),
    (["--from-ref", "a"], "--from-ref needs --to-ref (the pushed commits are FROM..TO)"),
    (["--allow-legacy"], "--allow-legacy goes with --rev, --range or --from-ref/--to-ref"),
    (["--rev", ""], "--rev takes a revision, not ''"),
])
def test_wrong_usage_is_exit_2(in_repo: Path, capsys: Capture, argv: List[str], message: str) -> None:
    code, _, err = run(capsys, "validate", *argv)
    assert code == 2
    assert err.splitlines()[-1] == f"codequery-gitcfg validate: error: {message}"


def test_a_new_branch_without_a_base_checks_what_no_remote_has(history: List[str], capsys: Capture) -> None:
    # CI's "before" of a new branch, and the pre-commit framework's FROM_REF, are all zeros.
    zeros = "0" * 40
    code, _, err = run(capsys, "validate", "--from-ref", zeros, "--to-ref", "HEAD")
    assert code == 1 and err.count("commit ") == 2
    assert run(capsys, "validate", "--range", f"{zeros}..HEAD") == (code, "", err)


def test_root_commit_and_a_range_whose_first_commit_adds_the_config(tmp_path: Path, capsys: Capture,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    monkeypatch.chdir(root)
    first = commit(root, BAD_BATCH, "root commit with a bad config")
    second = commit(root, VALID, "fixed")
    assert run(capsys, "validate", "--rev", first)[0] == 1
    code, _, err = run(capsys, "validate", "--from-ref", "", "--to-ref", "HEAD")
    assert (code, err) == (1, f"commit {first} (root commit with a bad config):\n{first}:{CONFIG}:{BATCH_LINE}\n")
    assert passed(run(capsys, "validate", "--range", f"{first}..{second}"))


def test_merges_count_against_their_first_parent(in_repo: Path, capsys: Capture) -> None:
    commit(in_repo, VALID, "valid")
    base = short(in_repo)
    git(in_repo, "checkout", "-qb", "side")
    bad = commit(in_repo, BAD_BATCH, "side: bad")
    git(in_repo, "checkout", "-q", "main")
    (in_repo / "other.txt").write_text("x\n")
    git(in_repo, "add", "other.txt")
    git(in_repo, "commit", "-qm", "main: other")
    git(in_repo, "merge", "-q", "--no-ff", "--no-verify", "-m", "merge side", "side")
    merge = short(in_repo)
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert code == 1
    # the side's commit, and the merge that brings its config to main, each named once
    assert err == (f"commit {bad} (side: bad):\n{bad}:{CONFIG}:{BATCH_LINE}\n"
                   f"commit {merge} (merge side):\n{merge}:{CONFIG}:{BATCH_LINE}\n")


def test_a_bad_commit_on_a_merged_side_branch_counts_even_when_fixed_there(in_repo: Path, capsys: Capture) -> None:
    commit(in_repo, VALID, "valid")
    base = short(in_repo)
    git(in_repo, "checkout", "-qb", "side")
    bad = commit(in_repo, BAD_BATCH, "side: bad")
    commit(in_repo, VALID, "side: fixed")
    git(in_repo, "checkout", "-q", "main")
    git(in_repo, "merge", "-q", "--no-ff", "--no-verify", "-m", "merge side", "side")
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert (code, err) == (1, f"commit {bad} (side: bad):\n{bad}:{CONFIG}:{BATCH_LINE}\n")


def test_subjects_keys_and_values_are_escaped(in_repo: Path, capsys: Capture) -> None:
    base = short(in_repo)
    bad = commit(in_repo, '{"dataset_name": "x", "\\u001b[2Jkey": 1}\n', "subject \x1b[31mred")
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert code == 1
    assert err == (f"commit {bad} (subject \\x1b[31mred):\n"
                   f"{bad}:{CONFIG}:1:39: \\x1b[2Jkey: unknown key '\\x1b[2Jkey'\n")


def test_bare_repository_and_no_working_tree(history: List[str], tmp_path: Path, capsys: Capture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(Path.cwd()), str(bare))
    before = sorted(p.name for p in bare.iterdir())
    monkeypatch.chdir(bare)
    code, _, err = run(capsys, "validate", "--range", f"{history[0]}..main")
    assert code == 1 and err.count("commit ") == 2
    assert passed(run(capsys, "validate", "--rev", "main"))
    # the memo of blobs that passed lives under the git dir: nothing else was written
    assert sorted(p.name for p in bare.iterdir()) in (before, sorted([*before, "codequery-gitcfg"]))


def test_pre_commit_framework_pre_push_stage_checks_the_pushed_commits(history: List[str], capsys: Capture,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # The framework passes the changed files; in its pre-push stage the commits are what counts.
    monkeypatch.setenv("PRE_COMMIT", "1")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", history[0])
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    code, _, err = run(capsys, "validate", CONFIG)
    assert code == 1
    assert err.startswith(f"commit {history[2]} (batch size zero):\n")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", history[3])
    assert passed(run(capsys, "validate", CONFIG))
    for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"):
        monkeypatch.delenv(name)
    assert passed(run(capsys, "validate", CONFIG))  # the pre-commit stage: the file


def test_the_memo_makes_a_blob_seen_before_free(history: List[str], capsys: Capture) -> None:
    from codequery_gitcfg.store import memo

    memo_file = memo.path_in(os.path.realpath(".git"), memo.BLOBS)
    run(capsys, "validate", "--range", f"{history[0]}..HEAD")
    valid = git(Path.cwd(), "rev-parse", "HEAD:" + CONFIG).stdout.strip()
    assert valid in Path(memo_file).read_text().split()  # a clean blob is remembered
    # A blob the memo knows is not read again: planted, a bad one passes (only the memo says so).
    memo.remember(memo_file, git(Path.cwd(), "rev-parse", "HEAD~2:" + CONFIG).stdout.strip())
    code, _, err = run(capsys, "validate", "--range", f"{history[0]}..HEAD")
    assert (code, err) == (1, f"commit {history[3]} (a typo):\n{history[3]}:{CONFIG}:{TYPO_LINE}\n")


def test_quiet_says_nothing_but_the_status(history: List[str], capsys: Capture) -> None:
    assert run(capsys, "validate", "-qq", "--range", f"{history[0]}..HEAD") == (1, "", "")
    assert run(capsys, "validate", "-q", "--range", f"{history[3]}..HEAD") == (0, "", "")
    code, out, _ = run(capsys, "validate", "--range", f"{history[0]}..HEAD", "--format", "json")
    assert (code, sorted(json.loads(out))) == (1, ["errors", "parse_errors", "status"])


def test_a_symlink_or_a_hostile_blob_is_one_line(in_repo: Path, capsys: Capture) -> None:
    base = short(in_repo)
    (in_repo / "elsewhere.json").write_text(json.dumps(VALID))
    (in_repo / ".code-query").mkdir()
    os.symlink("../elsewhere.json", in_repo / CONFIG)
    git(in_repo, "add", "elsewhere.json", CONFIG)
    git(in_repo, "commit", "-qm", "a link")
    link = short(in_repo)
    os.remove(in_repo / CONFIG)
    deep = commit(in_repo, b"[" * 200_000, "deep")
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert (code, err) == (1, f"commit {link} (a link):\n"
                              f"{link}:{CONFIG}: is a symbolic link in this commit (mode 120000); links are not "
                              "followed here: commit the file itself\n"
                              f"commit {deep} (deep):\n{deep}:{CONFIG}:1: nesting deeper than 32 levels\n")


def test_a_submodule_at_the_config_path_is_refused(in_repo: Path, capsys: Capture) -> None:
    base = short(in_repo)
    head = git(in_repo, "rev-parse", "HEAD").stdout.strip()
    git(in_repo, "update-index", "--add", "--cacheinfo", f"160000,{head},{CONFIG}")
    git(in_repo, "commit", "-qm", "a submodule there")
    sub = short(in_repo)
    code, _, err = run(capsys, "validate", "--range", f"{base}..HEAD")
    assert (code, err) == (1, f"commit {sub} (a submodule there):\n"
                              f"{sub}:{CONFIG}: is a submodule in this commit, not a file\n")
