"""A wheel (what a device or gateway host installs) carries every data file the code reads."""

import subprocess
import sys
import zipfile

import pytest

from tests.support.services import REPO

pytestmark = pytest.mark.slow

MUST_SHIP = [
    "models/face_landmark.onnx",
    "models/iris_landmark.tflite",
    "models/manifest.json",
    "dealer_portal/templates/fleet.html",
    "dealer_portal/static/htmx.min.js",
    "gateway/migrations/env.py",
    "gateway/migrations/versions/gw0001_core_tables.py",
    "edge/vehicle/data/sample_trip.csv",
    "edge/scenarios/suites/zju_dev.json",
    "edge/boards/pi5.yaml",
    "firmware_config/systemd/dms-edge.service",
    "firmware_config/systemd/dms-gateway.service",
    "firmware_config/systemd/dms-portal.service",
]


def test_wheel_carries_models_templates_migrations_and_profiles(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("dms_fleet-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in MUST_SHIP if name not in names]
    assert not missing, f"the wheel lacks {missing}: see [tool.setuptools.package-data] in pyproject.toml"
