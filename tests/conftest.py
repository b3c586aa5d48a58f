"""Fixtures every test area shares: the research datasets and the real services on this machine."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DMS_SHARED_DIR", REPO.parent / "shared"))
DATASETS = SHARED / "datasets"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (in CI, where the service must be there) when a service is down."""
    if _port_open(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(message + " (CI must start it: see .ci/run)")
    pytest.skip(message)


def _dataset(name: str) -> Path:
    """A research data set read in place (never copied); the test skips when it is absent."""
    path = DATASETS / name
    if not (path / "labels.csv").is_file():
        pytest.skip(f"dataset not available at {path} (research-only data lives in ../shared/datasets)")
    return path


@pytest.fixture(scope="session")
def zju_dataset() -> Path:
    """The labelled eyeblink dev clips."""
    return _dataset("zju_eyeblink_dev")


@pytest.fixture(scope="session")
def cew_dataset() -> Path:
    """The CEW eye patches (the eye-state model's training data)."""
    return _dataset("cew_eye_patches_dev")


@pytest.fixture(scope="session")
def mrl_dataset() -> Path:
    """Near-infrared eye crops of 5 people (never used to train the eye-state model)."""
    return _dataset("mrl_eyes_ir_dev")


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
