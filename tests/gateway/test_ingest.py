"""Ingest of batches into SQLite and PostgreSQL: idempotency, dead letters, live status, triggers."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from dms.contract import LiveRequest, encode
from gateway.db.models import (
    Alert,
    Change,
    DeadLetter,
    DriverEventRecord,
    OdometerReading,
    ProcessedMessage,
    ServiceAppointment,
    StatusSample,
    VehicleLiveStatus,
)
from gateway.ingest import Ingestor
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.factories import event, later, presence, register, status


def _count(sessions, model, *where) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_duplicates_and_malformed_payloads(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    good = [status("V1", later(T0, i), odometer=100 + i, speed=50) for i in range(5)]
    bad = [
        ("dms/v1/V1/status", b"{not json"),
        ("dms/v1/V1/status", b'{"schema_version": 9}'),
        ("dms/v1/V1/weird", b"{}"),
        ("dms/v1/V1/status", b"x" * 70_000),
        event("V9", T0),
        ("dms/v1/V1/event", b'{"schema_version": 1, "vehicle_id": "V1"}'),
    ]
    r1 = ing.apply(good[:3] + bad[:3] + [good[0]])
    r2 = ing.apply(good + bad[3:])
    assert (r1.applied, r1.duplicates, r1.dead_lettered) == (3, 1, 3)
    assert (r2.applied, r2.duplicates, r2.dead_lettered) == (2, 3, 3)
    assert _count(sessions, StatusSample) == 5 and _count(sessions, ProcessedMessage) == 5
    assert _count(sessions, OdometerReading) == 5
    with sessions() as db:
        reasons = sorted(db.scalars(select(DeadLetter.reason)))
        big = db.scalar(select(DeadLetter).where(DeadLetter.reason == "too_large"))
        live = db.get(VehicleLiveStatus, "V1")
    assert reasons == sorted(
        ["not_json", "unknown_schema_version", "unknown_kind", "too_large", "unknown_vehicle", "invalid"]
    )
    assert len(big.payload) == 4096 and big.payload_size == 70_000
    assert live.odometer_km == 104 and live.status_ts == later(T0, 4) and live.last_seen == clock.now


def test_old_messages_do_not_move_live_status_back(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    ing.apply([status("V1", later(T0, 10), odometer=200, lat=48.0, lon=11.0), presence("V1", later(T0, 10))])
    ing.apply([status("V1", later(T0, 5), odometer=150, speed=20), presence("V1", later(T0, 5), "offline")])
    with sessions() as db:
        live = db.get(VehicleLiveStatus, "V1")
    assert (live.odometer_km, live.presence, live.speed_kmh) == (200, "online", None)
    assert _count(sessions, StatusSample) == 2


def test_a_command_to_a_vehicle_is_not_ingested_nor_dead_lettered(sessions, clock):
    register(sessions, "V1", now=T0)
    command = LiveRequest(vehicle_id="V1", ts=T0, seconds=60)
    result = Ingestor(sessions, clock=clock).apply([encode(command), status("V1", later(T0, 1))])
    assert result.dead_lettered == 0 and _count(sessions, DeadLetter) == 0
    assert _count(sessions, StatusSample) == 1


def test_odometer_rule_proposes_exactly_once(sessions, clock):
    rules = [
        dict(name="Oil", model="Van", type="km", start=15000, period=15000, lead=500),
        dict(name="Hours", model="Van", type="engine_hours", start=0, period=250, lead=0),
    ]
    register(sessions, "V1", now=T0, rules=rules)
    ing = Ingestor(sessions, clock=clock)
    ing.apply([status("V1", later(T0, 0), odometer=14000, hours=240)])
    stream = [status("V1", later(T0, i), odometer=14000 + 100 * i, hours=240 + i) for i in range(1, 20)]
    for chunk in (stream[:4], stream[4:8], stream[4:12], stream[12:]):  # overlapping redelivery
        ing.apply(chunk)
    with sessions() as db:
        appts = db.scalars(select(ServiceAppointment).order_by(ServiceAppointment.id)).all()
    assert [(a.source, a.due_odometer_km, a.due_engine_hours, a.dealer_code, a.status) for a in appts] == [
        ("maintenance_rule", 15000.0, None, "D1", "proposed"),
        ("maintenance_rule", None, 250.0, "D1", "proposed"),
    ]


def test_severe_dtc_and_sustained_low_battery(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, GatewaySettings(low_voltage_sustain_s=60), clock=clock)
    ing.apply(
        [
            status("V1", later(T0, 0), dtcs=["P0420"], volts=12.4),
            status("V1", later(T0, 10), dtcs=["P0420", "P0302"], volts=11.5),
            status("V1", later(T0, 40), dtcs=["P0302"], volts=11.4),
        ]
    )
    ing.apply(
        [status("V1", later(T0, 80), dtcs=["P0302"], volts=11.3), status("V1", later(T0, 90), volts=11.2)]
    )
    with sessions() as db:
        appts = db.scalars(select(ServiceAppointment).order_by(ServiceAppointment.id)).all()
    assert [a.source for a in appts] == ["dtc", "battery"]
    assert "P0302" in appts[0].reason


def test_driver_event_alerts_and_repeated_fatigue(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    day = 24 * 3600
    ing.apply(
        [
            event("V1", later(T0, 0), "drowsiness", 1, "start", "a", driver="D7"),
            event("V1", later(T0, 5), "drowsiness", 2, "escalate", "a", driver="D7"),
            event("V1", later(T0, 9), "drowsiness", 0, "end", "a", driver="D7"),
            event("V1", later(T0, day), "microsleep", 1, "start", "b", driver="D7"),
        ]
    )
    assert _count(sessions, Alert, Alert.kind == "repeated_fatigue") == 0
    ing.apply(
        [
            event("V1", later(T0, 2 * day), "sleep", 3, "start", "c", driver="D7"),
            event("V1", later(T0, 3 * day), "drowsiness", 1, "start", "d", driver="D7"),
        ]
    )
    assert _count(sessions, DriverEventRecord) == 6
    with sessions() as db:
        a = db.scalar(select(Alert).where(Alert.alert_key == "event:V1:a"))
        flags = db.scalars(select(Alert).where(Alert.kind == "repeated_fatigue")).all()
    assert (a.level, a.ended_at) == (2, later(T0, 9))
    with sessions() as db:  # dealer-scoped live streams need the vehicle of every alert change
        assert set(db.scalars(select(Change.vehicle_id).where(Change.kind == "alert"))) == {"V1"}
    assert len(flags) == 1 and flags[0].driver_id == "D7" and flags[0].opened_at == later(T0, 2 * day)


def test_auto_register_flag(sessions, clock):
    ing = Ingestor(sessions, GatewaySettings(auto_register_unknown=True), clock=clock)
    assert ing.apply([status("NEW-1", T0, odometer=5)]).applied == 1
    assert Ingestor(sessions, clock=clock).apply([status("NEW-2", T0)]).dead_lettered == 1


def test_two_ingestors_racing_on_duplicates_apply_each_message_once(sessions, clock):
    import threading

    from tools.load.loadgen import status_messages

    vids = [f"R{i}" for i in range(10)]
    register(sessions, *vids, now=T0)
    stream = list(status_messages(vids, 600, T0, tag="race"))
    results = []

    def worker(part):
        ing = Ingestor(sessions, clock=clock)
        results.extend(ing.apply(part[i : i + 50]) for i in range(0, len(part), 50))

    # Both see every message, in different orders: each msg_id must be applied by exactly one of them.
    threads = [
        threading.Thread(target=worker, args=(stream,)),
        threading.Thread(target=worker, args=(stream[::-1],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.applied for r in results) == 600 and sum(r.duplicates for r in results) == 600
    assert _count(sessions, StatusSample) == 600
    with sessions() as db:
        odometers = dict(
            db.execute(select(VehicleLiveStatus.vehicle_id, VehicleLiveStatus.odometer_km)).all()
        )
    assert odometers == {v: 1000 + 59 * 0.01 for v in vids}  # the newest reading wins, whoever applied it


def test_a_live_row_made_meanwhile_by_another_gateway_is_applied_over_not_lost(sessions, clock, monkeypatch):
    """A vehicle's first messages reach two gateways at once: both find no live row and insert one; the
    second insert is skipped, so that batch is applied again over the row the other one made."""
    register(sessions, "V1", "V2", now=T0)
    ing = Ingestor(sessions, clock=clock)
    ing.apply([status("V1", T0, odometer=100, speed=10)])  # "the other gateway": V1's row exists
    select_live = Ingestor._select_live
    hidden = []

    def not_yet_visible(db, vehicle_ids):  # the first look misses it, as if made after it
        rows = select_live(db, vehicle_ids)
        if not hidden:
            hidden.append(rows.pop("V1"))
        return rows

    monkeypatch.setattr(Ingestor, "_select_live", staticmethod(not_yet_visible))
    result = ing.apply([status("V1", later(T0, 1), odometer=101, speed=20), status("V2", T0, odometer=7)])
    assert hidden and result.applied == 2
    with sessions() as db:
        live = {v: db.get(VehicleLiveStatus, v) for v in ("V1", "V2")}
    assert (live["V1"].odometer_km, live["V1"].speed_kmh, live["V2"].odometer_km) == (101, 20, 7)
    assert _count(sessions, StatusSample) == 3 and _count(sessions, ProcessedMessage) == 3


def test_calendar_rule_proposes_once_per_occurrence(sessions):
    from datetime import date, timedelta

    from gateway.db.models import Vehicle
    from gateway.db.session import session_scope
    from gateway.maintenance import add_months, propose_calendar_due

    register(
        sessions,
        "C1",
        now=T0,
        rules=[dict(name="Inspection", model="Van", type="months", start=12, period=12, lead=30)],
    )
    with session_scope(sessions) as db:
        db.get(Vehicle, "C1").purchase_date = date(2025, 3, 31)  # registered 2026-03-02: first due 2026-03-31
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    with session_scope(sessions) as db:
        assert propose_calendar_due(db, now=T0 - timedelta(days=2)) == []  # 2026-02-28: before due - lead
    for day in (0, 1, 40, 300):  # 2026-03-02 is within the 30 days before 2026-03-31; next: 2027-03-31
        with session_scope(sessions) as db:
            propose_calendar_due(db, now=T0 + timedelta(days=day))
    with session_scope(sessions) as db:
        created = propose_calendar_due(db, now=T0 + timedelta(days=365))
    assert [a.due_date for a in created] == [date(2027, 3, 31)]
    with sessions() as db:
        dues = [a.due_date for a in db.scalars(select(ServiceAppointment).order_by(ServiceAppointment.id))]
    assert dues == [date(2026, 3, 31), date(2027, 3, 31)]


def test_history_rows_keep_every_value(sessions, clock):
    """The status history and odometer log go through COPY on PostgreSQL and the signals as JSON text
    from pydantic: what is read back is what was sent (an infinite reading is stored as null)."""
    register(sessions, "V1", now=T0)
    topic, payload = status(
        "V1", later(T0, 1), odometer=1234.5, speed=88, dtcs=["P0301"], lat=48.25, lon=11.5
    )
    doc = json.loads(payload)
    doc["signals"]["Vehicle.Service.DistanceToService"] = 1e400  # parses as inf
    Ingestor(sessions, clock=clock).apply([(topic, json.dumps(doc).encode())])
    with sessions() as db:
        sample = db.scalar(select(StatusSample))
        reading = db.scalar(select(OdometerReading))
    assert (sample.vehicle_id, sample.ts, sample.speed_kmh, sample.odometer_km, sample.latitude) == (
        "V1",
        later(T0, 1),
        88.0,
        1234.5,
        48.25,
    )
    assert sample.signals == {
        "Vehicle.Speed": 88.0,
        "Vehicle.TraveledDistance": 1234.5,
        "Vehicle.CurrentLocation.Latitude": 48.25,
        "Vehicle.CurrentLocation.Longitude": 11.5,
        "Vehicle.Diagnostics.DTCList": ["P0301"],
        "Vehicle.Service.DistanceToService": None,
    }
    assert (reading.odometer_km, reading.source, reading.msg_id, reading.created_at) == (
        1234.5,
        "telemetry",
        doc["msg_id"],
        clock.now,
    )


def test_batched_compact_samples_are_stored_like_json_ones_and_a_bad_batch_is_one_dead_letter(
    sessions, clock
):
    import cbor2

    from dms.contract import VehicleSignals, VehicleStatus, encode, encode_batch
    from dms.contract.compact import pack

    register(sessions, "V1", "V2", now=T0)
    samples = [
        VehicleStatus(
            vehicle_id="V1", ts=later(T0, i), signals=VehicleSignals(speed=40 + i, traveled_distance=100 + i)
        )
        for i in range(5)
    ]
    compact = encode_batch(samples[:3], "cbor1")
    one_json = encode(samples[3])
    json_batch = encode_batch(samples[4:], "json")
    bad = [pack(s.model_dump(mode="json", by_alias=True, exclude_none=True)) for s in samples[:2]]
    bad[1][6][10] = -10  # a negative speed: the whole payload is refused, once
    unknown = encode_batch(
        [VehicleStatus(vehicle_id="V9", ts=later(T0, i), signals={}) for i in range(3)], "cbor1"
    )
    result = Ingestor(sessions, clock=clock).apply(
        [compact, one_json, json_batch, ("dms/v1/V2/status-cbor1", cbor2.dumps(bad)), unknown, compact]
    )
    assert (result.applied, result.duplicates, result.dead_lettered) == (5, 3, 2)
    with sessions() as db:
        stored = db.scalars(select(StatusSample).order_by(StatusSample.ts)).all()
        assert [s.msg_id for s in stored] == [s.msg_id for s in samples]
        assert [s.speed_kmh for s in stored] == [40, 41, 42, 43, 44]
        assert db.get(VehicleLiveStatus, "V1").speed_kmh == 44
        assert sorted(d.reason for d in db.scalars(select(DeadLetter))) == ["invalid", "unknown_vehicle"]
