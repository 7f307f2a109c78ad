"""core.errors: how problems and errors render (capped lists, one line per problem)."""
from __future__ import annotations

from typing import List

from codequery_gitcfg.core import errors
from codequery_gitcfg.core.errors import ConfigError, Problem

# -- errors.capped -----------------------------------------------------------------


def _problems(count: int) -> List[Problem]:
    return [Problem(f"f{i}", f"bad {i}", i + 1, 2) for i in range(count)]

def test_capped_renders_every_problem_with_the_filename_when_under_the_limit() -> None:
    assert errors.capped(_problems(2), "c.json", limit=2) == ["c.json:1:2: f0: bad 0", "c.json:2:2: f1: bad 1"]

def test_capped_names_one_more_problem_in_the_singular() -> None:
    assert errors.capped(_problems(3), "c.json", limit=2) == [
        "c.json:1:2: f0: bad 0", "c.json:2:2: f1: bad 1", "... and 1 more problem",
    ]

def test_capped_names_several_more_problems_in_the_plural() -> None:
    assert errors.capped(_problems(5), None, limit=2) == ["f0: bad 0", "f1: bad 1", "... and 3 more problems"]

def test_capped_counts_two_more_problems_in_the_plural() -> None:
    assert errors.capped(_problems(4), None, limit=2)[-1] == "... and 2 more problems"

# -- errors.ConfigError.render -----------------------------------------------------


def test_a_config_error_renders_one_line_per_problem_under_its_filename() -> None:
    error = ConfigError([Problem("a", "bad", 1, 2), Problem("b", "worse")], "c.json")
    assert error.render() == "c.json:1:2: a: bad\nc.json: b: worse"
    assert str(error) == "c.json:1:2: a: bad\nc.json: b: worse"
