"""The compact encoding (CBOR, short keys of a versioned dictionary) and batches of samples: what the
vehicle packs, the gateway reads back as the contract's documents, and every refusal names its reason."""

from __future__ import annotations

import json

import cbor2
import pytest
from click.testing import CliRunner

from dms.contract import (
    MODELS,
    ContractError,
    DriverEvent,
    DriverState,
    GeoPoint,
    Presence,
    VehicleSignals,
    VehicleStatus,
    decode,
    decode_all,
    encode,
    encode_batch,
    split_topic,
)
from dms.contract.compact import DICTIONARY_1, pack
from edge.vehicle.replay import SAMPLE_TRIP, ReplaySource
from tools.cli import cli

VID = "VAN-7"


def _doc(message) -> dict:
    return message.model_dump(mode="json", by_alias=True, exclude_none=True)


def _status(t: float = 301.37) -> VehicleStatus:
    signals = ReplaySource(SAMPLE_TRIP).read(t)
    return VehicleStatus(vehicle_id=VID, signals=signals, driver_session_id="s-1:2", illuminator="strobe")


def _state() -> DriverState:
    return DriverState(
        vehicle_id=VID,
        monitoring=True,
        is_eyes_on_road=True,
        fatigue_level=12.5,
        distraction_level=3.0,
        attentive_probability=97.0,
        perclos=0.031,
        eye_openness=0.98,
        gaze_zone="road",
        head_yaw_deg=1.2,
        head_pitch_deg=-2.5,
        head_roll_deg=0.4,
        active_events=["drowsiness"],
        fps=14.9,
    )


def _event() -> DriverEvent:
    return DriverEvent(
        vehicle_id=VID,
        type="microsleep",
        level=2,
        episode_id="ep-1",
        t=12.345,
        onset_t=11.0,
        speed_kmh=50.3,
        location=GeoPoint(latitude=52.5163031, longitude=13.3777123),
        details={"closure_s": 1.2345, "level": 3, "note": "ts"},  # free keys, even dictionary names, stay
    )


def test_every_message_comes_back_as_the_same_document_within_the_stated_resolutions():
    for message in (_status(), _state(), _event()):
        topic, payload = encode(message, "cbor1")
        assert topic == f"dms/v1/{VID}/{message.kind}-cbor1"
        back = _doc(decode(topic, payload))
        sent = _doc(message)
        assert set(back) == set(sent) and back["msg_id"] == sent["msg_id"] and back["ts"] == sent["ts"]
        for key, value in sent.items():
            if isinstance(value, dict) and key != "details":
                for name, v in value.items():
                    assert back[key][name] == (pytest.approx(v, abs=0.05) if isinstance(v, float) else v), (
                        name
                    )
            elif key != "details":
                assert back[key] == (pytest.approx(value, abs=0.05) if isinstance(value, float) else value), (
                    key
                )
        assert back.get("details") == sent.get("details")
        assert len(payload) < len(encode(message)[1]) / 2  # status: 774 -> about 110 bytes


def test_a_status_of_the_sample_trip_is_about_a_seventh_of_its_json():
    json_size, cbor_size = len(encode(_status())[1]), len(encode(_status(), "cbor1")[1])
    assert cbor_size <= 120 and json_size >= 700


def test_batches_of_samples_in_json_and_in_cbor():
    samples = [_status(t) for t in (10, 20, 30)]
    for fmt in ("json", "cbor1"):
        topic, payload = encode_batch(samples, fmt)
        messages = decode_all(topic, payload)
        assert [m.msg_id for m in messages] == [m.msg_id for m in samples]
        assert all(isinstance(m, VehicleStatus) and m.vehicle_id == VID for m in messages)
        with pytest.raises(ContractError, match="a batch of 3"):
            decode(topic, payload)
    with pytest.raises(ValueError):
        encode_batch([_event(), _event()], "cbor1")  # events never travel in batches


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "says"),
    [
        (f"dms/v1/{VID}/status-cbor9", b"\xa0", "unknown_encoding", "cbor9"),
        (f"dms/v1/{VID}/status-json", b"{}", "unknown_encoding", "json"),
        (f"dms/v1/{VID}/status-cbor1", b"\xff\x00", "invalid", "not CBOR"),
        (f"dms/v1/{VID}/status-cbor1", cbor2.dumps({200: 1}), "invalid", "key 200 is not in key dictionary"),
        (f"dms/v1/{VID}/status-cbor1", cbor2.dumps({0: cbor2.CBORTag(99, 1)}), "invalid", "CBOR tag"),
        (f"dms/v1/{VID}/event-cbor1", cbor2.dumps([pack(_doc(_event()))] * 2), "invalid", "travel alone"),
        (f"dms/v1/{VID}/status-cbor1", cbor2.dumps([]), "invalid", "1 to 200"),
        (
            f"dms/v1/{VID}/status",
            b"[" + b",".join([encode(VehicleStatus(vehicle_id=VID, signals={}))[1]] * 201) + b"]",
            "invalid",
            "1 to 200",
        ),
        (f"dms/v1/{VID}/status-cbor1", cbor2.dumps(5), "invalid", "must be a map"),
        (
            f"dms/v1/{VID}/status-cbor1",
            cbor2.dumps({**pack(_doc(_status())), 2: "VAN-8"}),
            "vehicle_mismatch",
            "",
        ),
        (
            f"dms/v1/{VID}/status-cbor1",
            cbor2.dumps({**pack(_doc(_status())), 0: 2}),
            "unknown_schema_version",
            "",
        ),
        (
            f"dms/v1/{VID}/status-cbor1",
            cbor2.dumps({**pack(_doc(_status())), 3: 10**20}),
            "invalid",
            "out of range",
        ),
        (f"dms/v1/{VID}/status-cbor1", cbor2.dumps({**pack(_doc(_status())), 7: "a\0b"}), "invalid", "NUL"),
    ],
)
def test_what_the_compact_decoder_refuses(topic, payload, reason, says):
    with pytest.raises(ContractError) as refused:
        decode_all(topic, payload)
    assert refused.value.reason == reason and says in refused.value.detail


def test_one_bad_sample_refuses_its_whole_batch():
    docs = [pack(_doc(_status(t))) for t in (1, 2)]
    docs[1][10] = -50  # Vehicle.Speed -5 km/h
    with pytest.raises(ContractError, match="Vehicle.Speed"):
        decode_all(f"dms/v1/{VID}/status-cbor1", cbor2.dumps(docs))


def test_dictionary_1_names_every_field_of_the_contract_once():
    names = [name for name, _ in DICTIONARY_1]
    assert len(names) == len(set(names))
    assert len(names) == 54  # shipped: append only, never renumber (53: camera_health)

    def keys(model) -> set[str]:
        out = set()
        for name, field in model.model_fields.items():
            out.add(field.alias or name)
            annotation = field.annotation
            for sub in (VehicleSignals, GeoPoint):
                if sub is annotation or sub in getattr(annotation, "__args__", ()):
                    out |= keys(sub)
        return out

    for model in (*MODELS.values(), Presence):
        assert keys(model) <= set(names), model.__name__


def test_presence_and_topics_stay_as_they_were():
    assert split_topic(f"dms/v1/{VID}/presence") == (VID, "presence", "json")
    assert split_topic(f"dms/v1/{VID}/state-cbor1") == (VID, "state", "cbor1")
    topic, payload = encode(Presence(vehicle_id=VID, state="online"))
    assert topic == f"dms/v1/{VID}/presence" and json.loads(payload)["state"] == "online"


def test_dms_decode_shows_a_captured_batch_for_a_human(tmp_path):
    samples = [_status(t) for t in (10, 20)]
    topic, payload = encode_batch(samples, "cbor1")
    (tmp_path / "cap.bin").write_bytes(payload)
    (tmp_path / "cap.hex").write_text(payload.hex() + "\n")
    for args in (
        ["decode", topic, str(tmp_path / "cap.bin")],
        ["decode", "--hex", topic, str(tmp_path / "cap.hex")],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [d["msg_id"] for d in lines] == [m.msg_id for m in samples]
        assert lines[0]["signals"]["Vehicle.Speed"] == pytest.approx(samples[0].signals.speed, abs=0.05)
    refused = CliRunner().invoke(cli, ["decode", f"dms/v1/{VID}/event-cbor1", str(tmp_path / "cap.bin")])
    assert refused.exit_code != 0 and "travel alone" in str(refused.exception)
