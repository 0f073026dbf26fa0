"""Test doubles shared by the whole suite; ``fake_api`` is the wire-level fake Messages API.

Tests import them as ``from fakes.fake_api import ...``; ``tests/conftest.py`` puts the
``tests`` directory on ``sys.path`` because pytest runs with ``--import-mode=importlib``.
"""
