"""CLI commands for git hooks: install, uninstall, hook, doctor (see the git issue)."""
from __future__ import annotations

import argparse
from typing import Any, Callable


def add_parsers(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Registered by cli.build_parser; the commands arrive with the hooks."""
    del command


__all__ = ["add_parsers"]
