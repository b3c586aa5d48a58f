"""Fixtures every test area shares: the research datasets and the real services on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.services import SHARED, dataset, require_service

# Shared fixtures (databases, brokers, fault tools, fuzz depth) live in tests/support and are registered here.
pytest_plugins = [
    "tests.support.db",
    "tests.support.mqtt",
    "tests.support.faults",
    "tests.support.deploy",
    "tests.support.fuzz",
]


@pytest.fixture(scope="session")
def zju_dataset() -> Path:
    """The labelled eyeblink dev clips."""
    return dataset("zju_eyeblink_dev")


@pytest.fixture(scope="session")
def cew_dataset() -> Path:
    """The CEW eye patches (the eye-state model's training data)."""
    return dataset("cew_eye_patches_dev")


@pytest.fixture(scope="session")
def mrl_dataset() -> Path:
    """Near-infrared eye crops of 5 people (never used to train the eye-state model)."""
    return dataset("mrl_eyes_ir_dev")


@pytest.fixture(scope="session")
def score_blinks_tool() -> Path:
    path = SHARED / "tools" / "score_blinks.py"
    if not path.is_file():
        pytest.skip(f"scoring tool not available at {path}")
    return path


@pytest.fixture(scope="session")
def mosquitto_url() -> str:
    """The machine's Mosquitto on 127.0.0.1:1883."""
    require_service("Mosquitto", "127.0.0.1", 1883)
    return "mqtt://127.0.0.1:1883"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
