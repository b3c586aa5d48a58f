"""Where the repository and the research data are, and whether a real service this machine runs is up."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
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


def dataset(name: str) -> Path:
    """A research data set read in place (never copied); the test skips when it is absent."""
    path = DATASETS / name
    if not (path / "labels.csv").is_file():
        pytest.skip(f"dataset not available at {path} (research-only data lives in ../shared/datasets)")
    return path
