"""Fatigue-aware dispatch: alerts attributed to drivers through the booking active when the drive
began (and the reported driver id), the warning with rested drivers, and the override that needs a
reason and lands in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dealer_portal.records import dispatch, fatigue
from dealer_portal.records.tables import AuditEntry, Booking
from dealer_portal.settings import FatigueSettings
from gateway.db.models import Alert, DriverEventRecord
from tests.support.portal import DISPATCHER, T0, csrf_of, portal_client

NOW = T0 + timedelta(days=10)
POLICY = FatigueSettings()


def _booking(db, vehicle, driver, start, end, status="returned"):
    b = Booking(
        vehicle_id=vehicle,
        driver=driver,
        purpose="",
        starts_at=start,
        ends_at=end,
        status=status,
        booked_by="dora",
        out_at=start if status != "booked" else None,
        back_at=end if status == "returned" else None,
    )
    db.add(b)
    return b


def _alert(db, vehicle, kind, at, driver_id=None, session_id=None, n=[0]):  # noqa: B006 (a counter)
    n[0] += 1
    db.add(
        Alert(
            alert_key=f"event:{vehicle}:t{n[0]}",
            kind="driver_event",
            vehicle_id=vehicle,
            driver_id=driver_id,
            driver_session_id=session_id,
            type=kind,
            level=2,
            opened_at=at,
        )
    )


@pytest.fixture
def fleet(world):
    """Dana drove VAN-1 this morning and had a microsleep; Eve drove VAN-2 last week; Finn is booked
    for tomorrow; Gus had three drowsy spells."""
    _booking(world, "VAN-1", "Dana Roth", NOW - timedelta(hours=6), NOW - timedelta(hours=2))
    _alert(world, "VAN-1", "microsleep", NOW - timedelta(hours=4))
    _alert(world, "VAN-1", "phone_use", NOW - timedelta(hours=3))  # not fatigue
    _booking(world, "VAN-2", "Eve Lang", NOW - timedelta(days=7), NOW - timedelta(days=7, hours=-8))
    _booking(world, "VAN-2", "Finn Ott", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=8), "booked")
    _booking(world, "VAN-2", "Gus Kramer", NOW - timedelta(hours=20), NOW - timedelta(hours=12))
    for h in (19, 16, 13):
        _alert(world, "VAN-2", "drowsiness", NOW - timedelta(hours=h))
    world.commit()
    return world


def test_an_alert_belongs_to_the_driver_of_the_booking_active_at_its_time(fleet):
    dana = fatigue.assess(fleet, "  dana  ROTH ", NOW, POLICY)
    assert dana.warns and dana.severe == 1 and [e.type for e in dana.episodes] == ["microsleep"]
    assert not fatigue.assess(fleet, "Eve Lang", NOW, POLICY).warns
    gus = fatigue.assess(fleet, "Gus Kramer", NOW, POLICY)
    assert gus.drowsy == 3 and gus.warns  # more than drowsy_max = 2
    assert not fatigue.assess(fleet, "Gus Kramer", NOW, FatigueSettings(drowsy_max=3)).warns
    assert not fatigue.assess(
        fleet, "Dana Roth", NOW + timedelta(hours=21), POLICY
    ).warns  # out of the window


def test_a_drive_that_began_in_a_booking_stays_its_drivers_after_the_booking_ended(world):
    _booking(world, "VAN-1", "Hana Beck", NOW - timedelta(hours=5), NOW - timedelta(hours=3))
    world.add(
        DriverEventRecord(
            msg_id="s1",
            vehicle_id="VAN-1",
            ts=NOW - timedelta(hours=4),
            type="driver_change",
            phase="start",
            level=0,
            episode_id="s1",
            details={},
            received_at=NOW,
            driver_session_id="sess-1",
        )
    )
    _alert(world, "VAN-1", "sleep", NOW - timedelta(hours=2), session_id="sess-1")  # after the return
    _alert(world, "VAN-2", "sleep", NOW - timedelta(hours=2), driver_id="drv-7")  # the vehicle's driver id
    world.commit()
    assert fatigue.assess(world, "Hana Beck", NOW, POLICY).severe == 1
    assert fatigue.assess(world, "drv-7", NOW, POLICY).warns


def test_booking_a_fatigued_driver_warns_with_rested_drivers_and_needs_a_reason(fleet):
    window = {"starts_at": NOW + timedelta(days=1), "ends_at": NOW + timedelta(days=1, hours=4)}
    with pytest.raises(fatigue.FatigueWarning) as refused:
        dispatch.book(
            fleet,
            DISPATCHER,
            vehicle_id="VAN-1",
            driver="Dana Roth",
            now=NOW,
            fatigue_policy=POLICY,
            **window,
        )
    assert refused.value.rested == ["Eve Lang"]  # Finn is busy then, Gus was drowsy, Dana excluded
    assert "Dana Roth had 1 fatigue episode(s) in the last 24 h" in str(refused.value)
    assert "microsleep" in str(refused.value) and "such as Eve Lang" in str(refused.value)
    with pytest.raises(fatigue.FatigueWarning):  # a blank reason is no reason
        dispatch.book(
            fleet,
            DISPATCHER,
            vehicle_id="VAN-1",
            driver="Dana Roth",
            now=NOW,
            fatigue_policy=POLICY,
            override_reason="   ",
            **window,
        )
    booking = dispatch.book(
        fleet,
        DISPATCHER,
        vehicle_id="VAN-1",
        driver="Dana Roth",
        now=NOW,
        fatigue_policy=POLICY,
        override_reason="slept 10 h since; short local run",
        **window,
    )
    fleet.commit()
    entries = {
        e.action: e for e in fleet.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(booking.id)))
    }
    assert "slept 10 h since; short local run" in entries["fatigue_override"].detail
    assert "microsleep" in entries["fatigue_override"].detail and entries["fatigue_override"].actor == "dora"
    assert "booked despite: driver fatigue" in entries["book"].detail
    # a rested driver books without a word
    dispatch.book(
        fleet,
        DISPATCHER,
        vehicle_id="VAN-1",
        driver="Eve Lang",
        now=NOW,
        fatigue_policy=POLICY,
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=4),
    )


def test_the_dispatch_form_warns_offers_rested_drivers_and_audits_the_override(tmp_path):
    from dealer_portal.app import create_app
    from dealer_portal.sample_data import create_sample_database
    from gateway.db.session import make_engine, make_sessionmaker
    from tests.support.portal import SAMPLE_NOW

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    create_sample_database(url, SAMPLE_NOW, password_rounds=4)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:  # Jonas Weber has VAN-1 out: a microsleep half an hour ago
        _alert(db, "VAN-1", "microsleep", SAMPLE_NOW - timedelta(minutes=30))
        db.commit()
    client = portal_client(create_app(url, clock=lambda: SAMPLE_NOW), "dora")
    page = client.get("/dispatch")
    hint = client.get(
        "/dispatch/driver-check", params={"driver": " jonas weber", "starts_at": "2026-11-28T08:00"}
    )
    assert "had 1 fatigue episode(s)" in hint.text and 'data-fill-value="Mia Schulz"' in hint.text
    assert "fatigue-warning" not in client.get("/dispatch/driver-check", params={"driver": "Mia Schulz"}).text
    assert client.get("/dispatch/driver-check", params={"driver": "x" * 5000}).status_code == 200
    form = {
        "csrf_token": csrf_of(page.text),
        "vehicle_id": "VAN-5",
        "driver": "Jonas Weber",
        "starts_at": "2026-11-28T08:00",
        "ends_at": "2026-11-28T12:00",
        "purpose": "parcel run",
    }
    refused = client.post("/dispatch/bookings", data=form, headers={"referer": "http://testserver/dispatch"})
    assert refused.status_code == 422
    assert (
        'data-field-error="driver"' in refused.text and "Jonas Weber had 1 fatigue episode(s)" in refused.text
    )
    assert 'data-field-error="override_reason"' in refused.text
    assert 'data-testid="rested-drivers"' in refused.text and 'data-fill-value="Mia Schulz"' in refused.text
    assert 'value="parcel run"' in refused.text  # nothing typed is lost
    blank = client.post(
        "/dispatch/bookings",
        data={**form, "override_reason": " "},
        headers={"referer": "http://testserver/dispatch"},
    )
    assert blank.status_code == 422
    done = client.post("/dispatch/bookings", data={**form, "override_reason": "relief driver on board"})
    assert done.status_code == 303
    with make_sessionmaker(engine)() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "fatigue_override"))
        assert (
            entry.actor == "dora"
            and "relief driver on board" in entry.detail
            and "Jonas Weber" in entry.detail
        )
    engine.dispose()
