"""Which values both validators judge alike: the plain JSON values.

Its own small module (no ``typing`` at run time) because the verdict memo needs it
on the path a new process takes on every commit, where each import counts.
"""
from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def plain(value: Any) -> bool:
    """True when ``value`` holds only the JSON values on which both validators agree.

    The two differ outside them: fastjsonschema calls 2.0 an integer (draft 6 on),
    lets NaN and infinities pass bounds, and takes a tuple for an array or a
    subclass for its base. Such a value goes to the reference, which judges it
    by the strict rules; nothing here judges a field.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            if any(type(k) is not str for k in node):
                return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is float:
            if not math.isfinite(node) or node.is_integer():
                return False
        elif kind not in (str, int, bool) and node is not None:
            return False
    return True


def same(a: Any, b: Any, as_written: bool = False) -> bool:
    """JSON equality: 1 and true are different values, as they are to every reader;
    1 and 1.0 are one number and key order does not matter.

    ``as_written``: equal only if both are written alike (key order, int or float),
    as copying one's text for the other requires.
    """
    if type(a) is not type(b):
        numbers = (int, float)
        if as_written or not (isinstance(a, numbers) and isinstance(b, numbers)) \
                or isinstance(a, bool) or isinstance(b, bool):
            return False
    if isinstance(a, dict):
        if (list(a) != list(b)) if as_written else (a.keys() != b.keys()):
            return False
        return all(same(a[k], b[k], as_written) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y, as_written) for x, y in zip(a, b))
    return bool(a == b)


def encodable(text: str) -> bool:
    """True when UTF-8 can write ``text``: it holds no lone surrogate (an escape such as
    ``\\ud800`` in JSON, or a byte a file name could not decode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
