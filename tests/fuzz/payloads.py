"""Random and mutated MQTT payloads for a live fuzz run (seeded `random`, thousands per second)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dms.contract import ContractError, DriverEvent, DriverState, Presence, VehicleStatus, decode, encode

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
JUNK = [
    None,
    True,
    -1,
    0,
    1e308,
    -1e308,
    2**64,
    "",
    "x" * 70,
    "\u0000",
    "\ud7ff\ue000",
    [],
    {},
    [1, "a"],
    {"a": {}},
]


def valid_message(rng: random.Random, vid: str, i: int) -> tuple[str, bytes]:
    ts = T0 + timedelta(seconds=i)
    kind = rng.randrange(4)
    mid = f"fz{i:08d}"
    if kind == 0:
        msg = VehicleStatus(
            vehicle_id=vid,
            msg_id=mid,
            ts=ts,
            signals={
                "Vehicle.Speed": rng.uniform(0, 200),
                "Vehicle.TraveledDistance": 1000 + i * 0.01,
                "Vehicle.Diagnostics.DTCList": rng.choice([[], ["P0301"], ["P0420", "U0100"]]),
            },
        )
    elif kind == 1:
        msg = DriverEvent(
            vehicle_id=vid,
            msg_id=mid,
            ts=ts,
            type=rng.choice(["microsleep", "sleep", "phone_use"]),
            level=rng.randrange(4),
            phase=rng.choice(["start", "escalate", "end"]),
            episode_id=f"e{i % 50}",
            driver_id=rng.choice([None, "d1", "d\u00e9"]),
        )
    elif kind == 2:
        msg = DriverState(
            vehicle_id=vid,
            msg_id=mid,
            ts=ts,
            monitoring=rng.random() < 0.9,
            perclos=rng.random(),
            gaze_zone=rng.choice([None, "road", "left_mirror"]),
        )
    else:
        msg = Presence(vehicle_id=vid, msg_id=mid, ts=ts, state=rng.choice(["online", "offline"]))
    return encode(msg)


def mutate_json(rng: random.Random, payload: bytes) -> bytes:
    doc = json.loads(payload)
    for _ in range(rng.randint(1, 3)):
        target = doc
        if isinstance(doc.get("signals"), dict) and rng.random() < 0.3:
            target = doc["signals"]
        key = rng.choice([*target, "extra", "Vehicle.Nope"]) if target else "extra"
        if rng.random() < 0.3:
            target.pop(key, None)
        else:
            target[key] = rng.choice(JUNK)
    return json.dumps(doc).encode()


def mutate_bytes(rng: random.Random, payload: bytes) -> bytes:
    b = bytearray(payload)
    choice = rng.randrange(3)
    if choice == 0 and b:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif choice == 1:
        del b[rng.randrange(len(b) + 1) :]
    else:
        pos = rng.randrange(len(b) + 1)
        b[pos:pos] = rng.randbytes(rng.randint(1, 16))
    return bytes(b)


def fuzz_stream(vehicles: list[str], count: int, seed: int = 7) -> Iterator[tuple[str, bytes, bool]]:
    """(topic, payload, decodes) for `count` messages; a decodable payload never repeats a msg_id (so
    each one is stored exactly once and every other one is dead-lettered: the test can count both)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for i in range(count):
        vid = rng.choice(vehicles)
        topic, payload = valid_message(rng, vid, i)
        r = rng.random()
        if r < 0.25:
            pass  # valid
        elif r < 0.55:
            payload = mutate_json(rng, payload)
        elif r < 0.8:
            payload = mutate_bytes(rng, payload)
        elif r < 0.9:
            payload = rng.randbytes(rng.randint(0, 300))
        elif r < 0.95:
            topic = rng.choice(
                [
                    f"dms/v1/{vid}/cmd",
                    f"dms/v1/{vid}/{rng.randbytes(3).hex()}",
                    f"dms/v1/UNKNOWN-{rng.randrange(9)}/status",
                    "dms/v1/-bad-/event",
                ]
            )
        elif r < 0.97:
            payload = b'{"schema_version": 1, "pad": "' + b"x" * 70_000 + b'"}'
        else:
            payload = json.dumps(rng.choice(JUNK)).encode()
        try:
            msg_id = decode(topic, payload).msg_id
        except ContractError:
            yield topic, payload, False
            continue
        if msg_id in seen:
            continue
        seen.add(msg_id)
        yield topic, payload, True
