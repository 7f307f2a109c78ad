"""What the installed hook scripts run: ``NAME [ARGS...]`` as git passed them.

It skips argparse and the rest of the CLI on purpose: the hook starts on every
commit, and the staged path's budget goes to judging the config.
"""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from ..core.errors import EXIT_USAGE
from ..git.hooks import HOOKS, run
from .guard import guarded


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(f"usage: hook NAME [ARGS...] (NAME: {', '.join(HOOKS)}, migrate, merge-driver)", file=sys.stderr)
        return EXIT_USAGE
    return guarded(lambda: run(args[0], args[1:], os.environ))


if __name__ == "__main__":
    raise SystemExit(main())
