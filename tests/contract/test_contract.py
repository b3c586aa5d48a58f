"""The wire contract: round trips, versioning, and one clear reason for every bad payload."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from dms.contract import (
    SCHEMA_VERSION,
    ContractError,
    DriverEvent,
    DriverState,
    Presence,
    VehicleStatus,
    command_topic,
    decode,
    encode,
    parse_topic,
    topic_for,
)
from dms.contract.export import schemas
from tests.support.services import REPO


def _messages():
    return [
        DriverEvent(
            vehicle_id="V-001",
            type="microsleep",
            level=1,
            episode_id="ep1",
            t=12.5,
            onset_t=11.2,
            speed_kmh=63.0,
            details={"closure_s": 1.3},
        ),
        DriverState(
            vehicle_id="V-001",
            monitoring=True,
            is_eyes_on_road=True,
            fatigue_level=12.0,
            perclos=0.04,
            gaze_zone="road",
            active_events=["vats"],
        ),
        VehicleStatus(
            vehicle_id="V-001",
            signals={
                "Vehicle.Speed": 52.3,
                "Vehicle.TraveledDistance": 14999.8,
                "Vehicle.CurrentLocation.Latitude": 48.1,
                "Vehicle.CurrentLocation.Longitude": 11.5,
                "Vehicle.Diagnostics.DTCList": ["P0301"],
            },
        ),
        Presence(vehicle_id="V-001", state="offline", reason="last will"),
    ]


@pytest.mark.parametrize("message", _messages(), ids=lambda m: m.kind)
def test_round_trip_keeps_every_field(message):
    topic, payload = encode(message)
    assert topic == f"dms/v1/V-001/{message.kind}"
    again = decode(topic, payload)
    assert again == message
    assert json.loads(payload)["schema_version"] == SCHEMA_VERSION


def test_vehicle_signals_travel_under_vss_names():
    status = _messages()[2]
    body = json.loads(encode(status)[1])
    assert body["signals"]["Vehicle.Speed"] == 52.3
    assert body["vss_version"] == "4.0"
    assert status.signals.traveled_distance == 14999.8


def test_every_message_gets_a_unique_id_and_utc_time():
    a, b = (DriverEvent(vehicle_id="V1", type="sleep", level=3, episode_id="e") for _ in range(2))
    assert a.msg_id != b.msg_id
    assert a.ts.tzinfo is not None and a.ts.utcoffset() == timedelta(0)
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert Presence(vehicle_id="V1", state="online", ts=local).ts.hour == 10


def _payload(**overrides):
    body = json.loads(encode(_messages()[0])[1])
    body.update(overrides)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "topic,payload,reason",
    [
        ("dms/v1/V-001/event", b"not json", "not_json"),
        ("dms/v1/V-001/event", b"[1, 2]", "invalid"),
        ("dms/v1/V-001/event", _payload(schema_version=2), "unknown_schema_version"),
        ("dms/v1/V-001/event", _payload(level=7), "invalid"),
        ("dms/v1/V-001/event", _payload(type="napping"), "invalid"),
        ("dms/v1/V-001/event", _payload(ts="2026-01-01T12:00:00"), "invalid"),
        ("dms/v1/V-001/event", _payload(surprise=1), "invalid"),
        ("dms/v1/V-002/event", _payload(), "vehicle_mismatch"),
        ("dms/v1/V-001/gossip", _payload(), "unknown_kind"),
        ("dms/v2/V-001/event", _payload(), "bad_topic"),
        ("dms/v1/bad id/event", _payload(), "bad_topic"),
        ("dms/v1/V-001/event", b"{" + b" " * 70_000 + b"}", "too_large"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(topic, payload, reason):
    with pytest.raises(ContractError) as info:
        decode(topic, payload)
    assert info.value.reason == reason
    assert info.value.detail


def test_naive_timestamp_error_says_what_to_do():
    with pytest.raises(ContractError, match="timezone"):
        decode("dms/v1/V-001/event", _payload(ts="2026-01-01T12:00:00"))


def test_topics():
    assert topic_for("V1", "status") == "dms/v1/V1/status"
    assert command_topic("V1") == "dms/v1/V1/cmd"
    assert parse_topic("dms/v1/V1/presence") == ("V1", "presence")
    with pytest.raises(ValueError):
        topic_for("a/b", "status")


def test_contract_imports_no_vision_or_database_stack():
    import subprocess
    import sys

    code = (
        "import sys, dms.contract, tools.cli; "
        "heavy = [m for m in ('cv2', 'onnxruntime', 'numpy', 'sqlalchemy', 'fastapi') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_published_json_schemas_are_current():
    """docs/contract/*.schema.json are generated; regenerate with `make schemas` when this fails."""
    for name, text in schemas().items():
        committed = REPO / "docs" / "contract" / name
        assert committed.is_file(), f"{committed} missing: run `make schemas`"
        assert committed.read_text(encoding="utf-8") == text, f"{committed} is stale: run `make schemas`"


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"schema_version": 1, "x": ' + b"[" * 60_000,
    ],
)
def test_deeply_nested_json_is_invalid_not_a_recursion_error(payload):
    with pytest.raises(ContractError) as caught:
        decode("dms/v1/V-001/event", payload)
    assert caught.value.reason in ("invalid", "not_json")
