"""The vehicle page's history: trips rebuilt from the stored status rows (split at stops and gaps),
the time-ordered timeline with its pages, the collapsed odometer table, and the map settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dealer_portal.charts import MapPoint, fleet_map
from dealer_portal.records import vehicle_history
from dealer_portal.records.vehicle_history import Sample, split_trips
from dealer_portal.settings import MapSettings
from gateway.db.models import Alert, OdometerReading
from tests.support.portal import DISPATCHER, portal_client
from tests.support.routes import add_minute_trip, add_raw_trip

T = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _drive(start: datetime, n: int, speed: float, step_s: int = 10, lat: float = 52.5) -> list[Sample]:
    return [Sample(start + timedelta(seconds=step_s * i), lat + 0.0005 * i, 13.4, speed) for i in range(n)]


def test_trips_split_at_a_stop_and_at_a_gap_and_keep_a_short_halt():
    first = _drive(T, 30, 40.0)
    halt = [Sample(first[-1].ts + timedelta(seconds=10 * i), first[-1].lat, 13.4, 0.0) for i in range(1, 7)]
    resumed = _drive(halt[-1].ts + timedelta(seconds=10), 20, 40.0, lat=first[-1].lat)
    stop = [Sample(resumed[-1].ts + timedelta(minutes=i), resumed[-1].lat, 13.4, 0.0) for i in range(1, 8)]
    second = _drive(stop[-1].ts + timedelta(seconds=10), 20, 50.0, lat=resumed[-1].lat)
    third = _drive(second[-1].ts + timedelta(minutes=20), 20, 50.0, lat=52.6)  # no rows for 20 min: off
    trips = split_trips(first + halt + resumed + stop + second + third)
    assert len(trips) == 3
    assert trips[0].start == T and trips[0].points[-1].speed_kmh == 0.0  # ends where it stopped
    assert len(trips[0].points) == 30 + 6 + 20 + 1  # the 60 s halt at a light stays in the trip
    assert trips[1].points[0].ts == stop[-1].ts  # leaves from where it stood
    assert trips[2].start == third[0].ts
    assert 1.5 < trips[0].distance_km < 3.5


def test_history_takes_the_minutes_before_the_first_raw_row_and_trips_the_minutes(world):
    add_minute_trip(world, "VAN-1", T, 10, 52.5, 13.4)
    add_raw_trip(world, "VAN-1", T + timedelta(hours=1), 120, 52.5, 13.6)
    world.commit()
    samples = vehicle_history.history(world, "VAN-1", T - timedelta(hours=1), T + timedelta(hours=3))
    assert len(samples) == 11 + 13
    assert [s.ts for s in samples] == sorted(s.ts for s in samples)
    trips = vehicle_history.trips_between(world, "VAN-1", T - timedelta(hours=1), T + timedelta(hours=3))
    # trips are found on the minute rows; a chosen one is replayed from its raw rows while kept
    assert [t.start for t in trips] == [T + timedelta(seconds=50), T + timedelta(hours=1, seconds=50)]
    assert len(trips[1].points) == 3
    detail = vehicle_history.trip_detail(world, "VAN-1", trips[1])
    assert len(detail) == 13 and detail[0].ts == T + timedelta(hours=1)
    assert vehicle_history.trip_detail(world, "VAN-1", trips[0]) == trips[0].points  # minutes only


def test_the_timeline_merges_alerts_events_and_trips_newest_first_in_pages(world):
    for i in range(25):
        world.add(
            Alert(
                alert_key=f"event:VAN-1:ep{i}",
                kind="driver_event",
                vehicle_id="VAN-1",
                driver_id="drv-1",
                type="drowsiness",
                level=1,
                opened_at=T - timedelta(hours=i),
            )
        )
    add_minute_trip(world, "VAN-1", T + timedelta(minutes=30), 10, 52.5, 13.4)
    world.commit()
    now = T + timedelta(days=1)
    first = vehicle_history.timeline(world, DISPATCHER, "VAN-1", now)
    assert first.total == 26 and first.pages == 2 and len(first.rows) == 20
    assert first.rows[0].kind == "trip" and first.rows[0].href.startswith("/vehicles/VAN-1?day=2026-11-26")
    assert [r.ts for r in first.rows] == sorted((r.ts for r in first.rows), reverse=True)
    second = vehicle_history.timeline(world, DISPATCHER, "VAN-1", now, page=2)
    assert len(second.rows) == 6 and second.rows[-1].ts == T - timedelta(hours=24)
    assert second.url(page=1) == "/vehicles/VAN-1"


def test_identical_odometer_readings_collapse_into_one_row(world):
    for i in range(22):
        world.add(
            OdometerReading(
                vehicle_id="VAN-1",
                ts=T + timedelta(hours=i),
                odometer_km=1000.0 if i < 21 else 1040.0,
                source="telemetry",
                created_at=T,
            )
        )
    world.commit()
    from dealer_portal.records.vehicle_records import odometer_history

    runs = vehicle_history.collapse_odometer(odometer_history(world, "VAN-1"))
    assert [(r.km, r.count) for r in runs] == [(1040.0, 1), (1000.0, 21)]
    assert runs[1].first == T and runs[1].last == T + timedelta(hours=20)


def test_the_vehicle_page_shows_route_trips_timeline_and_refuses_a_bad_day(sample_app):
    app, _ = sample_app
    client = portal_client(app, "dora")
    page = client.get("/vehicles/VAN-1")
    assert page.status_code == 200
    for testid in ('data-testid="route"', 'data-testid="timeline"', 'data-testid="odometer"'):
        assert testid in page.text
    assert "tile-map" not in page.text  # no tile server configured: the offline drawing only
    bad = client.get("/vehicles/VAN-1?day=yesterday")
    assert bad.status_code == 400 and "2026-03-02" in bad.text
    assert client.get("/vehicles/VAN-1?day=9999-12-31").status_code == 400  # no overflow past year 9999
    for odd in ("abc", "-5", "²", "9" * 30):  # any odd page number shows the first page
        assert client.get(f"/vehicles/VAN-1?page={odd}").status_code == 200


def test_fleet_map_labels_never_overlap():
    points = [
        MapPoint(f"VAN-{i}", 52.5 + 0.0001 * (i % 3), 13.4 + 0.0001 * (i // 3), "online") for i in range(12)
    ]
    svg = str(fleet_map(points))
    import re

    boxes = []
    for x, y, anchor, text in re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(\w+)">(VAN-\d+)</text>', svg
    ):
        w = len(text) * 6.5
        left = float(x) if anchor == "start" else float(x) - w if anchor == "end" else float(x) - w / 2
        boxes.append((left, float(y) - 10, left + w, float(y) + 3))
    assert 0 < len(boxes) <= 12
    assert not any(
        a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )
    assert svg.count("<circle") == 12  # every vehicle drawn, a crowded one without its label


@pytest.mark.parametrize(
    "url",
    [
        "http://tiles.example/a.png",
        "javascript:alert(1)/{z}/{x}/{y}",
        'http://t"/{z}/{x}/{y}.png',
        "ftp://t/{z}/{x}/{y}",
    ],
)
def test_a_tile_url_must_be_an_http_template(url):
    with pytest.raises(ValidationError):
        MapSettings(tile_url=url)


def test_the_csp_allows_images_from_the_tile_server_only(db_url):
    from fastapi.testclient import TestClient

    from dealer_portal.app import create_app
    from dealer_portal.settings import PortalSettings

    settings = PortalSettings(map=MapSettings(tile_url="http://{s}.tiles.test:8081/{z}/{x}/{y}.png"))
    csp = TestClient(create_app(db_url, settings)).get("/login").headers["content-security-policy"]
    assert "img-src 'self' data: http://*.tiles.test:8081;" in csp
    plain = TestClient(create_app(db_url)).get("/login").headers["content-security-policy"]
    assert "img-src 'self' data:;" in plain
