"""The field rules of the README's "Config reference" as cases: one bad input each, with the path and the words its
failure must hold (core/test_schema_rules.py checks them; the schema and fast-check tests reuse them)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple


def base(**processing: Any) -> Dict[str, Any]:
    return {"dataset_name": "ok", "processing": {"mode": "manual", **processing}}


CASES: List[Tuple[Dict[str, Any], str, List[str]]] = [
    # (config, dotted path, substrings the message must contain)
    ({"model": "x"}, "dataset_name", ["dataset_name is required"]),
    ({"dataset_name": 5}, "dataset_name", ["dataset_name must be a string"]),
    ({"dataset_name": None}, "dataset_name", ["dataset_name must be a string"]),
    ({"dataset_name": ""}, "dataset_name", ["dataset_name cannot be empty"]),
    ({"dataset_name": "   "}, "dataset_name", ["dataset_name cannot be empty"]),
    ({"dataset_name": "a b"}, "dataset_name", ["dataset_name", "letters, digits"]),
    ({"dataset_name": "../x"}, "dataset_name", ["dataset_name"]),
    ({"dataset_name": "a" * 101}, "dataset_name", ["dataset_name", "100 characters"]),
    ({"dataset_name": "ok", "model": "bad model!"}, "model",
     ["Invalid model name", "alphanumeric characters, dots, dashes, and underscores"]),
    ({"dataset_name": "ok", "model": 3}, "model", ["Invalid model name"]),
    ({"dataset_name": "ok", "model": "m" * 101}, "model", ["Model name too long", "100 characters or less"]),
    (base(mode="fast"), "processing.mode", ["Invalid processing mode"]),
    (base(mode=None), "processing.mode", ["Invalid processing mode"]),
    (base(fallback_to_sync=1), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(fallback_to_sync=0), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(fallback_to_sync=None), "processing.fallback_to_sync", ["fallback_to_sync must be a boolean"]),
    (base(batch_size=True), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(batch_size=0), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(batch_size=1001), "processing.batch_size", ["batch_size must be a positive integer", "1000"]),
    (base(batch_size=2.5), "processing.batch_size", ["batch_size must be a positive integer"]),
    # JSON Schema alone calls 2.0 an integer; Python callers need an int (range(), slicing).
    (base(batch_size=2.0), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(max_retries=3.0), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    # NaN passes every bound in JSON Schema; a Python caller can still hand one in.
    (base(delay_seconds=float("nan")), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(queue_timeout=float("inf")), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    (base(batch_size="5"), "processing.batch_size", ["batch_size must be a positive integer"]),
    (base(delay_seconds=-1), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(delay_seconds=604801), "processing.delay_seconds", ["delay_seconds must be non-negative", "604800"]),
    (base(delay_seconds=False), "processing.delay_seconds", ["delay_seconds must be non-negative"]),
    (base(max_retries=-1), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(max_retries=101), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(max_retries=1.5), "processing.max_retries", ["max_retries must be a non-negative integer"]),
    (base(worker_check_interval=0), "processing.worker_check_interval",
     ["worker_check_interval must be a positive number"]),
    (base(worker_check_interval=3601), "processing.worker_check_interval",
     ["worker_check_interval must be a positive number"]),
    (base(queue_timeout=-0.5), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    (base(queue_timeout=3601), "processing.queue_timeout", ["queue_timeout must be a non-negative number"]),
    ({"dataset_name": "ok", "processing": []}, "processing", ["processing must be an object"]),
    ({"dataset_name": "ok", "exclude_patterns": "*.js"}, "exclude_patterns", ["exclude_patterns must be a list"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a", 3]}, "exclude_patterns[1]",
     ["All items in exclude_patterns must be strings"]),
    ({"dataset_name": "ok", "exclude_patterns": ["x"] * 1001}, "exclude_patterns", ["exclude_patterns", "1000"]),
    ({"dataset_name": "ok", "exclude_patterns": [""]}, "exclude_patterns[0]", ["''", "empty"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a" * 257]}, "exclude_patterns[0]", ["256"]),
    ({"dataset_name": "ok", "exclude_patterns": ["/etc/*"]}, "exclude_patterns[0]", ["'/etc/*'", "relative"]),
    ({"dataset_name": "ok", "exclude_patterns": ["C:\\x"]}, "exclude_patterns[0]", ["drive letter"]),
    ({"dataset_name": "ok", "exclude_patterns": ["src/../x"]}, "exclude_patterns[0]", ["'src/../x'", "'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": [".."]}, "exclude_patterns[0]", ["'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\\..\\b"]}, "exclude_patterns[0]", ["'..'"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\x00b"]}, "exclude_patterns[0]", ["NUL or control"]),
    ({"dataset_name": "ok", "exclude_patterns": ["a\tb"]}, "exclude_patterns[0]", ["NUL or control"]),
    ({"dataset_name": "ok", "exclude_patterns": ["[abc"]}, "exclude_patterns[0]", ["'[abc'", "unbalanced brackets"]),
    ({"dataset_name": "ok", "exclude_patterns": ["abc]"]}, "exclude_patterns[0]", ["unbalanced brackets"]),
    ({"dataset_name": "ok", "created_at": 5}, "created_at", ["created_at"]),
    ({"dataset_name": "ok", "worktree": {"is_worktree": "yes"}}, "worktree.is_worktree", ["boolean"]),
    ({"dataset_name": "ok", "schema_version": "2"}, "schema_version", ["schema_version"]),
]
