"""The one place where failures become exit codes and messages (CLI and hook scripts)."""
from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from typing import Any, Callable, Iterable, Iterator, Optional, TextIO

from ..core.errors import EXIT_FAIL, EXIT_INTERNAL, ConfigError, capped, escape, escape_output
from . import started

DEBUG_VAR = "CODEQUERY_GITCFG_DEBUG"


def _show_warning(message: Any, category: Any, filename: str, lineno: int,
                  file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
    print(f"warning: {message}", file=sys.stderr)


_SGR = re.compile("\x1b\\[[0-9;]*m")  # Select Graphic Rendition: colours and bold, nothing else
EXIT_PIPE = 128 + 13  # what a shell reports for a tool killed by SIGPIPE, as `head` makes git


class SafeStream:
    """A text stream that never lets a terminal control through and never fails to encode.

    Whatever a command prints (keys, values, paths, git's answers) passes here:
    control characters are shown escaped, and text the stream cannot encode
    (``PYTHONIOENCODING=ascii``, or strict UTF-8 meeting a file name's raw bytes)
    is written as backslash escapes instead of ending in a traceback.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._write(escape_output(text))

    def write_styled(self, text: str) -> int:
        """``text`` whose only escape sequences are our colour codes (``core.report``): those
        pass, everything else is escaped as ``write`` escapes it."""
        parts = _SGR.split(text)
        codes = _SGR.findall(text)
        return self._write(escape_output(parts[0]) + "".join(c + escape_output(p) for c, p in zip(codes, parts[1:])))

    def _write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            encoding = getattr(self._stream, "encoding", None) or "utf-8"
            return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _pipe_closed() -> int:
    """The reader of our output has gone (``doctor | head -1``): stop quietly, as CLI tools do.

    What is still buffered goes to /dev/null, so the flush at exit cannot fail again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_PIPE


def guarded(body: Callable[[], int]) -> int:
    """Run ``body``: a user error is its message and exit 1, a bug is one line and exit 3.

    As pre-commit does, an unexpected exception never shows a traceback unless
    asked for (CODEQUERY_GITCFG_DEBUG=1): the user gets what failed and how to report it.
    """
    started()  # from here, Ctrl-C is a KeyboardInterrupt that _run turns into 130
    warnings.showwarning = _show_warning
    with _safe_output():
        try:
            return _run(body)
        except BrokenPipeError:
            return _pipe_closed()


def _run(body: Callable[[], int]) -> int:
    try:
        code = int(body())
        sys.stdout.flush()  # a closed pipe is met here, not in the flush at exit
        return code
    except BrokenPipeError:
        raise
    except ConfigError as exc:
        for line in capped(exc.problems, exc.filename):
            print(line, file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:
        where = f"{escape(str(exc.filename))}: " if exc.filename else ""
        print(f"error: {where}{escape(str(exc.strerror or exc))}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the one catch-all: a bug must not look like a user error
        if os.environ.get(DEBUG_VAR, "") not in ("", "0"):
            import traceback  # noqa: PLC0415 -- asked for; every hook and merge imports this module

            traceback.print_exc()
        else:
            print(f"codequery-gitcfg: internal error: {type(exc).__name__}: {exc} "
                  f"(run with {DEBUG_VAR}=1 for the traceback, and report it)", file=sys.stderr)
        return EXIT_INTERNAL
