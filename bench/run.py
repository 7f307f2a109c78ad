"""Benchmarks for codequery-gitcfg (issue 5): each figure is a ratio of two sides
measured in the same run, interleaved, median of several runs.

    python bench/run.py [--runs N]

Needs codequery-gitcfg installed in this interpreter (a regular, non-editable
install measures what users get; an editable one adds its import hook to every
start) and check-jsonschema (`pip install ".[bench]"`). Creates its own
repositories in a temporary folder; prints one line per figure with its goal.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

CONFIG = ".code-query/config.json"
VALID = {"dataset_name": "bench", "processing": {"mode": "manual", "batch_size": 5}}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, name: str) -> Path:
    repo = root / name
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "user.name", "bench")
    (repo / ".code-query").mkdir()
    (repo / CONFIG).write_text(json.dumps(VALID, indent=2) + "\n")
    (repo / "README").write_text("bench\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    subprocess.run([sys.executable, "-m", "codequery_gitcfg", "install"], cwd=repo, check=True,
                   capture_output=True)
    return repo


def timed(cmd: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None, expect: int = 0) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return elapsed


def interleave(runs: int, ours: Callable[[int], float], ref: Callable[[int], float]) -> Tuple[float, float]:
    """Median seconds of each side, alternating which side goes first."""
    a: List[float] = []
    b: List[float] = []
    ours(-1), ref(-1)  # warm the OS caches for both sides alike
    for i in range(runs):
        if i % 2:
            b.append(ref(i))
            a.append(ours(i))
        else:
            a.append(ours(i))
            b.append(ref(i))
    return statistics.median(a), statistics.median(b)


def report(name: str, ours: float, ref: float, goal: Optional[float], unit: float = 1e3, suffix: str = "ms") -> bool:
    """One line: both sides' medians, their ratio, the goal and whether it held."""
    ratio = ours / ref
    ok = goal is None or ratio <= goal
    goal_text = f"goal <= {goal:g}" if goal is not None else "report only"
    verdict = "" if goal is None else ("  OK" if ok else "  MISSED")
    print(f"{name:<22} ours {ours * unit:8.2f} {suffix}  reference {ref * unit:8.2f} {suffix}  "
          f"ratio {ratio:6.3f}  ({goal_text}){verdict}")
    return ok


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    if not os.path.exists(checker):
        raise SystemExit("check-jsonschema is missing: pip install '.[bench]'")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CODEQUERY_"))}
    results: List[bool] = []
    with tempfile.TemporaryDirectory(prefix="cq-bench-") as tmp:
        root = Path(tmp)
        schema = root / "schema.json"
        schema.write_text(subprocess.run([sys.executable, "-m", "codequery_gitcfg", "schema"], check=True,
                                         capture_output=True, text=True).stdout)
        repo = make_repo(root, "repo")
        hook = repo / ".git" / "hooks" / "pre-commit"
        check = [checker, "--schemafile", str(schema), CONFIG]
        print(f"python {sys.version.split()[0]}, {args.runs} runs per side, medians\n")

        # hook idle: config not staged; reference: Python (-S) running the one git query.
        (repo / "other.txt").write_text("x\n")
        git(repo, "add", "other.txt")
        query = ("import subprocess; subprocess.run(['git', 'diff', '--cached', '--name-only', '--', "
                 f"'{CONFIG}'], check=True)")
        idle_ref = lambda i: timed([sys.executable, "-S", "-c", query], repo, env)  # noqa: E731
        ours, ref = interleave(args.runs, lambda i: timed([str(hook)], repo, env), idle_ref)
        results.append(report("hook idle", ours, ref, 0.3))

        # hook staged, cold: a new valid blob before every run.
        counter = [0]

        def stage_new() -> None:
            counter[0] += 1
            config = dict(VALID, processing={"mode": "manual", "batch_size": 1 + counter[0] % 1000,
                                             "delay_seconds": counter[0]})
            (repo / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
            git(repo, "add", CONFIG)

        def hook_cold(i: int) -> float:
            stage_new()
            return timed([str(hook)], repo, env)

        check_ref = lambda i: timed(check, repo, env)  # noqa: E731
        ours, ref = interleave(args.runs, hook_cold, check_ref)
        results.append(report("hook staged (cold)", ours, ref, 0.25))

        # hook staged, warm: the same blob every run.
        ours, ref = interleave(args.runs, lambda i: timed([str(hook)], repo, env), check_ref)
        report("hook staged (warm)", ours, ref, None)

        # validate: new content before every run.
        def validate_cold(i: int) -> float:
            stage_new()
            return timed([sys.executable, "-m", "codequery_gitcfg", "validate"], repo, env)

        ours, ref = interleave(args.runs, validate_cold, check_ref)
        results.append(report("validate (cold)", ours, ref, 0.25))

        # validate, cold, invalid: new invalid content before every run (full positioned messages).
        def invalid_cold(i: int) -> float:
            counter[0] += 1
            bad = dict(VALID, processing={"mode": "manual", "batch_size": 0, "delay_seconds": counter[0]})
            (repo / CONFIG).write_text(json.dumps(bad, indent=2) + "\n")
            return timed([sys.executable, "-m", "codequery_gitcfg", "validate"], repo, env, expect=1)

        check_bad = lambda i: timed(check, repo, env, expect=1)  # noqa: E731
        ours, ref = interleave(args.runs, invalid_cold, check_bad)
        results.append(report("invalid (cold)", ours, ref, 0.6))

        # A new process reading an unchanged, committed config: what Code Query's
        # post-commit hook, each worker and each server start pay.
        (repo / CONFIG).write_text(json.dumps(VALID, indent=2) + "\n")
        git(repo, "add", CONFIG)
        git(repo, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "config")
        read_ours = [sys.executable, "-c", "import codequery_gitcfg as c; c.effective_config()"]
        read_ref = [sys.executable, "-c", f"import json; json.load(open({CONFIG!r}))"]
        fresh_ref = lambda i: timed(read_ref, repo, env)  # noqa: E731
        ours, ref = interleave(args.runs, lambda i: timed(read_ours, repo, env), fresh_ref)
        results.append(report("fresh-process read", ours, ref, 1.5))

        env_one = dict(env, CODEQUERY_BATCH_SIZE="3")
        ours, ref = interleave(args.runs, lambda i: timed(read_ours, repo, env_one),
                               lambda i: timed(read_ref, repo, env_one))
        results.append(report("fresh read, 1 env var", ours, ref, 2.0))

        # Code Query's post-commit hook: the files of the commit, the config, the plan.
        files = "import subprocess; files = subprocess.run(['git', 'diff-tree', '--no-commit-id', '--name-only', " \
                "'-r', 'HEAD'], capture_output=True, text=True, check=True).stdout.split()\n"
        hook_ours = root / "post-commit-ours"
        hook_ours.write_text(f"#!{sys.executable}\n{files}import codequery_gitcfg as c\n"
                             "from codequery_gitcfg.huey_bridge import plan_dispatch\n"
                             "plan_dispatch(c.effective_config(), files, worker_running=False)\n")
        hook_ref = root / "post-commit-json"
        hook_ref.write_text(f"#!{sys.executable}\n{files}import json\n"
                            f"config = json.load(open({CONFIG!r}))\n"
                            "mode = config.get('processing', {}).get('mode', 'manual')\n")
        for script in (hook_ours, hook_ref):
            script.chmod(0o755)
        ours, ref = interleave(args.runs, lambda i: timed([str(hook_ours)], repo, env),
                               lambda i: timed([str(hook_ref)], repo, env))
        results.append(report("post-commit (Huey)", ours, ref, 1.5))

        # scale: 3,000 other staged files against 1, config staged (cold) in both.
        big = make_repo(root, "big")
        small = make_repo(root, "small")
        for target, count in ((big, 3000), (small, 1)):
            folder = target / "src"
            folder.mkdir()
            for n in range(count):
                (folder / f"f{n}.txt").write_text(f"{n}\n")
            git(target, "add", "src")

        def cold_in(target: Path) -> Callable[[int], float]:
            def run(i: int) -> float:
                config = dict(VALID, processing={"mode": "manual", "delay_seconds": 10_000 + i + 2})
                (target / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
                git(target, "add", CONFIG)
                return timed([str(target / ".git" / "hooks" / "pre-commit")], target, env)
            return run

        ours, ref = interleave(args.runs, cold_in(big), cold_in(small))
        results.append(report("scale (3000 vs 1)", ours, ref, 1.2))

        # post-merge idle: a pull that did not touch the config.
        origin = root / "origin.git"
        git(root, "clone", "-q", "--bare", str(repo), str(origin))
        clone = root / "clone"
        git(root, "clone", "-q", str(origin), str(clone))
        git(clone, "config", "user.email", "bench@example.com")
        git(clone, "config", "user.name", "bench")
        subprocess.run([sys.executable, "-m", "codequery_gitcfg", "install"], cwd=clone, check=True,
                       capture_output=True)
        git(repo, "reset", "-q", "--hard")
        git(repo, "remote", "add", "origin", str(origin))
        (repo / "pulled.txt").write_text("new\n")
        git(repo, "add", "pulled.txt")
        git(repo, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "not the config")
        branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
        git(repo, "push", "-q", "origin", f"HEAD:{branch}")
        git(clone, "pull", "-q", "--no-rebase")
        post_merge = clone / ".git" / "hooks" / "post-merge"
        ours, ref = interleave(args.runs, lambda i: timed([str(post_merge), "0"], clone, env), idle_ref)
        results.append(report("post-merge idle", ours, ref, 0.3))

        # cached load, in process: an unchanged file, older than the racy window.
        from codequery_gitcfg import ConfigManager

        path = repo / CONFIG
        path.write_text(json.dumps(VALID, indent=2) + "\n")
        time.sleep(3.2)  # past the cache's racy window (ctime included), as a real unchanged file is
        manager = ConfigManager(path)
        manager.load_config()
        import jsonschema

        reference_schema = json.loads(schema.read_text())
        validator = jsonschema.validators.validator_for(reference_schema)(reference_schema)

        def cached(i: int) -> float:
            start = time.perf_counter()
            for _ in range(1000):
                manager.load_config()
            return (time.perf_counter() - start) / 1000

        def fresh(i: int) -> float:
            start = time.perf_counter()
            for _ in range(1000):
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
                validator.validate(data)
            return (time.perf_counter() - start) / 1000

        ours, ref = interleave(max(5, args.runs // 3), cached, fresh)
        results.append(report("cached load", ours, ref, 0.05, unit=1e6, suffix="us"))

    missed = results.count(False)
    print(f"\n{len(results) - missed} of {len(results)} goals held")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
