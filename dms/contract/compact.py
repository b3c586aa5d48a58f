"""The compact encoding of contract messages: CBOR (RFC 8949) with short keys from a versioned dictionary.

The JSON Schemas stay the contract: a compact payload is the same document with every key of the
dictionary replaced by its number, numbers with a stated resolution sent as integers in that unit, the
times as integer microseconds since 1970 (UTC), a 32-hex-digit msg_id as its 16 bytes, and `vehicle_id`,
`kind` and `vss_version` "4.0" left out (the topic says the first two, dictionary 1 the third). Decoding
reverses exactly that, then validates the document against the contract's models like any JSON payload.

A dictionary never changes once shipped: a new name gets a new number at the end, a changed meaning a
new dictionary (cbor2, ...) and format name. Keys a dictionary does not know travel as text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

# (contract key, resolution): an integer resolution r sends round(value * r); "time" an RFC 3339 time as
# integer microseconds since 1970; "id" a 32-hex-digit id as 16 bytes; None the value as it is.
# The number of a key is its position. Append only.
DICTIONARY_1: tuple[tuple[str, int | str | None], ...] = (
    ("schema_version", None),  # 0
    ("msg_id", "id"),
    ("vehicle_id", None),
    ("ts", "time"),
    ("kind", None),
    ("vss_version", None),  # 5
    ("signals", None),
    ("driver_id", None),
    ("driver_session_id", None),
    ("illuminator", None),
    ("Vehicle.Speed", 10),  # 10: 0.1 km/h
    ("Vehicle.TraveledDistance", 1000),  # 1 m
    ("Vehicle.CurrentLocation.Latitude", 10_000_000),  # 1e-7 degree (1 cm)
    ("Vehicle.CurrentLocation.Longitude", 10_000_000),
    ("Vehicle.CurrentLocation.Heading", 10),  # 0.1 degree
    ("Vehicle.CurrentLocation.Timestamp", "time"),  # 15
    ("Vehicle.Powertrain.FuelSystem.RelativeLevel", 100),  # 0.01 %
    ("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", 100),
    ("Vehicle.LowVoltageBattery.CurrentVoltage", 100),  # 0.01 V
    ("Vehicle.Powertrain.CombustionEngine.EngineHours", 10_000),  # 0.36 s
    ("Vehicle.Powertrain.CombustionEngine.Speed", 1),  # 20: 1 rpm
    ("Vehicle.Powertrain.CombustionEngine.ECT", 10),  # 0.1 degree Celsius
    ("Vehicle.Diagnostics.DTCList", None),
    ("Vehicle.Service.DistanceToService", 1000),  # 1 m
    ("Vehicle.Service.TimeToService", 1),  # 1 s
    ("Vehicle.IsMoving", None),  # 25
    ("monitoring", None),
    ("Vehicle.Driver.IsEyesOnRoad", None),
    ("Vehicle.Driver.FatigueLevel", 10),  # 0.1 %
    ("Vehicle.Driver.DistractionLevel", 10),
    ("Vehicle.Driver.AttentiveProbability", 10),  # 30
    ("perclos", 1000),
    ("eye_openness", 1000),
    ("gaze_zone", None),
    ("head_yaw_deg", 10),
    ("head_pitch_deg", 10),  # 35
    ("head_roll_deg", 10),
    ("active_events", None),
    ("fps", 10),
    ("type", None),
    ("phase", None),  # 40
    ("level", None),
    ("episode_id", None),
    ("t", 1000),  # 1 ms
    ("onset_t", 1000),
    ("speed_kmh", 10),  # 45
    ("location", None),
    ("latitude", 10_000_000),
    ("longitude", 10_000_000),
    ("details", None),  # free-form: its own keys are never replaced
    ("state", None),  # 50
    ("software_version", None),
    ("reason", None),
    ("camera_health", None),  # 53 (state)
)
DICTIONARIES = {"cbor1": DICTIONARY_1}
FORMATS = ("json", *DICTIONARIES)
"""Payload encodings a topic may name: `dms/v1/<vehicle>/<kind>` is json, `<kind>-cbor1` compact."""

FROM_TOPIC = ("vehicle_id", "kind")
IMPLIED = {"vss_version": "4.0"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLAIN = (str, int, float, bool, bytes, type(None))


class CompactError(ValueError):
    """A compact payload that cannot be turned back into contract documents."""


def _numbers(dictionary) -> tuple[dict[str, tuple[int, Any]], dict[int, tuple[str, Any]]]:
    by_name = {name: (i, res) for i, (name, res) in enumerate(dictionary)}
    return by_name, {i: (name, res) for i, (name, res) in enumerate(dictionary)}


_TABLES = {fmt: _numbers(d) for fmt, d in DICTIONARIES.items()}


def _pack_value(value: Any, resolution: Any) -> Any:
    if resolution is None or value is None or isinstance(value, bool):
        return value
    if resolution == "time" and isinstance(value, str):
        ts = datetime.fromisoformat(value)
        return (ts - EPOCH) // timedelta(microseconds=1)
    if resolution == "id" and isinstance(value, str) and len(value) == 32:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return value
        return raw if raw.hex() == value else value  # upper-case hex stays text: it must come back the same
    if isinstance(resolution, int) and isinstance(value, int | float) and math.isfinite(value):
        return round(value * resolution)
    return value


def _unpack_value(value: Any, resolution: Any) -> Any:
    if resolution == "time" and isinstance(value, int) and not isinstance(value, bool):
        try:
            return (EPOCH + timedelta(microseconds=value)).isoformat().replace("+00:00", "Z")
        except OverflowError:
            raise CompactError(f"time {value} us is out of range") from None
    if resolution == "id" and isinstance(value, bytes):
        return value.hex()
    if isinstance(resolution, int) and isinstance(value, int) and not isinstance(value, bool):
        return value / resolution
    return value


def pack(doc: dict, fmt: str = "cbor1") -> dict:
    """A contract document (JSON names) -> its short-key form."""
    by_name = _TABLES[fmt][0]

    def walk(node: Any, free: bool = False) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if free or key not in by_name:
                    out[key] = walk(value, True) if free else walk(value)
                    continue
                number, resolution = by_name[key]
                if key in FROM_TOPIC or IMPLIED.get(key, object()) == value:
                    continue
                if key == "details":
                    out[number] = walk(value, True)
                else:
                    out[number] = _pack_value(walk(value), resolution)
            return out
        if isinstance(node, list):
            return [walk(v, free) for v in node]
        return node

    return walk(doc)


def unpack(node: Any, fmt: str = "cbor1", free: bool = False) -> Any:
    """The short-key form -> the contract document (JSON names); CompactError for what cannot be one."""
    by_number = _TABLES[fmt][1]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if free or isinstance(key, str):
                if not isinstance(key, str):
                    raise CompactError(f"map key {key!r} is neither text nor a number of the dictionary")
                out[key] = unpack(value, fmt, free)
                continue
            if isinstance(key, bool) or not isinstance(key, int) or key not in by_number:
                raise CompactError(f"key {key!r} is not in key dictionary {fmt}")
            name, resolution = by_number[key]
            if name in out:
                raise CompactError(f"key {name!r} given twice")
            out[name] = _unpack_value(unpack(value, fmt, name == "details"), resolution)
        return out
    if isinstance(node, list):
        return [unpack(v, fmt, free) for v in node]
    if not isinstance(node, _PLAIN):
        raise CompactError(f"a {type(node).__name__} (a CBOR tag) has no place in a contract document")
    return node


def dumps(docs: dict | list[dict], fmt: str = "cbor1") -> bytes:
    """One document (a map) or a batch (an array of maps) -> CBOR bytes with short keys."""
    import cbor2

    packed = [pack(d, fmt) for d in docs] if isinstance(docs, list) else pack(docs, fmt)
    return cbor2.dumps(packed)


def loads(payload: bytes, fmt: str = "cbor1", max_depth: int = 16) -> Any:
    """CBOR bytes -> the document or list of documents with contract names (not yet validated)."""
    import cbor2

    if fmt not in DICTIONARIES:
        raise CompactError(f"unknown encoding {fmt!r}; known: {', '.join(FORMATS)}")
    try:
        raw = cbor2.loads(payload, max_depth=max_depth, allow_indefinite=False, allow_duplicate_keys=False)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise CompactError(
            f"not CBOR: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    return unpack(raw, fmt)
