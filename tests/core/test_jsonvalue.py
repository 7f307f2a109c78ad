"""core.jsonvalue: the plain JSON values both validators agree on."""
from __future__ import annotations

from typing import Any

import pytest
from codequery_gitcfg.core import jsonvalue

# -- jsonvalue.plain ---------------------------------------------------------------


def test_plain_takes_the_json_values_both_validators_agree_on() -> None:
    assert jsonvalue.plain({"a": [1, "x", None, True, 1.5, {"b": []}]})
    assert jsonvalue.plain(1)

@pytest.mark.parametrize("value", [{1: "x"}, [2.0], {"a": float("nan")}, (1,), {"a": {"b": (1,)}}])
def test_plain_refuses_what_the_validators_may_judge_apart(value: Any) -> None:
    assert not jsonvalue.plain(value)
