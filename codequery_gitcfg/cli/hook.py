"""What the installed hook scripts run: ``NAME [ARGS...]`` as git passed them.

Its name is part of every installed script (they import ``codequery_gitcfg.cli.hook``), so
it stays. The CLI commands about hooks are ``cli.git_commands``; what each hook does is
``git.hooks``; the scripts' templates are the top-level ``hooks/`` folder.

It skips argparse and the rest of the CLI on purpose: the hook starts on every
commit, and the staged path's budget goes to judging the config. The merge driver
(``merge-driver %O %A %B %L %P``, which git starts once per merge of the config: on
every commit of a rebase or cherry-pick range that changes it) goes straight to its
module, without importing the hooks' (store.manager, the git layer, locking).
"""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from ..core.errors import EXIT_USAGE
from .guard import guarded

MERGE_DRIVER = "merge-driver"  # git.hooks.MERGE_DRIVER, named here to get there without it


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == MERGE_DRIVER:
        from ..git import mergedriver  # noqa: PLC0415 -- a merge pays for the driver alone

        return guarded(lambda: mergedriver.run(args[1:], os.environ))
    from ..git.hooks import HOOKS, run  # noqa: PLC0415

    if not args:
        print(f"usage: hook NAME [ARGS...] (NAME: {', '.join(HOOKS)}, migrate, {MERGE_DRIVER})", file=sys.stderr)
        return EXIT_USAGE
    return guarded(lambda: run(args[0], args[1:], os.environ))


if __name__ == "__main__":
    raise SystemExit(main())
