"""State that is cross-checked instead of shown as if current: stale live values of offline vehicles,
ended alerts out of the ongoing feed, who acknowledged an alert and when, dispatch aware of the
workshop, and a warning before booking a vehicle due for scrapping."""

from __future__ import annotations

import re
from datetime import timedelta

from dealer_portal.records import dispatch
from dealer_portal.records import service_flow as flow
from dealer_portal.records.tables import AuditEntry, Booking
from gateway.db.models import Alert
from tests.support.portal import ADVISOR, DISPATCHER, SAMPLE_NOW, T0, csrf_of, portal_client


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr (data-vehicle="[^"]+"[^>]*)>(.*?)</tr>', html, re.DOTALL))


def test_an_offline_vehicle_shows_its_last_values_as_stale_not_current(sample_app):
    app, clock = sample_app
    dora = portal_client(app, "dora")
    rows = _rows(dora.get("/fleet").text)
    van1 = next(v for k, v in rows.items() if '"VAN-1"' in k)
    assert "stale" not in van1 and "km/h" in van1  # online, reported 5 s ago: current
    van4_key, van4 = next((k, v) for k, v in rows.items() if '"VAN-4"' in k)  # offline for 6 h
    assert 'data-stale="1"' in van4_key and 'class="badge stale"' in van4
    speed = re.search(r'data-testid="speed">(.*?)</td>', van4, re.DOTALL).group(1)
    assert speed.startswith('<span class="badge stale"')  # the last speed only after the stale mark
    clock["now"] = SAMPLE_NOW + timedelta(minutes=10)  # nothing heard for 10 minutes: all stale
    try:
        assert all('data-stale="1"' in key for key in _rows(dora.get("/fleet").text))
    finally:
        clock["now"] = SAMPLE_NOW


def test_ended_alerts_leave_the_ongoing_feed_and_an_acknowledgement_shows_who_and_when(sample_app):
    app, clock = sample_app
    with app.state.portal.sessions() as db:
        for key, ended in (("ongoing", None), ("ended", SAMPLE_NOW - timedelta(seconds=30))):
            db.add(
                Alert(
                    alert_key=f"test:{key}",
                    kind="driver_event",
                    vehicle_id="VAN-1",
                    type="microsleep" if ended else "long_distraction",
                    level=2,
                    opened_at=SAMPLE_NOW - timedelta(minutes=1),
                    ended_at=ended,
                )
            )
        db.commit()
        ended_id = db.query(Alert).filter_by(alert_key="test:ended").one().id
    dora = portal_client(app, "dora")
    page = dora.get("/fleet").text
    ongoing = re.search(r'data-testid="alert-feed">(.*?)</ul>', page, re.DOTALL).group(1)
    ended = re.search(r'data-testid="ended-alerts">(.*?)</ul>', page, re.DOTALL).group(1)
    assert "VAN-1 · long distraction" in ongoing and "microsleep" not in ongoing
    assert "VAN-1 · microsleep" in ended
    clock["now"] = SAMPLE_NOW + timedelta(seconds=5)
    try:
        answer = dora.post(
            f"/fleet/alerts/{ended_id}/ack", headers={"hx-request": "true", "x-csrf-token": csrf_of(page)}
        )
    finally:
        clock["now"] = SAMPLE_NOW
    assert answer.status_code == 200
    assert "acknowledged by <strong>dora</strong> · 2026-11-27 12:00:05 UTC" in answer.text
    page = dora.get("/fleet").text
    still_ended = re.search(r'data-testid="ended-alerts">(.*?)</ul>', page, re.DOTALL)
    assert still_ended is None or "microsleep" not in still_ended.group(1)
    done = re.search(r'data-testid="acknowledged-alerts">(.*?)</ul>', page, re.DOTALL).group(1)
    assert "VAN-1 · microsleep" in done and "acknowledged by <strong>dora</strong>" in done


def test_a_vehicle_received_into_the_workshop_is_no_longer_checked_out(world):
    s = world
    booking = dispatch.book(
        s, DISPATCHER, vehicle_id="VAN-1", driver="Mia", starts_at=T0, ends_at=T0 + timedelta(days=2), now=T0
    )
    dispatch.check_out(s, DISPATCHER, booking.id, odometer_km=20_000, fuel_pct=80, now=T0)
    later = T0 + timedelta(hours=5)
    order = flow.create_appointment(
        s, ADVISOR, vehicle_id="VAN-1", scheduled_at=later, reason="brakes", now=T0
    )
    flow.receive(s, ADVISOR, order.id, complaint="brakes squeal", odometer_km=20_240, now=later)
    s.commit()
    back = s.get(Booking, booking.id)
    assert (back.status, back.back_km, back.back_at, back.back_fuel_pct) == ("returned", 20_240, later, None)
    trail = s.query(AuditEntry).filter_by(entity="booking", entity_id=str(booking.id), action="return").one()
    assert f"at workshop reception (work order #{order.id})" in trail.detail and trail.actor == "sam"


def test_booking_a_vehicle_due_for_scrapping_warns_and_records_the_override(sample_app):
    app, _ = sample_app
    dora = portal_client(app, "dora")
    page = dora.get("/dispatch").text
    assert re.search(r'<option value="VAN-4"[^>]*>\s*VAN-4 · [^<]*\(due for scrapping\)', page)
    typed = {
        "vehicle_id": "VAN-4",
        "driver": "Nora Klein",
        "starts_at": "2026-12-01T08:00",
        "ends_at": "2026-12-01T12:00",
        "purpose": "parts run",
        "csrf_token": csrf_of(page),
    }
    headers = {"referer": "http://testserver/dispatch"}
    warned = dora.post("/dispatch/bookings", data=typed, headers=headers)
    assert warned.status_code == 422
    assert re.search(r'data-field-error="vehicle_id">VAN-4 is due for scrapping \(service life', warned.text)
    assert 'value="Nora Klein"' in warned.text and 'name="book_anyway"' in warned.text
    booked = dora.post("/dispatch/bookings", data={**typed, "book_anyway": "1"}, headers=headers)
    assert booked.status_code == 303
    with app.state.portal.sessions() as db:
        entry = (
            db.query(AuditEntry)
            .filter_by(entity="booking", action="book")
            .order_by(AuditEntry.id.desc())
            .first()
        )
    assert "VAN-4" in entry.detail and "booked despite: due for scrapping (service life" in entry.detail
