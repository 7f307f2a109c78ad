"""Three-way merge of two configs that share a base, key by key (issue 11).

All three are already migrated to the canonical shape, so a difference is a
difference of value and never one of shape. Objects merge recursively; lists
and scalars are values; a missing key is a value of its own (a deletion is a
change). A member changed on one side only is taken from that side, changed
identically on both it is taken once, and changed differently it is a
conflict: the result then holds ours' side, and the conflict says both. The
same merge with theirs' side of each conflict comes with it (the markers, a
favoured side); with base's side, on request (``base_side``: diff3's markers).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .defaults import copy_json
from .errors import escape
from .jsonvalue import same as json_same


class _Missing:
    """No member at this path (distinct from a member holding null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
Value = Any  # a JSON value, or MISSING


class Conflict(NamedTuple):
    """One member both sides changed, differently."""

    keys: Tuple[str, ...]  # the path from the top, one key per level
    ours: Value
    theirs: Value

    @property
    def path(self) -> str:
        """Dotted, each key escaped when it holds what a terminal would act on."""
        return ".".join(escape(k) for k in self.keys)

    def describe(self) -> str:
        return f"{self.path}: ours {show(self.ours)}, theirs {show(self.theirs)}"


class Merged(NamedTuple):
    config: Dict[str, Any]  # ours' side of each conflict; never shares a mutable object with the inputs
    conflicts: List[Conflict]
    theirs_side: Dict[str, Any]  # the same merge with theirs' side of each conflict, in the same key order


def show(value: Value) -> str:
    """A value as the user reads it: JSON (escaped, one line), or ``(missing)``."""
    if value is MISSING:
        return "(missing)"
    return json.dumps(value, ensure_ascii=True, sort_keys=False)


def same(a: Value, b: Value) -> bool:
    """JSON equality: key order does not matter, and 1 and true are different values."""
    if a is MISSING or b is MISSING:
        return a is b
    return json_same(a, b)


def _keys(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> List[str]:
    """Ours' order; a key only theirs has goes after the key theirs has before it.

    Linear: a 1 MiB file may hold many thousand keys.
    """
    after: Dict[Optional[str], List[str]] = {}  # None: before ours' first key
    anchor: Optional[str] = None
    for key in theirs:
        if key in ours:
            anchor = key
        else:
            after.setdefault(anchor, []).append(key)
    order = list(after.get(None, ()))
    for key in ours:
        order.append(key)
        order += after.get(key, ())
    return order


def _merge(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any], where: Tuple[str, ...],
           conflicts: List[Conflict], keep_base: bool) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]:
    out: Dict[str, Any] = {}
    alt: Dict[str, Any] = {}  # the same, with theirs' side of each conflict
    was: Dict[str, Any] = {}  # with ``keep_base``, the same with base's side of each member both changed
    for key in _keys(ours, theirs):
        b, o, t = base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING)
        if same(o, t) or same(t, b):
            chosen = other = before = o
        elif same(o, b):
            chosen = other = before = t
        elif isinstance(o, dict) and isinstance(t, dict):
            # Both changed this object: merge its members (a base that was no object had none).
            out[key], alt[key], inner = _merge(b if isinstance(b, dict) else {}, o, t, (*where, key), conflicts,
                                               keep_base)
            # A base that was no object is what both sides replaced, as a whole.
            if keep_base and isinstance(b, dict):
                was[key] = inner
            elif keep_base and b is not MISSING:
                was[key] = copy_json(b)
            continue
        else:
            conflicts.append(Conflict((*where, key), copy_json(o), copy_json(t)))
            chosen, other, before = o, t, b
        if chosen is not MISSING:
            out[key] = copy_json(chosen)
        if other is not MISSING:
            alt[key] = copy_json(other)
        if keep_base and before is not MISSING:
            was[key] = copy_json(before)
    return out, alt, was


def merge3(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Merged:
    """Merge ``ours`` and ``theirs``, both descended from ``base``; never mutates its inputs."""
    conflicts: List[Conflict] = []
    config, theirs_side, _ = _merge(base, ours, theirs, (), conflicts, keep_base=False)
    return Merged(config, conflicts, theirs_side)


def base_side(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Dict[str, Any]:
    """``merge3``'s result with base's side of each member both sides changed, in the same key
    order: a conflict's base value, and base's whole value where both sides made an object of
    what was none (what diff3's base section shows). Asked for apart, by a conflict only."""
    return _merge(base, ours, theirs, (), [], keep_base=True)[2]


__all__ = ["Conflict", "MISSING", "Merged", "base_side", "merge3", "same", "show"]
