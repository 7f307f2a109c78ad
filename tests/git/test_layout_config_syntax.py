"""The plain-layout fast path (``git.layout``) against git's own reading of its config files.

git reads `[core] worktree = /x` on one line, `[core]bare=true`, quoted values, comments and
includes; the fast path answers only for a config whose text is in a shape it fully
understands and that leaves the worktree where its .git is, and otherwise hands the question
to git (one ``git rev-parse``). Whenever it answers, its answer must be git's (issue 22, row 1).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from codequery_gitcfg import effective_config
from codequery_gitcfg.git import layout
from codequery_gitcfg.git import repo as repo_mod
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from support.repos import git


def git_answer(probe: Path) -> Optional[Tuple[str, str]]:
    """(worktree, git dir) as `git rev-parse` answers from ``probe``; None when git has no worktree there."""
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=probe,
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        return None
    return os.path.realpath(lines[0]), os.path.realpath(lines[1])


@pytest.fixture
def plain(tmp_path: Path) -> Tuple[Path, Path, str]:
    """A fresh repository, a folder another worktree could be, and the repository's own config."""
    probe = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(probe))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return probe, elsewhere, (probe / ".git" / "config").read_text()


def fast(probe: Path) -> Optional[Tuple[str, str]]:
    return layout.plain_layout(str(probe), dict(os.environ))


# -- the named cases ------------------------------------------------------------------------------
MOVED = [
    "[core] worktree = {x}\n",
    "[core]worktree={x}\n",
    "[core]\tworktree = {x} ; moved\n",
    "[CORE] WorkTree = \"{x}\"\n",
    "[core] # a comment\n\tworktree = {x}\n",
    "[core]\n\tbare = false\n[core] bare = true\n",
    "[core]bare=true\n",
    "[core] bare\n",
    "[core]\n\tbare\n",
    "[core]\n\tbare = yes\n",
    "[core]\n\tbare = \"true\"\n",
    "[core]\n\tbare = 1 # comment\n",
    "[core]\r\n\tbare = true\r\n",
]


@pytest.mark.parametrize("extra", MOVED)
def test_a_config_git_reads_as_moving_the_worktree_is_git_s_to_answer(plain: Tuple[Path, Path, str],
                                                                        extra: str) -> None:
    probe, elsewhere, config = plain
    (probe / ".git" / "config").write_text(config + extra.format(x=elsewhere))
    assert git_answer(probe) != (os.path.realpath(probe), os.path.realpath(probe / ".git"))
    assert fast(probe) is None
    repo_mod._located.clear()
    found = repo_mod.worktree_of(str(probe), dict(os.environ))
    answer = git_answer(probe)
    assert (None if found is None else (found.root, found.git_dir)) == answer


def test_effective_config_reads_the_config_of_git_s_worktree(plain: Tuple[Path, Path, str]) -> None:
    probe, elsewhere, config = plain
    (probe / ".git" / "config").write_text(config + f"[core] worktree = {elsewhere}\n")
    for folder, name in ((probe, "beside-git"), (elsewhere, "the-worktree")):
        (folder / ".code-query").mkdir()
        (folder / ".code-query" / "config.json").write_text(json.dumps({"dataset_name": name}))
    repo_mod._located.clear()
    assert effective_config(str(probe))["dataset_name"] == "the-worktree"
    assert effective_config(str(probe))["dataset_name"] == "the-worktree"  # the quick read, after a full one


KEPT = [
    "",
    "[user]\n\tname = \"A # B\" ; comment\n\temail = a@b\n",
    "[alias]\n\tlg = \"log --graph; echo\"\n",
    "[url \"git@example.com:\"]\n\tinsteadOf = https://example.com/\n",
    "[core]\n\tbare = false\n\tbare = no\n\tbare = off\n\tbare = 0\n\tbare =\n",
    "[core] ; bare = true\n# worktree = /x\n",
    "[core \"worktree\"]\n\tbare = true\n",
    "[Core]\n\tBare = FALSE\n",
    "[core]\r\n\tfilemode = true\r\n",
    "[core]\n\tfilemode = -1\n\tsymlinks = 2\n\tlogallrefupdates = always\n\tautocrlf = input\n",
    "[core]\n\teditor = vim\n\thooksPath = .husky\n\texcludesfile = /x/ignore\n",
    "[push]\n\tdefault = simple\n\tautoSetupRemote = anything\n[pull]\n\trebase = anything\n",
    "[color]\n\tui = auto\n\tpager = no\n[color \"diff\"]\n\tmeta = bogus\n[init]\n\tdefaultBranch\n",
]


@pytest.mark.parametrize("extra", KEPT)
def test_a_plain_config_keeps_the_fast_path(plain: Tuple[Path, Path, str], extra: str) -> None:
    probe, _, config = plain
    (probe / ".git" / "config").write_text(config + extra)
    expected = (os.path.realpath(probe), os.path.realpath(probe / ".git"))
    assert git_answer(probe) == expected
    assert fast(probe) == expected


UNUSUAL = [
    "[include]\n\tpath = other\n",
    "[includeIf \"gitdir:/x/\"]\n\tpath = other\n",
    "[core]\n\tfilemode = tr\\\nue\n",  # a continuation line
    "[core]\n\tfilemode = \"true\n",  # an unbalanced quote: git refuses the file
    "\ufeff[core]\n",
    "[core]\n\tbare = \"false \"\n",
    "[core]\n\trepositoryformatversion = 2\n",
    "[extensions]\n\tpartialClone = origin\n",
    "[core]\n\tbare # comment\n",
    "[core.]\n\tworktree = /x\n",
    "[core]\x0b\n",
    # git parses these while it starts and refuses to run on a bad one (git_default_config)
    "[core]\n\tfilemode = \"false \"\n",
    "[core]\n\tfilemode = 08\n",
    "[core]\n\tlogallrefupdates = sometimes\n",
    "[core]\n\teditor\n",
    "[core]\n\texcludesfile = ~nosuchuser/x\n",
    "[user]\n\tname\n",
    "[user]\n\tuseconfigonly = maybe\n",
    "[push]\n\tdefault = bogus\n",
    "[advice]\n\tstatusHints = bogus\n",
    "[color \"advice\"]\n\thint = bogus\n",
    "[color.advice]\n\thint = bogus\n",
    "[color]\n\tpager = bogus\n",
    "[pack]\n\tcompression = bogus\n",
]


@pytest.mark.parametrize("extra", UNUSUAL)
def test_anything_unusual_goes_to_git(plain: Tuple[Path, Path, str], extra: str) -> None:
    probe, _, config = plain
    (probe / ".git" / "config").write_text(config + extra)
    assert fast(probe) is None


def test_a_key_before_any_section_goes_to_git() -> None:
    assert not layout.plain_config("key = value\n[core]\n")
    assert layout.plain_config("# only a comment\n[core]\n\tfilemode = true\n")


def test_a_global_config_git_reads_as_bare_is_git_s_to_answer(plain: Tuple[Path, Path, str]) -> None:
    probe, _, _ = plain
    home = Path(os.environ["HOME"])
    (home / ".gitconfig").write_text((home / ".gitconfig").read_text() + "[include] path = more\n")
    assert fast(probe) is None


# -- generated configs: whenever the fast path answers, git agrees ---------------------------------
SECTIONS = ["[core]", "[Core]", "[CORE]", "[core \"x\"]", "[user]", "[core.sub]", "[include]", "[includeIf \"onbranch:m\"]",
            "[extensions]", "[alias]", "[core]\t", " [core]", "[core] # c", "[core];c", "[url \"a]b\"]", "[core ]",
            "[core \"\"]", "[]", "[core", "[push]", "[advice]", "[color]", "[color \"advice\"]", "[color.advice]",
            "[i18n]", "[branch]", "[pack]", "[sparse]", "[author]", "[pull]"]
KEYS = ["worktree", "WorkTree", "bare", "Bare", "filemode", "repositoryformatversion", "objectformat", "path",
        "name", "lg", "x-y", "1bad", "bare2", "core.bare", "email", "default", "pager", "editor", "excludesfile",
        "hooksPath", "logallrefupdates", "autocrlf", "statushints", "useconfigonly", "sharedrepository", "hint",
        "compression", "autosetuprebase", "commitencoding", "symlinks"]
VALUES = ["", "true", "false", "yes", "no", "on", "off", "0", "1", "2", "00", "tRuE", "FALSE", "\"true\"",
          "\"false\"", "\"\"", "\"false \"", "{x}", "\"{x}\"", "{x} # c", "{x} ; c", "\"a # b\"", "a\\\\b", "a\\\"b",
          "a\\q", "tr\\", "\"open", "sha1", "sha256", "1 # c", "false;c", "a\tb", "08", "-1", "2k", "99999999999", "~nosuchuser/x",
          "~/x", "simple", "bogus", "input", "always", "umask", "group"]
PREFIXES = ["", "\t", " ", "  \t"]
SEPARATORS = [" = ", "=", " =", "= ", "\t=\t", ""]


@st.composite
def configs(draw: st.DrawFn) -> str:
    lines: List[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["section", "key", "key", "oneline", "comment", "blank", "raw"]))
        prefix = draw(st.sampled_from(PREFIXES))
        key = draw(st.sampled_from(KEYS))
        separator = draw(st.sampled_from(SEPARATORS))
        value = draw(st.sampled_from(VALUES)) if separator else ""
        pair = f"{key}{separator}{value}"
        if kind == "section":
            lines.append(prefix + draw(st.sampled_from(SECTIONS)))
        elif kind == "key":
            lines.append(prefix + pair)
        elif kind == "oneline":
            lines.append(prefix + draw(st.sampled_from(SECTIONS)) + draw(st.sampled_from(["", " ", "\t"])) + pair)
        elif kind == "comment":
            lines.append(prefix + draw(st.sampled_from(["#", ";"])) + " " + pair)
        elif kind == "blank":
            lines.append(prefix)
        else:
            lines.append(draw(st.text(st.sampled_from("[]\"\\=#; \tcorebatwk\r"), max_size=12)))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return "".join(line + ending for line in lines)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=configs())
@example(extra="[core] worktree = {x}\n")
@example(extra="[core]bare=true\n")
@example(extra="[core]\n[core]\nfilemode = \"false \"\n")  # git refuses to start: CI, round 2
def test_whenever_the_fast_path_answers_git_agrees(plain: Tuple[Path, Path, str], extra: str) -> None:
    probe, elsewhere, config = plain
    (probe / ".git" / "config").write_text(config + extra.replace("{x}", str(elsewhere)))
    found = fast(probe)
    if found is not None:
        assert git_answer(probe) == found, extra


def test_git_s_default_configs_keep_the_fast_path(tmp_path: Path) -> None:
    counts: Dict[str, int] = {}
    for options in ([], ["--object-format=sha256"], ["--shared=group"]):
        probe = tmp_path / f"r{len(counts)}"
        if git(tmp_path, "init", "-q", *options, str(probe), check=False).returncode != 0:
            continue
        assert fast(probe) == git_answer(probe)
        counts[" ".join(options)] = 1
    assert counts
