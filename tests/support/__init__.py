"""Helpers shared by the test modules (no tests here): ``repos`` (git and the shared configs),
``hooks`` (running the CLI and git as a user would), ``huey_helpers``, ``reliability_helpers``,
``rules`` (the field-rule cases) and ``readme`` (the README's code blocks).

``tests/`` is on ``sys.path`` (``pythonpath`` in pyproject.toml), so a test module imports
``from support.hooks import cli``; ``tests/conftest.py`` has pytest rewrite their asserts.
"""
