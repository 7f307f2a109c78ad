"""core.defaults: setting a dotted path in a config."""
from __future__ import annotations

from typing import Any, Dict

import pytest
from codequery_gitcfg.core import defaults
from codequery_gitcfg.core.errors import ConfigError, Problem

# -- defaults.set_path -------------------------------------------------------------


def test_set_path_creates_objects_on_the_way() -> None:
    data: Dict[str, Any] = {"a": {"x": 1}}
    defaults.set_path(data, "a.b.c", 2)
    assert data == {"a": {"x": 1, "b": {"c": 2}}}

def test_set_path_refuses_to_overwrite_a_non_object_naming_its_path() -> None:
    data: Dict[str, Any] = {"a": {"b": 1}}
    with pytest.raises(ConfigError) as info:
        defaults.set_path(data, "a.b.c", 2)
    assert info.value.problems == (Problem("a.b", "a.b must be an object"),)
    assert data == {"a": {"b": 1}}

def test_set_path_names_a_top_level_non_object() -> None:
    with pytest.raises(ConfigError) as info:
        defaults.set_path({"a": 5}, "a.b.c", 2)
    assert info.value.problems == (Problem("a", "a must be an object"),)
