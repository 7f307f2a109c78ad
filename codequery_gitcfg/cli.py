"""The ``codequery-gitcfg`` command: every user error becomes a message and exit 1."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .errors import EXIT_FAIL, EXIT_OK, ConfigError, Problem, guarded


# -- locating files -----------------------------------------------------------
_found: Dict[Tuple[str, Optional[str], Optional[str]], Any] = {}


def _worktree() -> Any:
    # git rev-parse, not GitPython: validate and migrate --check run as hooks of
    # the pre-commit framework, where GitPython's import would dominate the run.
    # Asked once per folder (and GIT_DIR): every FILE is checked against it.
    key = (os.getcwd(), os.environ.get("GIT_DIR"), os.environ.get("GIT_WORK_TREE"))
    if key not in _found:
        from .gitrepo import discover

        _found[key] = discover(key[0], os.environ)
    return _found[key]


def _label(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def resolve_files(files: Sequence[str]) -> List[Tuple[str, str]]:
    """(label, path) for each FILE, or the default one.

    Containment is checked when each file is opened (``_contained``), so one
    refused FILE does not hide the problems of the others.
    """
    from .errors import GitError

    if files:
        return [(name, name) for name in files]
    worktree = _worktree()
    if worktree is None:
        raise GitError("not inside a git worktree: run this in a repository or name the FILE")
    return [(_label(worktree.default_config), worktree.default_config)]


def _contained(path: str) -> str:
    from .gitrepo import contain

    worktree = _worktree()
    # Joined, not abspath()'d: collapsing "link/.." by hand would skip the symlink
    # that realpath must follow to see where the path really goes.
    return contain(os.path.join(os.getcwd(), path), worktree) if worktree else os.path.realpath(path)


def _manager(file: Optional[str]) -> Any:
    from .manager import ConfigManager

    label, path = resolve_files([file] if file else [])[0]
    _contained(path)
    # The worktree the CLI already found: one answer for the check above and for
    # the manager's own containment and lock path.
    return ConfigManager(label, worktree=_worktree()), label


# -- commands -----------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from . import document

    status = EXIT_OK
    for label, path in resolve_files(args.files):
        try:
            doc = document.read(_contained(path), label)
            problems = document.check_gate(doc.data, doc.text).all_problems()
        except FileNotFoundError:
            problems = [Problem("", "file not found")]
        except ConfigError as exc:
            problems = list(exc.problems)
        for problem in problems:
            print(problem.render(label), file=sys.stderr)
        if problems:
            status = EXIT_FAIL
    return status


def cmd_migrate(args: argparse.Namespace) -> int:
    from . import document, fmt
    from .manager import ConfigManager

    status = EXIT_OK
    for label, path in resolve_files(args.files):
        try:
            path = _contained(path)
            doc = document.read(path, label)
            result, problems, pending, _ = document.check_gate(doc.data, doc.text)
        except FileNotFoundError:
            print(f"{label}: file not found", file=sys.stderr)
            status = EXIT_FAIL
            continue
        except ConfigError as exc:
            _report(exc, label)
            status = EXIT_FAIL
            continue
        if problems:
            for problem in problems:
                print(problem.render(label), file=sys.stderr)
            if pending:
                print(f"{label}: not migrated: the migrated file would not be valid", file=sys.stderr)
            status = EXIT_FAIL
            continue
        if not pending:
            continue
        if args.diff:
            sys.stdout.writelines(_diff(doc.text, fmt.dump(result.config, doc.style), label))
        if args.check:
            print(f"{label}: migration pending (run `codequery-gitcfg migrate`):", file=sys.stderr)
            for change in result.changes:
                print(f"  - {change}", file=sys.stderr)
            status = EXIT_FAIL
            continue
        changes = ConfigManager(path).migrate_file()
        if changes:
            print(f"{label}: migrated to schema version 2:")
            for change in changes:
                print(f"  - {change}")
    return status


def _diff(old_text: str, new: bytes, label: str) -> List[str]:
    import difflib

    new_text = new.decode("utf-8").lstrip("\ufeff")
    return list(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), f"a/{label}", f"b/{label}"))


def _report(exc: ConfigError, label: Optional[str] = None) -> None:
    for problem in exc.problems:
        print(problem.render(exc.filename or label), file=sys.stderr)


def _flatten(value: Any, prefix: str = "") -> List[Tuple[str, Any]]:
    if isinstance(value, dict) and value:
        out: List[Tuple[str, Any]] = []
        for key, sub in value.items():
            out += _flatten(sub, f"{prefix}.{key}" if prefix else key)
        return out
    return [(prefix, value)]


def cmd_show(args: argparse.Namespace) -> int:
    from . import document, env
    from .api import apply_env

    manager, label = _manager(args.file)
    doc = document.read(manager.path, label)
    if args.effective:
        values = apply_env(manager.load_config(), os.environ)
        overrides = {o.path: o.name for o in env.collect(os.environ)}
    else:
        values, overrides = doc.data, {}
    positions: Dict[str, Tuple[int, int]] = {}
    if args.origin:
        from .locate import positions as locate

        positions = locate(doc.text)
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
    from . import env

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
    import difflib

    from . import env

    known = sorted(env.scalar_fields()) + ["exclude_patterns"]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def cmd_set(args: argparse.Namespace) -> int:
    value = _parse_value(args.key, args.value)
    manager, label = _manager(args.file)

    from .defaults import set_path

    _require_file(manager, label)
    manager.update(lambda data: set_path(data, args.key, value), strict=True)
    return EXIT_OK


def cmd_unset(args: argparse.Namespace) -> int:
    from . import env

    if args.key not in env.scalar_fields() and args.key != "exclude_patterns":
        raise ConfigError([Problem(args.key, _unknown_key(args.key))])
    manager, label = _manager(args.file)

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
    manager, label = _manager(args.file)
    if args.dataset_name is not None:
        from .schema import check

        errors, _ = check({"dataset_name": args.dataset_name})
        if errors:
            raise ConfigError(errors)
    if not manager.create_default_config(args.dataset_name):
        raise ConfigError(f"{label} already exists; edit it with `codequery-gitcfg set`")
    print(f"created {label}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


# -- wiring -------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codequery-gitcfg", description=__doc__)
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
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
    command("schema", cmd_schema, "print the JSON Schema")
    from . import hookcli

    hookcli.add_parsers(command)
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
