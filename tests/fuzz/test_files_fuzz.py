"""Files a user writes: device config (YAML), trip replay (CSV), scenario files and suites (JSON).
Whatever the content, loading either succeeds or raises one UserError; never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import strategies as st

from dms.errors import UserError
from edge.config import load_device_config
from edge.scenarios.spec import load_scenarios
from edge.vehicle.replay import COLUMNS, SAMPLE_TRIP, ReplaySource
from tests.support.fuzz import byte_mutations, check_property, json_values, mutated

DEVICE = {
    "vehicle_id": "van-17",
    "source": "/dev/video0",
    "speed_kmh": 60,
    "mqtt": {
        "url": "mqtts://broker.example:8883",
        "username": "van-17",
        "password_file": "/etc/pw",
        "tls": {"ca_file": "/etc/ca.pem"},
    },
    "outbox": {"path": "/var/lib/dms/outbox.sqlite", "max_messages": 20000},
    "telemetry": {"status_hz": 1, "state_hz": 1},
}
TRIP_HEAD = SAMPLE_TRIP.read_bytes()[:600]
SCENARIO = {
    "name": "s1",
    "clip": "clip.avi",
    "speed_kmh": 60,
    "expect": [{"state": "microsleep", "onset_s": 4.5, "deadline_s": 1.3}],
    "forbid": ["sleep"],
    "allow": [],
    "truth": [[4.5, 6.0, "closed"]],
}


def loads_or_user_error(load, path: Path, content: bytes) -> None:
    path.write_bytes(content)
    try:
        load(path)
    except UserError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()  # one clear line


@pytest.fixture
def files(tmp_path):
    (tmp_path / "clip.avi").write_bytes(b"not a video, but present")
    return tmp_path


def test_device_config_documents(depth, files):
    docs = mutated(DEVICE, list(DEVICE)) | json_values
    check_property(
        depth,
        lambda doc: loads_or_user_error(
            load_device_config, files / "device.yaml", yaml.safe_dump(doc).encode()
        ),
        docs,
    )


def test_device_config_bytes(depth, files):
    content = byte_mutations(yaml.safe_dump(DEVICE).encode()) | st.binary(max_size=200)
    check_property(
        depth, lambda b: loads_or_user_error(load_device_config, files / "device.yaml", b), content
    )


def csv_rows():
    cell = st.sampled_from(["", "1", "-1", "1e308", "nan", "inf", "P0301", "X", "1,2", '"']) | st.text(
        max_size=6
    )
    header = st.lists(st.sampled_from(["t_s", *COLUMNS, "dtcs", "bogus"]), min_size=0, max_size=6)
    return st.tuples(header, st.lists(st.lists(cell, max_size=7), max_size=5)).map(
        lambda hr: ("\n".join([",".join(hr[0]), *(",".join(r) for r in hr[1])]) + "\n").encode()
    )


def test_trip_replay_files(depth, files):
    content = csv_rows() | byte_mutations(TRIP_HEAD) | st.binary(max_size=200)
    check_property(
        depth,
        lambda b: loads_or_user_error(lambda p: ReplaySource(p, loop=False), files / "trip.csv", b),
        content,
    )


def test_scenario_files(depth, files):
    docs = (
        mutated(SCENARIO, list(SCENARIO)).map(lambda d: json.dumps(d).encode())
        | json_values.map(lambda d: json.dumps(d).encode())
        | byte_mutations(json.dumps(SCENARIO).encode())
    )
    check_property(
        depth, lambda b: loads_or_user_error(lambda p: load_scenarios(p.parent), files / "s1.json", b), docs
    )


def test_scenario_suites(depth, files):
    compose = pytest.importorskip("edge.scenarios.compose", reason="the suite composer needs OpenCV")
    suite = json.loads(compose.DEFAULT_SUITE.read_text())
    docs = (mutated(suite, list(suite)) | json_values).map(lambda d: json.dumps(d).encode())
    check_property(depth, lambda b: loads_or_user_error(compose.load_suite, files / "suite.json", b), docs)
