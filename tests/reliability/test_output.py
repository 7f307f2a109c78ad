"""What we print (issue 12, items 3 and 15-18): escaped, encodable, never a traceback.

A collaborator's key must not rewrite the terminal; strict or ASCII output
encodings, undecodable file names and environment values, odd interpreter paths
and a closed pipe end in a message (or silence), never in a traceback.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from codequery_gitcfg.api import effective_config
from codequery_gitcfg.core import errors
from codequery_gitcfg.core.errors import EnvOverrideError, Problem
from codequery_gitcfg.core.migrate import CURRENT_VERSION_NAME

from support.hooks import cli, commit_skipping_hooks, install, run_git
from support.reliability_helpers import CONFIG_REL, PY, init_repo, report
from support.repos import LEGACY_AUTO, VALID

pytestmark = pytest.mark.reliability

ERASE = "\u001b[1A\u001b[2K\r\u001b[32mall fine\u001b[0m"
UNSAFE = ["\x1b", "\x9b", "\r\x1b", "\u202e", "\x07"]


def _no_controls(text: str) -> None:
    for char in UNSAFE:
        assert char not in text, f"{char!r} printed raw: {text!r}"


def run(cwd: str | os.PathLike[str], *argv: str, env: Dict[str, str] | None = None,
        **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """``codequery-gitcfg ARGV`` in a real process (its own stdout encoding)."""
    return subprocess.run([PY, "-m", "codequery_gitcfg", *argv], cwd=cwd, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=60, **kwargs)  # type: ignore[call-overload]


# -- 3. terminal escapes ---------------------------------------------------------------------
def test_escape_shows_every_control() -> None:
    assert errors.escape(ERASE) == "\\x1b[1A\\x1b[2K\\x0d\\x1b[32mall fine\\x1b[0m"
    assert errors.escape("a\x9bb\u202ec\udcffd\n") == "a\\x9bb\\u202ec\\xffd\\x0a"
    assert Problem(ERASE, "m\nfake", 1, 2).render("f\x1b") == "f\\x1b:1:2: " + errors.escape(ERASE) + ": m\\x0afake"


def test_a_hostile_key_cannot_erase_the_post_merge_warning(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root, VALID)
    install(root)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    install(clone)
    cfg.write_text(json.dumps(dict(LEGACY_AUTO, **{ERASE: 1}), indent=2) + "\n")
    commit_skipping_hooks(root, "hostile key")
    proc = run_git(clone, "pull", "-q", "--no-rebase", check=False)
    assert proc.returncode == 0, proc.stderr
    _no_controls(proc.stderr)
    assert "warning: after the merge, .code-query/config.json is not valid; left untouched:" in proc.stderr
    assert errors.escape(ERASE) in proc.stderr


def test_every_surface_escapes_keys_values_and_paths(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root, VALID)
    cfg.write_text(json.dumps(dict(VALID, worktree={"branch": "x\x9b31m"}, **{ERASE: "\u202evalue"})) + "\n")
    named = root / "odd\x1b[2Jname.json"
    named.write_text(cfg.read_text())
    outputs: List[str] = []
    for argv in (["validate"], ["validate", named.name], ["show"], ["show", "--json"], ["show", "--origin"],
                 ["migrate", "--check"], ["hook", "pre-commit"]):
        code, out, err = cli(root, *argv)
        assert code in (0, 1), (argv, code, err)
        _no_controls(out + err)
        outputs.append(out + err)
    code, out, _ = cli(root, "show", "--json")
    assert json.loads(out)[ERASE] == "\u202evalue"  # JSON escapes, same values
    assert "\\x1b[2J" in outputs[1]
    report("output.escaped_surfaces", commands=len(outputs))


# -- 15. values that used to raise --------------------------------------------------------------
def test_set_deeply_nested_patterns_is_a_message(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    value = "[" * 1000 + "]" * 1000
    code, _, err = cli(root, "set", "exclude_patterns", value)
    assert code == 1
    assert err.startswith(f"exclude_patterns: invalid value {value!r}: exclude_patterns must be a list")
    assert err.endswith(" (nesting deeper than 32 levels; give it as JSON, such as '[\"dist/*\"]')\n")


def test_set_a_5000_digit_integer_says_so(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    code, _, err = cli(root, "set", "exclude_patterns", "9" * 5000)
    assert code == 1
    assert err.startswith(f"exclude_patterns: invalid value '{'9' * 5000}': exclude_patterns must be a list")
    assert err.endswith(" (integer with 5000 digits is too long; give it as JSON, such as '[\"dist/*\"]')\n")


# -- 16. strict and ASCII output -----------------------------------------------------------------
STRICT = {"PYTHONIOENCODING": "utf-8:strict"}


def test_undecodable_environment_value_with_strict_output(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    proc = run(root, "show", "--effective", env={**STRICT, "CODEQUERY_WORKTREE_BRANCH": "\udcff"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == (b"worktree.branch: Invalid value for CODEQUERY_WORKTREE_BRANCH: '\\udcff'. "
                           b"the value is not valid UTF-8\n")


def test_effective_config_refuses_lone_surrogates_from_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    with pytest.raises(EnvOverrideError, match="CODEQUERY_WORKTREE_BRANCH"):
        effective_config(root, environ={"CODEQUERY_WORKTREE_BRANCH": "main\udcff"})
    with pytest.raises(EnvOverrideError, match="CODEQUERY_MODEL"):
        effective_config(root, environ={"CODEQUERY_MODEL": "\ud800"})


@pytest.mark.parametrize("encoding", ["utf-8:strict", "ascii", "ascii:strict", "latin-1"])
def test_migrate_in_an_undecodable_folder(tmp_path: Path, encoding: str) -> None:
    root = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/d\xff"))
    cfg = init_repo(root, LEGACY_AUTO)
    proc = run(root.parent, "migrate", "--diff", os.path.join("d\udcff", CONFIG_REL), env={"PYTHONIOENCODING": encoding})
    assert proc.returncode == 0, proc.stderr
    # diff -u's headers (the name, a tab, the time); --diff is a dry run (README: Command line)
    assert proc.stdout.startswith(b"--- d\\xff/.code-query/config.json\t")
    assert b"\n+++ d\\xff/.code-query/config.json\t" in proc.stdout
    assert proc.stderr.startswith(b"d\\xff/.code-query/config.json: would have migrated to " + CURRENT_VERSION_NAME.encode())
    assert "processing" not in json.loads(cfg.read_text())
    proc = run(root.parent, "migrate", os.path.join("d\udcff", CONFIG_REL), env={"PYTHONIOENCODING": encoding})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(b"d\\xff/.code-query/config.json: migrated to " + CURRENT_VERSION_NAME.encode() + b":\n")
    assert json.loads(cfg.read_text())["processing"] == {"mode": "auto"}
    proc = run(root.parent, "validate", os.path.join("d\udcff", CONFIG_REL), "x\udcff.json",
               env={"PYTHONIOENCODING": encoding})
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert proc.stderr == b"x\\xff.json: file not found\n"


@pytest.mark.parametrize("encoding", ["utf-8:strict", "ascii"])
def test_migrate_diff_and_show_with_non_ascii_values(tmp_path: Path, encoding: str) -> None:
    root = tmp_path / "repo"
    cfg = init_repo(root, VALID)
    cfg.write_text(json.dumps(dict(LEGACY_AUTO, excludePatterns=["caf\u00e9/*", "\u65e5\u672c/*"]), indent=2,
                              ensure_ascii=False) + "\n", encoding="utf-8")
    env = {"PYTHONIOENCODING": encoding}
    for argv in (["show"], ["show", "--origin"], ["show", "--effective"], ["show", "--json"], ["migrate", "--diff"]):
        proc = run(root, *argv, env=env)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert b"Traceback" not in proc.stderr and b"error" not in proc.stderr, (argv, proc.stderr)
        text = proc.stdout.decode("utf-8")
        assert ("caf\u00e9" in text) if encoding.startswith("utf-8") else ("caf\\xe9" in text), (argv, text)


# -- 17. interpreter paths that sh and shlex do not expect ---------------------------------------
@pytest.mark.parametrize("name", ["ve\nnv", "ve'nv \"q\"", os.fsdecode(b"ve\xffnv")])
def test_install_doctor_uninstall_with_an_odd_interpreter_path(tmp_path: Path, name: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    folder = tmp_path / name / "bin"
    folder.mkdir(parents=True)
    python = folder / "python"
    python.symlink_to(sys.executable)
    monkeypatch.setattr(sys, "executable", str(python))
    results = []
    for argv in (["install"], ["install"], ["doctor"], ["uninstall"], ["doctor"]):
        code, out, err = cli(root, *argv)
        results.append((argv[0], code, out))
        assert "Error" not in err and code in (0, 1), (argv, code, out, err)
        _no_controls(out + err)
    assert [c for _, c, _ in results[:4]] == [0, 0, 0, 0], results
    assert "  pre-commit: already installed\n" in results[1][2]
    assert " ok  ours, current; runs " + errors.escape(str(python)) + "\n" in results[2][2]
    assert not any(p.name.startswith("pre-commit") for p in (root / ".git" / "hooks").iterdir()
                   if not p.name.endswith(".sample"))


# -- 18. a closed pipe ---------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["doctor"], ["schema"], ["show"]])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, argv: List[str]) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    read, write = os.pipe()
    os.close(read)  # as `| head -1` does once it has its line
    try:
        proc = subprocess.run([PY, "-m", "codequery_gitcfg", *argv], cwd=root, stdout=write,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write)
    assert proc.stderr == b"", proc.stderr
    assert proc.returncode == 141


def test_doctor_piped_to_head(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root, VALID)
    proc = subprocess.run(f"set -o pipefail 2>/dev/null; '{PY}' -m codequery_gitcfg doctor | head -1", shell=True,
                          cwd=root, capture_output=True, text=True, executable="/bin/bash", timeout=60)
    assert proc.stdout.startswith("codequery-gitcfg ")
    assert proc.stderr == ""
