"""The hook script templates of the top-level ``hooks/`` folder, shipped in the wheel."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def template(name: str) -> str:
    try:
        return files("codequery_gitcfg.hooks").joinpath(name).read_text(encoding="utf-8")
    except ModuleNotFoundError:
        # Run from a source checkout that shadows the installed package (`python -m`
        # in the project folder): the top-level hooks/ folder sits beside this package.
        return (Path(__file__).resolve().parent.parent.parent / "hooks" / name).read_text(encoding="utf-8")


__all__ = ["template"]
