"""MQTT payloads: `decode` on arbitrary bytes, arbitrary JSON and mutated valid messages raises only
ContractError (with a known reason) or returns a message that encodes back to itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import strategies as st

from dms.contract import ContractError, DriverEvent, Presence, VehicleStatus, decode, encode
from dms.contract.codec import _decode_explained, parse_topic
from tests.support.fuzz import byte_mutations, check_property, json_values, mutated

REASONS = {
    "bad_topic",
    "unknown_kind",
    "too_large",
    "not_json",
    "invalid",
    "unknown_schema_version",
    "vehicle_mismatch",
}
T = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
VALID = [
    encode(
        VehicleStatus(
            vehicle_id="V1",
            msg_id="st00000001",
            ts=T,
            signals={
                "Vehicle.Speed": 50.0,
                "Vehicle.TraveledDistance": 1234.5,
                "Vehicle.Diagnostics.DTCList": ["P0301"],
            },
        )
    ),
    encode(
        DriverEvent(
            vehicle_id="V1",
            msg_id="ev00000001",
            ts=T,
            type="microsleep",
            level=2,
            episode_id="e1",
            t=3.5,
            location={"latitude": 48.1, "longitude": 11.5},
        )
    ),
    encode(Presence(vehicle_id="V1", msg_id="pr00000001", ts=T, state="offline", reason="connection lost")),
]
topics = (
    st.sampled_from([t for t, _ in VALID])
    | st.sampled_from(["dms/v1/V1/cmd", "dms/v1//status", "dms/v2/V1/status", "dms/v1/V1/status/x", "", "#"])
    | st.text(max_size=40)
)


# A valid message (topic, payload) with fields edited or bytes mutated.
mutated_valid = st.sampled_from(VALID).flatmap(
    lambda tv: st.tuples(
        st.just(tv[0]),
        mutated(json.loads(tv[1]), list(json.loads(tv[1]))).map(lambda d: json.dumps(d).encode())
        | byte_mutations(tv[1]),
    )
)


def decodes_or_rejects(topic: str, payload: bytes) -> None:
    try:
        message = decode(topic, payload)
    except ContractError as exc:
        assert exc.reason in REASONS, exc.reason
        return
    assert decode(*encode(message)) == message  # what is accepted survives a round trip


def test_arbitrary_bytes_on_any_topic(depth):
    check_property(depth, decodes_or_rejects, topics, st.binary(max_size=300))


def test_arbitrary_json(depth):
    check_property(
        depth, lambda topic, doc: decodes_or_rejects(topic, json.dumps(doc).encode()), topics, json_values
    )


def test_mutated_valid_messages(depth):
    check_property(depth, lambda case: decodes_or_rejects(*case), mutated_valid)


def test_a_receiver_never_invents_msg_id_or_ts():
    """Found by the live fuzz run: without this, a payload lacking msg_id got a fresh uuid at each
    delivery, so a redelivery was applied twice."""
    topic, payload = VALID[0]
    for key in ("msg_id", "ts"):
        doc = json.loads(payload)
        del doc[key]
        try:
            decode(topic, json.dumps(doc).encode())
        except ContractError as exc:
            assert exc.reason == "invalid" and key in exc.detail
        else:
            raise AssertionError(f"a payload without {key} was accepted")


def _same_outcome(topic: str, payload: bytes) -> None:
    try:
        fast = decode(topic, payload)
    except ContractError as exc:
        fast = (exc.reason, exc.detail)
    try:
        vehicle_id, kind = parse_topic(topic)
        explained = _decode_explained(vehicle_id, kind, payload)
    except ContractError as exc:
        explained = (exc.reason, exc.detail)
    assert fast == explained


def test_fast_path_decides_as_the_explained_path(depth):
    """`decode` first tries pydantic's one-pass JSON validation; it must accept exactly what the step by
    step decoding accepts, with the same result, and leave every rejection to it."""
    cases = mutated_valid | st.tuples(topics, st.binary(max_size=300))
    check_property(depth, lambda case: _same_outcome(*case), cases)
