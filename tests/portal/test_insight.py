"""KPIs, the fleet board's read model and the SVG charts, on SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dealer_portal.charts import Bar, MapPoint, bar_chart, fleet_map, timeline
from dealer_portal.records import fleet, kpis, parts
from dealer_portal.records import service_flow as flow
from dealer_portal.records.actor import NotFound
from dms.errors import UserError
from gateway.db.models import Alert, DriverEventRecord, OdometerReading, VehicleLiveStatus
from tests.support.portal import ADVISOR, DISPATCHER, OTHER_ADVISOR, T0

D = timedelta(days=1)


def _repair(s, vehicle_id: str, received, settled, part_id=None):
    order = flow.create_appointment(
        s, ADVISOR, vehicle_id=vehicle_id, scheduled_at=received, reason="fix", now=received
    )
    flow.receive(s, ADVISOR, order.id, complaint="fix", odometer_km=1000 + order.id, now=received)
    flow.add_item(
        s, ADVISOR, order.id, kind="labour", description="work", quantity=1, unit_cents=5000, now=received
    )
    if part_id:
        flow.add_item(s, ADVISOR, order.id, kind="part", part_id=part_id, quantity=2, now=received)
    flow.estimate(s, ADVISOR, order.id, received)
    flow.open_work_order(s, ADVISOR, order.id, received)
    flow.assign(s, ADVISOR, order.id, "tim", received)
    if part_id:
        flow.issue_parts(s, ADVISOR, order.id, received)
    flow.quality_check(s, ADVISOR, order.id, passed=True, note="", now=settled)
    flow.settle(s, ADVISOR, order.id, settled)
    return order


def test_workshop_kpis(world):
    s = world
    part = parts.create_part(
        s, ADVISOR, number="P1", name="Pump", unit_cost_cents=1000, unit_price_cents=2000, now=T0
    )
    parts.receive(s, ADVISOR, part.id, "A", 10, T0)
    _repair(s, "VAN-1", T0, T0 + timedelta(hours=4), part.id)
    _repair(s, "VAN-1", T0 + 10 * D, T0 + 10 * D + timedelta(hours=2))  # comes back within 30 days
    _repair(s, "VAN-2", T0 + 40 * D, T0 + 40 * D + timedelta(hours=6))
    labels, by_type = kpis.maintenance_by_month(s, ADVISOR, T0 + 45 * D, months=3)
    assert labels == ["2026-02", "2026-03", "2026-04"] and by_type["repair"] == [0, 2, 1]
    assert kpis.repair_duration_hours(s, ADVISOR, T0 + 45 * D, months=3)[1] == [0.0, 3.0, 6.0]
    rate = kpis.comeback_rate(s, ADVISOR)
    assert (rate.count, rate.total) == (1, 3)
    turnover = kpis.inventory_turnover(s, ADVISOR, T0 + 45 * D)
    assert (turnover.issued_cost_cents, turnover.stock_value_cents, turnover.turns) == (2000, 8000, 0.25)
    assert kpis.comeback_rate(s, OTHER_ADVISOR).total == 0


def test_driver_episodes_per_1000_km(world):
    s = world
    for day, km in ((0, 10_000), (20, 12_000)):
        s.add(
            OdometerReading(
                vehicle_id="VAN-1", ts=T0 + day * D, odometer_km=km, source="telemetry", created_at=T0
            )
        )
    for i, (kind, phase) in enumerate(
        (("drowsiness", "start"), ("drowsiness", "end"), ("phone_use", "start"), ("microsleep", "start"))
    ):
        s.add(
            DriverEventRecord(
                msg_id=f"m{i}",
                vehicle_id="VAN-1",
                ts=T0 + D,
                type=kind,
                phase=phase,
                level=1,
                episode_id=f"e{i}",
                details={},
                received_at=T0,
            )
        )
    (rate,) = kpis.events_per_1000_km(s, DISPATCHER, T0 + 30 * D)
    assert (rate.km, rate.fatigue, rate.distraction) == (2000, 2, 1)
    assert rate.per_1000_km(rate.fatigue) == 1.0


def test_board_rows_filters_and_acknowledgement(world):
    s = world
    s.add(
        VehicleLiveStatus(
            vehicle_id="VAN-1",
            presence="online",
            last_seen=T0,
            latitude=52.5,
            longitude=13.4,
            speed_kmh=50,
            driver_state={"monitoring": True, "active_events": ["sleep"]},
            updated_at=T0,
        )
    )
    s.add(
        VehicleLiveStatus(
            vehicle_id="VAN-2", presence="online", last_seen=T0 - timedelta(minutes=10), updated_at=T0
        )
    )
    s.add(Alert(alert_key="k1", kind="driver_event", vehicle_id="VAN-1", type="sleep", level=3, opened_at=T0))
    s.commit()
    rows = {r.vehicle.vehicle_id: r for r in fleet.board(s, DISPATCHER, T0, offline_after_s=120)}
    assert (rows["VAN-1"].online, rows["VAN-1"].driver_state, rows["VAN-1"].open_alerts) == (
        True,
        "Asleep",
        1,
    )
    assert rows["VAN-2"].online is False  # said online, but silent for 10 minutes
    assert [
        r.vehicle.vehicle_id for r in fleet.board(s, DISPATCHER, T0, offline_after_s=120, alerts_only=True)
    ] == ["VAN-1"]
    assert [
        r.vehicle.vehicle_id for r in fleet.board(s, DISPATCHER, T0, offline_after_s=120, online="offline")
    ] == ["VAN-2"]
    (alert,) = fleet.open_alerts(s, DISPATCHER)
    with pytest.raises(NotFound):
        fleet.acknowledge(s, OTHER_ADVISOR, alert.id, T0)  # D2 does not service VAN-1
    fleet.acknowledge(s, DISPATCHER, alert.id, T0)
    assert fleet.open_alerts(s, DISPATCHER) == []
    with pytest.raises(UserError, match="already acknowledged by dora"):
        fleet.acknowledge(s, DISPATCHER, alert.id, T0)


def test_svg_map_and_bar_chart():
    svg = fleet_map(
        [MapPoint("VAN-1", 52.52, 13.40, "online", "/vehicles/VAN-1"), MapPoint("<b>", 52.45, 13.30, "alert")]
    )
    assert svg.count("<circle") == 2 and 'href="/vehicles/VAN-1"' in svg and "&lt;b&gt;" in svg
    assert "No positions" in fleet_map([])
    chart = bar_chart(
        ["2026-01", "2026-02"], {"repair": [1, 2], "maintenance": [0, 1]}, title="t", integers=True
    )
    assert chart.count("<rect") == 3 + 2  # three non-zero bars and two legend keys


def test_timeline_clips_bars_to_the_window():
    svg = timeline(
        ["VAN-1", "VAN-2"],
        [
            Bar("VAN-1", T0 - D, T0 + D / 2, "#1 Ana", "checked_out"),
            Bar("VAN-2", T0 + 9 * D, T0 + 10 * D, "#2 Ben", "booked"),
        ],
        T0,
        T0 + 7 * D,
    )
    assert svg.count("<rect") == 1 and "#1 Ana" in svg and "#2 Ben" not in svg


def test_board_rows_show_why_the_driver_camera_cannot_see(world):
    s = world
    for vid, health in (("VAN-1", "sunglasses"), ("VAN-2", "ok")):
        s.add(
            VehicleLiveStatus(
                vehicle_id=vid,
                presence="online",
                last_seen=T0,
                driver_state={"monitoring": health == "ok", "active_events": [], "camera_health": health},
                updated_at=T0,
            )
        )
    s.commit()
    rows = {r.vehicle.vehicle_id: r for r in fleet.board(s, DISPATCHER, T0, offline_after_s=120)}
    assert rows["VAN-1"].camera_health == "Camera: eyes hidden by sunglasses"
    assert rows["VAN-1"].driver_state == "Not monitored"
    assert rows["VAN-2"].camera_health is None
