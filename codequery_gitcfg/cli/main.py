"""The ``codequery-gitcfg`` command: every user error becomes a message and exit 1."""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..core import env, judge
from ..core.defaults import set_path
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, Problem
from ..core.locate import positions as locate_positions
from ..core.schema import schema_text
from ..core.version import __version__
from ..git import ops
from ..git.doctor import ignore_advice
from ..git.repo import ignored_by
from ..store import files
from . import hooks
from .guard import guarded

_space: Optional[ops.Workspace] = None


def _workspace() -> ops.Workspace:
    # One per run (tests call main() many times, from many folders): git is asked once.
    global _space
    if _space is None or _space.cwd != os.getcwd():
        _space = ops.Workspace()
    return _space


# -- commands -----------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    return ops.validate_files(_workspace(), args.files)


def cmd_migrate(args: argparse.Namespace) -> int:
    return ops.migrate_files(_workspace(), args.files, check=args.check, diff=args.diff, contract=args.contract)


def _flatten(value: Any, prefix: str = "") -> List[Tuple[str, Any]]:
    if isinstance(value, dict) and value:
        out: List[Tuple[str, Any]] = []
        for key, sub in value.items():
            out += _flatten(sub, f"{prefix}.{key}" if prefix else key)
        return out
    return [(prefix, value)]


def cmd_show(args: argparse.Namespace) -> int:
    manager, label = _workspace().manager(args.file)
    doc = files.read(manager.path, label)
    if args.effective:
        values = judge.apply_env(manager.load_config(), os.environ)
        overrides = {o.path: o.name for o in env.collect(os.environ)}
    else:
        values, overrides = doc.data, {}
    positions: Dict[str, Tuple[int, int]] = {}
    if args.origin:
        positions = locate_positions(doc.text)
    in_file = {p for p, _ in _flatten(doc.data)}

    def origin(path: str) -> str:
        if path in overrides:
            return f"env {overrides[path]}"
        if path in in_file:
            line = positions.get(path, (0, 0))[0]
            return f"{label}:{line}" if line else label
        return "default"

    flat = _flatten(values)
    if args.json:
        payload: Any = {p: {"value": v, "origin": origin(p)} for p, v in flat} if args.origin else values
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK
    for path, value in flat:
        line = f"{path} = {json.dumps(value, ensure_ascii=False)}"
        print(f"{line}    ({origin(path)})" if args.origin else line)
    return EXIT_OK


def _parse_value(key: str, raw: str) -> Any:
    kinds = env.scalar_fields()
    if key == "exclude_patterns":
        try:
            value = json.loads(raw)
        except ValueError:
            raise ConfigError([Problem(key, "exclude_patterns must be a list, given as JSON: '[\"dist/*\"]'")]) from None
        return value
    if key not in kinds:
        raise ConfigError([Problem(key, _unknown_key(key))])
    try:
        return env.parse_value(kinds[key], raw)
    except ValueError:
        raise ConfigError([Problem(key, f"{raw!r} is not a valid {kinds[key]}")]) from None


def _unknown_key(key: str) -> str:
    known = sorted(env.scalar_fields()) + ["exclude_patterns"]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def cmd_set(args: argparse.Namespace) -> int:
    value = _parse_value(args.key, args.value)
    manager, label = _workspace().manager(args.file)
    _require_file(manager, label)
    manager.update(lambda data: set_path(data, args.key, value), strict=True)
    return EXIT_OK


def cmd_unset(args: argparse.Namespace) -> int:
    if args.key not in env.scalar_fields() and args.key != "exclude_patterns":
        raise ConfigError([Problem(args.key, _unknown_key(args.key))])
    manager, label = _workspace().manager(args.file)

    def change(data: Dict[str, Any]) -> None:
        node = data
        parts = args.key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            node = child if isinstance(child, dict) else {}
        node.pop(parts[-1], None)

    _require_file(manager, label)
    manager.update(change, strict=True)
    return EXIT_OK


def _require_file(manager: Any, label: str) -> None:
    if not os.path.exists(manager.path):
        raise ConfigError(f"{label} does not exist; create it with `codequery-gitcfg init`")


def cmd_init(args: argparse.Namespace) -> int:
    manager, label = _workspace().manager(args.file)
    if args.dataset_name is not None:
        errors = judge.field_errors({"dataset_name": args.dataset_name})
        if errors:
            raise ConfigError(errors)
    if not manager.create_default_config(args.dataset_name):
        raise ConfigError(f"{label} already exists; edit it with `codequery-gitcfg set`")
    print(f"created {label}")
    worktree = _workspace().worktree
    if worktree is not None:
        rule = ignored_by(worktree, os.path.relpath(manager.path, worktree.root), os.environ)
        if rule is not None:
            print(f"warning: {ignore_advice(rule)}", file=sys.stderr)
    return EXIT_OK


def cmd_get(args: argparse.Namespace) -> int:
    """One effective value for shell scripts, as ``git config --get`` gives one: exit 1 when unset."""
    known = set(env.scalar_fields()) | {"exclude_patterns", "processing", "worktree"}
    if args.key not in known:
        raise ConfigError([Problem(args.key, _unknown_key(args.key))])
    manager, _ = _workspace().manager(args.file)
    node: Any = judge.apply_env(manager.load_config(), os.environ)
    for part in args.key.split("."):
        if not isinstance(node, dict) or part not in node:
            return EXIT_FAIL
        node = node[part]
    if node is None:
        return EXIT_FAIL
    if isinstance(node, str):
        print(node)
    else:
        print(json.dumps(node, ensure_ascii=False))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return EXIT_OK


# -- wiring -------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codequery-gitcfg", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = command("validate", cmd_validate, "strictly read and validate config files (default: the worktree's)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p = command("migrate", cmd_migrate, "migrate legacy config files in place")
    p.add_argument("--check", action="store_true", help="change nothing; fail if a migration is pending")
    p.add_argument("--diff", action="store_true", help="print the migration as a unified diff")
    p.add_argument("--contract", action="store_true",
                   help="also drop the legacy camelCase keys kept for Code Query's readers (once every reader "
                        "reads the current names)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p = command("show", cmd_show, "show the file's values, or the effective ones")
    p.add_argument("--effective", action="store_true", help="defaults + file + CODEQUERY_* environment")
    p.add_argument("--origin", action="store_true", help="say where each value comes from")
    p.add_argument("--json", action="store_true")
    p.add_argument("--file", metavar="FILE")
    p = command("set", cmd_set, "set one dotted key (locked, validated)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--file", metavar="FILE")
    p = command("unset", cmd_unset, "remove one dotted key (locked, validated)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--file", metavar="FILE")
    p = command("init", cmd_init, "create a valid default config file")
    p.add_argument("--dataset-name", metavar="NAME")
    p.add_argument("--file", metavar="FILE")
    p = command("get", cmd_get, "print one effective value (defaults + file + environment) for shell scripts; "
                               "exit 1 when it is unset")
    p.add_argument("key", metavar="KEY", help="a dotted key, e.g. dataset_name or processing.mode")
    p.add_argument("--file", metavar="FILE")
    command("schema", cmd_schema, "print the JSON Schema")
    hooks.add_parsers(command)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, wrong usage is 2
        return int(exc.code or 0)
    return guarded(lambda: int(args.func(args)))


if __name__ == "__main__":
    raise SystemExit(main())
