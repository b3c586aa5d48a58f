"""Contract timestamps (issue 16, item 3): an RFC 3339 string with a timezone within 2000..2100 on
receipt; numbers, digit strings, year 1 and year 9999 are refused with one reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dms.contract import ContractError, Presence, VehicleStatus, decode, encode
from dms.contract.messages import TS_MAX, TS_MIN

T = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
TOPIC, PAYLOAD = encode(Presence(vehicle_id="V1", msg_id="pr00000001", ts=T, state="online"))


def _with_ts(ts) -> bytes:
    return json.dumps({**json.loads(PAYLOAD), "ts": ts}).encode()


@pytest.mark.parametrize(
    "ts",
    [
        1_777_000_000,
        1.5e9,
        "1777000000",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2026-05-04T06:00:00",
        True,
        None,
        [],
        {},
    ],
)
def test_timestamps_the_contract_refuses(ts):
    with pytest.raises(ContractError) as caught:
        decode(TOPIC, _with_ts(ts))
    assert caught.value.reason == "invalid" and "ts" in caught.value.detail


def test_a_gnss_time_far_away_is_refused_too():
    topic, payload = encode(VehicleStatus(vehicle_id="V1", msg_id="st00000001", ts=T, signals={}))
    body = json.loads(payload)
    body["signals"]["Vehicle.CurrentLocation.Timestamp"] = "9999-01-01T00:00:00Z"
    with pytest.raises(ContractError, match="Location.Timestamp"):
        decode(topic, json.dumps(body).encode())


def test_a_sender_with_an_unset_clock_still_builds_its_messages():
    """A device that booted in 1970 must still warn its driver and keep its messages (the gateway
    dead-letters them): the range is checked on receipt, not at construction."""
    message = Presence(vehicle_id="V1", state="online", ts=datetime(1970, 1, 1, tzinfo=UTC))
    with pytest.raises(ContractError, match="outside 2000-01-01"):
        decode(*encode(message))


zones = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
aware = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones)
# (what is sent, the time it names when it is a well-formed aware RFC 3339 string, else None)
ts_values = (
    aware.map(lambda d: (d.isoformat(), d))
    | aware.filter(lambda d: d.year > 1).map(
        lambda d: (d.astimezone(UTC).isoformat().replace("+00:00", "Z"), d)
    )
    | st.datetimes().map(lambda d: (d.isoformat(), None))  # naive
    | st.one_of(
        st.integers(-(2**63), 2**63), st.floats(), st.text(max_size=40), st.booleans(), st.none()
    ).map(lambda v: (v, None))
)


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=ts_values)
def test_any_timestamp_is_accepted_within_range_or_refused_with_a_reason(sent):
    ts, names = sent
    try:
        message = decode(TOPIC, _with_ts(ts))
    except ContractError as exc:
        assert exc.reason == "invalid", exc
        assert names is None or not TS_MIN <= names < TS_MAX, ts  # well-formed: refused only for its range
        return
    assert names is not None and message.ts == names, ts
    assert message.ts.utcoffset() == timedelta(0) and TS_MIN <= message.ts < TS_MAX
