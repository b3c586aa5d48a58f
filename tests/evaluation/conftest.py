"""The shared acceptance script, imported by path (never copied into the repo)."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(scope="session")
def score_blinks(score_blinks_tool):
    spec = importlib.util.spec_from_file_location("score_blinks", score_blinks_tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
