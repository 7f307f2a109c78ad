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

from ..core import env, judge, reader, report
from ..core.defaults import defaults as core_defaults
from ..core.defaults import set_path
from ..core.errors import EXIT_FAIL, EXIT_OK, ConfigError, Problem, escape, escape_json
from ..core.migrate import CURRENT_SCHEMA_VERSION, CURRENT_VERSION_NAME, migrate
from ..core.positions import positions as locate_positions
from ..core.reader import MAX_INT_DIGITS
from ..core.schema import check, field_errors, schema, schema_text
from ..core.version import __version__
from ..git import history, ops
from ..git.repo import ignored_by
from ..store import files
from . import git_commands
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
def verbosity(args: argparse.Namespace) -> int:
    """check-jsonschema's verbosity: 1, plus each -v, less each -q (before or after COMMAND)."""
    return int(1 + args.verbose + args.top_verbose - args.quiet - args.top_quiet)


def colour(args: argparse.Namespace) -> str:
    return str(args.color or args.top_color or "auto")


def _reporter(args: argparse.Namespace) -> report.Output:
    return report.make(args.format, os.environ, verbosity=verbosity(args), colour=colour(args))


def _relabelled(exc: ConfigError, label: str) -> ConfigError:
    """The error as the user named the file (the manager names it by its absolute path)."""
    return type(exc)(exc.problems, label) if exc.filename is not None else exc


def _say(args: argparse.Namespace, line: str) -> None:
    """A command's one line of success (``-q`` leaves it out)."""
    if verbosity(args) > 0:
        print(escape(line))


def cmd_validate(args: argparse.Namespace) -> int:
    out = _reporter(args)
    # The text form names each commit (and its subject) once, above its findings.
    # (-qq says nothing at all: no heading either)
    heading = ((lambda change: print(f"{change.title}:", file=sys.stderr))
               if args.format == "text" and verbosity(args) >= 0 else None)
    if args.rev is not None:
        return history.validate_rev(args.rev, None, os.environ, out, allow_legacy=args.allow_legacy, heading=heading)
    pushed = _pushed_commits(args)
    if pushed is not None:
        return history.validate_range(pushed, None, os.environ, out, allow_legacy=args.allow_legacy, heading=heading,
                                      passes=verbosity(args) > 1)  # only -v shows them
    return ops.validate_files(_workspace(), _files(args), out)


def _pushed_commits(args: argparse.Namespace) -> Optional[List[str]]:
    """The revisions --range / --from-ref --to-ref name; under the pre-commit framework's
    pre-push stage, the commits being pushed (its PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF),
    not the files it passes; None: check files."""
    if args.range is not None:
        return history.range_revs(*history.split_range(args.range))
    if args.to_ref is not None:
        return history.range_revs(args.from_ref, args.to_ref)
    if ops.framework(os.environ):
        if os.environ.get("PRE_COMMIT_TO_REF"):
            return history.range_revs(os.environ.get("PRE_COMMIT_FROM_REF"), os.environ["PRE_COMMIT_TO_REF"])
        local, remote = os.environ.get("PRE_COMMIT_LOCAL_BRANCH"), os.environ.get("PRE_COMMIT_REMOTE_NAME")
        if local and remote:  # a push that brings a root commit: the framework names no FROM_REF
            return [local, "--not", f"--remotes={remote}"]
    return None


def _validate_usage(args: argparse.Namespace) -> None:
    """--rev, --range and --from-ref/--to-ref name commits, FILE names files: one of them."""
    named = [(option, value) for option, value in (("--rev", args.rev), ("--range", args.range),
                                                   ("--from-ref", args.from_ref), ("--to-ref", args.to_ref))
             if value is not None]
    options = [option for option, _ in named]
    ways = [o for o in ("--rev", "--range") if o in options] + (
        ["--from-ref/--to-ref"] if {"--from-ref", "--to-ref"} & set(options) else [])
    if len(ways) > 1:
        args.parser.error(f"{' and '.join(ways)} cannot be combined: name the commits one way")
    if "--from-ref" in options and "--to-ref" not in options:
        args.parser.error("--from-ref needs --to-ref (the pushed commits are FROM..TO)")
    if named and _files(args):
        args.parser.error(f"{options[0]} checks commits and FILE checks files: give one or the other")
    if args.allow_legacy and not named:
        args.parser.error("--allow-legacy goes with --rev, --range or --from-ref/--to-ref")
    for option, value in named:
        if value == "" and option != "--from-ref":
            args.parser.error(f"{option} takes a revision, not ''")
        if value.startswith("-"):
            args.parser.error(f"{option} takes a revision, not an option ({value!r})")
    if args.range is not None:
        try:
            history.split_range(args.range)
        except ValueError as exc:
            args.parser.error(str(exc))


def cmd_migrate(args: argparse.Namespace) -> int:
    return ops.migrate_files(_workspace(), _files(args), check=args.check, diff=args.diff, contract=args.contract,
                             out=_reporter(args))


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
    if args.json:
        print("warning: show --json is deprecated; use --format json", file=sys.stderr)
        args.format = "json"
    if name == ops.STDIN:
        doc = ops.read_stdin()
    else:
        label, path = space.targets([name] if name is not None else [])[0]
        try:
            doc = files.read(space.contained(path, read_only=True), label)
        except FileNotFoundError:
            raise ConfigError("file not found", label) from None
    label, text, data = doc.label, doc.text, doc.data
    positions = locate_positions(text) if args.origin else {}
    overrides: Dict[str, str] = {}
    came_from: Dict[str, str] = {name: name for name, _ in _flatten(data)}
    if args.effective:
        for warning in env.unknown_variables(os.environ):
            print(f"warning: {warning}", file=sys.stderr)
        values = env.apply_env(judge.runtime(judge.judge(data, text), label), os.environ)
        overrides = {o.path: o.name for o in env.collect(os.environ)}
        came_from = sources(data) if args.origin else {}
        if "schema_version" in data:  # sources() leaves it out: it is the file's own line, not a migration's
            came_from["schema_version"] = "schema_version"
    else:
        values = data
    defaults = {name for name, _ in _flatten(core_defaults())}

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
    if args.format == "json":
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
        return reader.parse_json(raw)
    except ConfigError as exc:
        example = '\'["dist/*"]\'' if key == "exclude_patterns" else '\'{"mode": "auto"}\''
        if raw.lstrip()[:1] in ("{", "[") and exc.problems[0].message.startswith("Invalid JSON"):
            # Meant as JSON: what is wrong with it, where in VALUE, not that it is a string.
            [first, *_] = exc.problems
            where = f" (column {first.col})" if first.line == 1 and first.col is not None else (
                f" (line {first.line} column {first.col})" if first.line is not None else "")
            reason = first.message.replace("Invalid JSON in config file: ", "")
            raise ConfigError([Problem(key, f"invalid value {raw!r}: not valid JSON: {reason}{where}; give it as JSON, "
                                            f"such as {example}")]) from None
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
    print(f"{label}: migrated to {CURRENT_VERSION_NAME} first (to set {key}):", file=sys.stderr)
    for change in changes:
        print(f"  - {change}", file=sys.stderr)


def cmd_set(args: argparse.Namespace) -> int:
    value = parse_value(args.key, args.value)
    manager, label = _workspace().manager(args.file)
    _require_file(manager, label)
    try:
        manager.update(lambda data: set_path(data, args.key, value), strict=True,
                       migrated=lambda changes: _say_migrated(label, changes, args.key))
    except ConfigError as exc:
        raise _relabelled(exc, label) from None
    _say(args, f"{label}: {args.key} = {json.dumps(value, ensure_ascii=False)}")
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
    found: List[bool] = []

    def remove(data: Dict[str, Any]) -> None:
        node: Any = data
        for part in args.key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        found.append(node is not None)
        _remove(data, args.key.split("."))

    try:
        manager.update(remove, strict=True, migrated=lambda changes: _say_migrated(label, changes, args.key))
    except ConfigError as exc:
        raise _relabelled(exc, label) from None
    _say(args, f"{label}: removed {args.key}" if any(found) else f"{label}: {args.key} was not set")
    return EXIT_OK


def _require_file(manager: Any, label: str) -> None:
    if not os.path.exists(manager.path):
        raise ConfigError("file not found; create it with `codequery-gitcfg init`", label)


def cmd_init(args: argparse.Namespace) -> int:
    manager, label = _workspace().manager(_one_file(args))
    if args.dataset_name is not None:
        errors = field_errors({"dataset_name": args.dataset_name})
        if errors:
            raise ConfigError(errors)
    schema_path = _schema_copy(args.schema) if args.schema is not None else None
    ref = None
    if schema_path is not None:
        ref = os.path.relpath(schema_path, os.path.dirname(manager.path)).replace(os.sep, "/")
        ref = ref if ref.startswith("../") else f"./{ref}"
    if not manager.create_default_config(args.dataset_name, schema_ref=ref):
        raise ConfigError("already exists; edit it with `codequery-gitcfg set`", label)
    _say(args, f"created {label}")
    if schema_path is not None:
        from ..store import atomic  # noqa: PLC0415 -- a write: validate, on every commit, never pays for tempfile

        atomic.write_atomic(schema_path, schema_text().encode("utf-8"))
        _say(args, f"wrote the schema to {args.schema} (\"$schema\": \"{ref}\"; commit both)")
    worktree = _workspace().worktree
    if worktree is not None:
        rule = ignored_by(worktree, os.path.relpath(manager.path, worktree.root), os.environ)
        if rule is not None:
            from ..git.doctor import ignore_advice  # noqa: PLC0415 -- doctor's imports are not validate's to pay

            print(f"warning: {ignore_advice(rule)}", file=sys.stderr)
    return EXIT_OK


def _schema_copy(name: str) -> str:
    """Where ``init --schema FILE`` writes the schema: inside the worktree, as every write."""
    space = _workspace()
    if not name:
        raise ConfigError([Problem("", "--schema '' is not a file name")])
    path = space.contained(name)
    if os.path.isdir(path):
        raise ConfigError("is a folder: name the schema's file, such as .vscode/codequery-config.schema.json", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def cmd_get(args: argparse.Namespace) -> int:
    """One effective value for shell scripts, as ``git config --get`` gives one: exit 1 when unset."""
    _field(args.key)
    manager, label = _workspace().manager(args.file)
    try:
        node: Any = env.apply_env(manager.load_config(), os.environ)
    except FileNotFoundError:
        raise ConfigError("file not found", label) from None
    except ConfigError as exc:
        raise _relabelled(exc, label) from None
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


def _add_common(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """-q, -v and --color, as check-jsonschema and pre-commit spell them: before COMMAND
    (``prefix`` keeps those apart, so that the subcommand's defaults never overwrite them) or after it."""
    p.add_argument("-q", "--quiet", dest=f"{prefix}quiet", action="count", default=0,
                   help="say less: no success line (-qq: nothing but the exit status)")
    p.add_argument("-v", "--verbose", dest=f"{prefix}verbose", action="count", default=0,
                   help="say more (validate: the files checked; --format json: check-jsonschema's -v keys)")
    p.add_argument("--color", dest=f"{prefix}color", choices=report.COLOUR_CHOICES, default=None,
                   help="colour the text report: auto (a terminal, unless NO_COLOR is set; always with "
                        "FORCE_COLOR set), always or never")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codequery-gitcfg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, "top_")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str, **kw: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, **kw)
        p.set_defaults(func=func, parser=p)
        _add_common(p)
        return p

    p = command("validate", cmd_validate, "strictly read and validate config files (default: the worktree's), "
                "or the config as committed (--rev, --range)")
    _add_files(p, stdin=True)
    git_commands.add_format(p, git_commands.CHECK_FORMAT_HELP)
    p.add_argument("--rev", metavar="REV", help="check the config as committed at REV (read from git's objects; "
                                               "works in a bare repository)")
    p.add_argument("--range", metavar="A..B", help="check every commit of A..B that changes the config "
                                                   "(each distinct blob once); findings are named ABBREV:FILE")
    p.add_argument("--from-ref", metavar="A", help="with --to-ref: the same as --range A..B, as pre-commit spells it "
                                                   "(empty or all zeros: B's commits that no remote branch has)")
    p.add_argument("--to-ref", metavar="B", help="see --from-ref")
    p.add_argument("--allow-legacy", action="store_true",
                   help="with --rev or --range: a config in an old schema passes (an invalid one still fails)")
    p.set_defaults(check_usage=_validate_usage)
    p = command("migrate", cmd_migrate,
                "migrate legacy config files in place (- migrates standard input to standard output)")
    p.add_argument("--check", action="store_true", help="change nothing; fail if a migration is pending")
    p.add_argument("--diff", action="store_true",
                   help="a dry run: print the migration as a unified diff on stdout and write nothing (the report "
                        "goes to stderr); with --check, also fail when a migration is pending")
    p.add_argument("--contract", action="store_true",
                   help="also drop the legacy camelCase keys kept for Code Query's readers (once every reader "
                        "reads the current names)")
    _add_files(p, stdin=True)
    git_commands.add_format(p, git_commands.CHECK_FORMAT_HELP + "; json adds migrated: what was (or, with --diff, "
                                                  "would be) migrated")
    p = command("show", cmd_show, "show the file's values, or the effective ones")
    p.add_argument("--effective", action="store_true", help="defaults + file + CODEQUERY_* environment")
    p.add_argument("--origin", action="store_true",
                   help="say where each value comes from (default, FILE:LINE, env VAR)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (PATH = VALUE lines) or json (the values; with --origin: each path's value and origin)")
    p.add_argument("--json", action="store_true", help="deprecated: the same as --format json")
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
    p.add_argument("--schema", metavar="SCHEMA_FILE",
                   help="also write the JSON Schema to SCHEMA_FILE (such as .vscode/codequery-config.schema.json; "
                        "commit it) and point the config's $schema at it, for editors (README: Editors)")
    _add_one_file(p, operand=True)
    p = command("get", cmd_get, "print one effective value (defaults + file + environment) for shell scripts; "
                               "exit 1 when it is unset")
    p.add_argument("key", metavar="KEY", help="a dotted key, e.g. dataset_name or processing.mode")
    _add_one_file(p, operand=False)
    command("schema", cmd_schema, "print the JSON Schema")
    git_commands.add_parsers(command)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # The subcommand's own usage, not the top level's: that is the one that helps.
            getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
        check_usage = getattr(args, "check_usage", None)
        if check_usage is not None:
            check_usage(args)  # what argparse cannot say: options that exclude each other
    except SystemExit as exc:  # argparse: --help is 0, wrong usage is 2
        return int(exc.code or 0)
    return guarded(lambda: int(args.func(args)))


if __name__ == "__main__":
    raise SystemExit(main())
