"""Helpers and fixtures shared across test folders (a folder's conftest.py only holds its own fixtures).

The fixture modules are registered once, in tests/conftest.py (`pytest_plugins`).
"""
