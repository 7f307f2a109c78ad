"""codequery-gitcfg: check, migrate and edit Code Query's .code-query/config.json.

Errors go to stderr as FILE:LINE:COL: field: message. Exit 0 when all is well,
1 when something needs fixing, 2 for wrong usage, 3 for an internal error.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..core import env, judge, reader
from ..core.defaults import DEFAULT_CONFIG, set_path
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, Problem, escape, escape_json
from ..core.locate import positions as locate_positions
from ..core.migrate import CURRENT_SCHEMA_VERSION, migrate
from ..core.reader import MAX_INT_DIGITS
from ..core.schema import check, field_errors, schema, schema_text
from ..core.version import __version__
from ..git import ops
from ..git.repo import ignored_by
from ..store import files
from . import hooks, output
from .guard import guarded

_space: Optional[ops.Workspace] = None
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _workspace() -> ops.Workspace:
    # One per run (tests call main() many times, from many folders): git is asked once.
    global _space
    if _space is None or _space.cwd != os.getcwd():
        _space = ops.Workspace()
    return _space


# -- commands -----------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    return ops.validate_files(_workspace(), _files(args), output.make(args.format, os.environ))


def cmd_migrate(args: argparse.Namespace) -> int:
    return ops.migrate_files(_workspace(), _files(args), check=args.check, diff=args.diff, contract=args.contract,
                             out=output.make(args.format, os.environ))


def _files(args: argparse.Namespace) -> List[str]:
    """FILE operands and --file options, in that order (both spellings work everywhere)."""
    return list(args.files) + list(args.file_options or [])


def _one_file(args: argparse.Namespace) -> Optional[str]:
    # `is not None`: an empty name is refused by the workspace, not taken for the default file.
    named = [n for n in (args.file_operand, args.file) if n is not None]
    if len(named) > 1 and named[0] != named[1]:
        raise ConfigError(f"two files named ({named[0]} and {named[1]}): name one, as FILE or --file")
    return named[0] if named else None


Leaf = Tuple[Tuple[str, ...], Any]


def _leaves(value: Any, prefix: Tuple[str, ...] = ()) -> List[Leaf]:
    """Every value that is not a non-empty object, with its key path (lists are values)."""
    if isinstance(value, dict) and value:
        out: List[Leaf] = []
        for key, sub in value.items():
            out += _leaves(sub, (*prefix, str(key)))
        return out
    return [(prefix, value)] if prefix else []


def _flatten(value: Any) -> List[Tuple[str, Any]]:
    return [(".".join(path), sub) for path, sub in _leaves(value)]


def _other(value: Any) -> Any:
    """A value of the same kind that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "~"
    if isinstance(value, list):
        return [*value, "~"]
    return {"~": 1} if isinstance(value, dict) else 0


def _replaced(data: Any, path: Tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    return {k: (_replaced(v, path[1:], value) if k == path[0] else v) for k, v in data.items()}


def sources(data: Dict[str, Any]) -> Dict[str, str]:
    """Each value path of the migrated config → the path in the file it comes from.

    Found by asking the migration itself: a file value whose change changes a
    migrated value is where that value came from (``dataset_name`` from
    ``mainDatasetName``, ``processing.mode`` from ``auto_process``), so this
    follows every rename and precedence rule of core.migrate without a copy of them.
    """
    base = dict(_flatten(migrate(data).config))
    out: Dict[str, str] = {}
    for path, value in _leaves(data):
        name = ".".join(path)
        if name == "schema_version":
            continue  # any other value is another migration, not another value
        try:
            probe = dict(_flatten(migrate(_replaced(data, path, _other(value))).config))
        except ConfigError:
            continue
        for target, migrated in base.items():
            moved = target not in probe or probe[target] != migrated or type(probe[target]) is not type(migrated)
            if moved and (target == name or target not in out):
                out[target] = name
    return out


def cmd_show(args: argparse.Namespace) -> int:
    name = _one_file(args)
    space = _workspace()
    if name == ops.STDIN:
        label = ops.STDIN_LABEL
        text, data, _ = ops.read_stdin()
    else:
        label, path = space.targets([name] if name is not None else [])[0]
        doc = files.read(space.contained(path, read_only=True), label)
        text, data = doc.text, doc.data
    positions = locate_positions(text) if args.origin else {}
    overrides: Dict[str, str] = {}
    came_from: Dict[str, str] = {name: name for name, _ in _flatten(data)}
    if args.effective:
        for warning in env.unknown_variables(os.environ):
            print(f"warning: {warning}", file=sys.stderr)
        values = env.apply_env(judge.runtime(judge.judge(data, text), label), os.environ)
        overrides = {o.path: o.name for o in env.collect(os.environ)}
        came_from = sources(data) if args.origin else {}
    else:
        values = data
    defaults = {name for name, _ in _flatten(DEFAULT_CONFIG)}

    def origin(path: str) -> str:
        if path in overrides:
            return f"env {overrides[path]}"
        source = came_from.get(path)
        if source is not None:
            line = positions.get(source, (0, 0))[0]
            where = f"{label}:{line}" if line else label
            return where if source == path else f"{where} (from {source})"
        return "default" if path in defaults else "added by migration"

    flat = _flatten(values)
    if args.json:
        payload: Any = {p: {"value": v, "origin": origin(p)} for p, v in flat} if args.origin else values
        print(escape_json(json.dumps(payload, indent=2, ensure_ascii=False)))
        return EXIT_OK
    for path, value in flat:
        line = escape(f"{path} = {json.dumps(value, ensure_ascii=False)}")
        print(f"{line}    ({origin(path)})" if args.origin else line)
    return EXIT_OK


# -- set / unset -------------------------------------------------------------------
def _field(key: str) -> Dict[str, Any]:
    """The schema of dotted ``key``; an unknown key gets the gate's own message."""
    node: Dict[str, Any] = schema()
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if node.get("type") not in (None, "object") or "properties" not in node:
            parent = ".".join(parts[:depth])
            raise ConfigError([Problem(key, f"{parent} is not an object, so {key} cannot be set")])
        properties: Dict[str, Any] = node["properties"]
        if part not in properties:
            raise ConfigError([_unknown_key(key)])
        node = properties[part]
    return node


def _nested(key: str, value: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    set_path(out, key, value)
    return out


def _unknown_key(key: str) -> Problem:
    """The gate's message for an unknown key (its did-you-mean looks only among the
    keys of the same object, so ``processing.retry_delay`` is not sent to ``max_retries``)."""
    _, unknown = check(_nested(key, None))
    for problem in unknown:
        if key == problem.path or key.startswith(problem.path + "."):
            return Problem(problem.path, problem.message)
    return Problem(key, f"unknown key {key!r}")


def _rule(key: str, value: Any, raw: str) -> ConfigError:
    """The field's own rule for a value that does not fit it."""
    for problem in field_errors(_nested(key, value)):
        if problem.path == key:
            return ConfigError([Problem(key, f"invalid value {raw!r}: {problem.message}")])
    return ConfigError([Problem(key, f"invalid value {raw!r}")])


def _parse_json(key: str, raw: str) -> Any:
    try:
        return reader.parse('{"value": ' + raw + "\n}")["value"]
    except ConfigError as exc:
        example = '\'["dist/*"]\'' if key == "exclude_patterns" else '\'{"mode": "auto"}\''
        error = _rule(key, raw, raw)
        problem = error.problems[0]
        # JSON the strict reader refuses (nested too deep, a 5000-digit integer) says why.
        why = [p.message for p in exc.problems if not p.message.startswith("Invalid JSON")]
        detail = "; ".join(why) + "; " if why else ""
        message = f"{problem.message} ({detail}give it as JSON, such as {example})"
        raise ConfigError([problem._replace(message=message)]) from None


def parse_value(key: str, raw: str) -> Any:
    """VALUE as the type that ``key`` holds; a value out of the field's range passes here
    and meets the field's rule when the whole file is checked."""
    node = _field(key)
    kind = node.get("type", "string" if "enum" in node else None)
    if key == "schema_version":
        if raw.strip() != str(CURRENT_SCHEMA_VERSION):
            raise ConfigError([Problem(key, f"schema_version is written by migration: it can only be "
                                            f"{CURRENT_SCHEMA_VERSION}, the version this codequery-gitcfg writes "
                                            "(`codequery-gitcfg migrate` migrates an older file)")])
        return CURRENT_SCHEMA_VERSION
    if kind in ("object", "array") or not isinstance(kind, str):
        return _parse_json(key, raw)
    if kind == "string":
        return raw
    try:
        value = env.parse_value(kind, raw)
    except ValueError:
        text = raw.strip()
        if kind in ("integer", "number") and _INTEGER.fullmatch(text) and len(text) <= MAX_INT_DIGITS:
            return int(text)  # too long for an environment variable, and out of range: the rule says so
        raise _rule(key, raw, raw) from None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # `1e3` is written 1000, as a person would write it
    return value


def _say_migrated(label: str, changes: List[str], key: str) -> None:
    print(f"{label}: migrated to schema version 2 first (to set {key}):", file=sys.stderr)
    for change in changes:
        print(f"  - {change}", file=sys.stderr)


def cmd_set(args: argparse.Namespace) -> int:
    value = parse_value(args.key, args.value)
    manager, label = _workspace().manager(args.file)
    _require_file(manager, label)
    manager.update(lambda data: set_path(data, args.key, value), strict=True,
                   migrated=lambda changes: _say_migrated(label, changes, args.key))
    return EXIT_OK


def _remove(data: Dict[str, Any], parts: List[str]) -> None:
    """Remove the key at ``parts``, and the objects it leaves empty."""
    child = data.get(parts[0])
    if len(parts) == 1:
        data.pop(parts[0], None)
    elif isinstance(child, dict):
        _remove(child, parts[1:])
        if not child:
            del data[parts[0]]


def cmd_unset(args: argparse.Namespace) -> int:
    _field(args.key)
    manager, label = _workspace().manager(args.file)
    _require_file(manager, label)
    manager.update(lambda data: _remove(data, args.key.split(".")), strict=True,
                   migrated=lambda changes: _say_migrated(label, changes, args.key))
    return EXIT_OK


def _require_file(manager: Any, label: str) -> None:
    if not os.path.exists(manager.path):
        raise ConfigError(f"{label} does not exist; create it with `codequery-gitcfg init`")


def cmd_init(args: argparse.Namespace) -> int:
    manager, label = _workspace().manager(_one_file(args))
    if args.dataset_name is not None:
        errors = field_errors({"dataset_name": args.dataset_name})
        if errors:
            raise ConfigError(errors)
    if not manager.create_default_config(args.dataset_name):
        raise ConfigError(f"{label} already exists; edit it with `codequery-gitcfg set`")
    print(f"created {escape(label)}")
    worktree = _workspace().worktree
    if worktree is not None:
        rule = ignored_by(worktree, os.path.relpath(manager.path, worktree.root), os.environ)
        if rule is not None:
            from ..git.doctor import ignore_advice  # noqa: PLC0415 -- doctor's imports are not validate's to pay

            print(f"warning: {ignore_advice(rule)}", file=sys.stderr)
    return EXIT_OK


def cmd_get(args: argparse.Namespace) -> int:
    """One effective value for shell scripts, as ``git config --get`` gives one: exit 1 when unset."""
    _field(args.key)
    manager, _ = _workspace().manager(args.file)
    node: Any = env.apply_env(manager.load_config(), os.environ)
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
_FILE_HELP = "a config file (default: .code-query/config.json at the top of this worktree)"


def _add_files(p: argparse.ArgumentParser, *, stdin: bool) -> None:
    """FILE... operands and a repeatable --file: one spelling for every command."""
    extra = "; - reads standard input" if stdin else ""
    p.add_argument("files", nargs="*", metavar="FILE", help=_FILE_HELP + extra)
    p.add_argument("--file", dest="file_options", action="append", metavar="FILE", help="the same as FILE (repeatable)")


def _add_one_file(p: argparse.ArgumentParser, *, operand: bool, stdin: str = "") -> None:
    if operand:
        p.add_argument("file_operand", nargs="?", metavar="FILE", help=_FILE_HELP + stdin)
    else:
        p.set_defaults(file_operand=None)
    p.add_argument("--file", metavar="FILE", help=_FILE_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codequery-gitcfg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str, **kw: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, **kw)
        p.set_defaults(func=func, parser=p)
        return p

    p = command("validate", cmd_validate, "strictly read and validate config files (default: the worktree's)")
    _add_files(p, stdin=True)
    output.add_format(p)
    p = command("migrate", cmd_migrate,
                "migrate legacy config files in place (- migrates standard input to standard output)")
    p.add_argument("--check", action="store_true", help="change nothing; fail if a migration is pending")
    p.add_argument("--diff", action="store_true",
                   help="print the migration as a unified diff on stdout (the report goes to stderr)")
    p.add_argument("--contract", action="store_true",
                   help="also drop the legacy camelCase keys kept for Code Query's readers (once every reader "
                        "reads the current names)")
    _add_files(p, stdin=True)
    output.add_format(p)
    p = command("show", cmd_show, "show the file's values, or the effective ones")
    p.add_argument("--effective", action="store_true", help="defaults + file + CODEQUERY_* environment")
    p.add_argument("--origin", action="store_true",
                   help="say where each value comes from (default, FILE:LINE, env VAR)")
    p.add_argument("--json", action="store_true", help="print JSON (with --origin: each path's value and origin)")
    _add_one_file(p, operand=True, stdin="; - reads standard input")
    p = command("set", cmd_set, "set one dotted key (locked, validated); objects and lists take JSON")
    p.add_argument("key", metavar="KEY", help="a dotted key: processing.batch_size, exclude_patterns, processing")
    p.add_argument("value", metavar="VALUE", help="the value: 10, auto, true, or JSON such as '[\"dist/*\"]'")
    _add_one_file(p, operand=False)
    p = command("unset", cmd_unset, "remove one dotted key (locked, validated); an object it empties goes too")
    p.add_argument("key", metavar="KEY", help="a dotted key: processing.batch_size, worktree")
    _add_one_file(p, operand=False)
    p = command("init", cmd_init, "create a valid default config file")
    p.add_argument("--dataset-name", metavar="NAME",
                   help="the dataset's name (default: the worktree folder's name, made valid)")
    _add_one_file(p, operand=True)
    p = command("get", cmd_get, "print one effective value (defaults + file + environment) for shell scripts; "
                               "exit 1 when it is unset")
    p.add_argument("key", metavar="KEY", help="a dotted key, e.g. dataset_name or processing.mode")
    _add_one_file(p, operand=False)
    command("schema", cmd_schema, "print the JSON Schema")
    hooks.add_parsers(command)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # The subcommand's own usage, not the top level's: that is the one that helps.
            getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help is 0, wrong usage is 2
        return int(exc.code or 0)
    return guarded(lambda: int(args.func(args)))


if __name__ == "__main__":
    raise SystemExit(main())
