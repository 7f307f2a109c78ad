"""The one place where failures become exit codes and messages (CLI and hook scripts)."""
from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Any, Callable, Optional, TextIO

from ..core.errors import EXIT_FAIL, EXIT_INTERNAL, ConfigError

DEBUG_VAR = "CODEQUERY_GITCFG_DEBUG"


def _show_warning(message: Any, category: Any, filename: str, lineno: int,
                  file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def guarded(body: Callable[[], int]) -> int:
    """Run ``body``: a user error is its message and exit 1, a bug is one line and exit 3.

    As pre-commit does, an unexpected exception never shows a traceback unless
    asked for (CODEQUERY_GITCFG_DEBUG=1): the user gets what failed and how to report it.
    """
    warnings.showwarning = _show_warning
    try:
        return int(body())
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.render(exc.filename), file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one catch-all: a bug must not look like a user error
        if os.environ.get(DEBUG_VAR, "") not in ("", "0"):
            traceback.print_exc()
        else:
            print(f"codequery-gitcfg: internal error: {type(exc).__name__}: {exc} "
                  f"(run with {DEBUG_VAR}=1 for the traceback, and report it)", file=sys.stderr)
        return EXIT_INTERNAL
