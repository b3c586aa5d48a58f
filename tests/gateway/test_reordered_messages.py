"""Messages of one vehicle applied out of order (two gateways in a shared group, or a vehicle re-sending
what the broker had no subscriber for): the result is the same as in order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.db.models import Alert, VehicleLiveStatus
from gateway.ingest import Ingestor
from tests.support.db import T0
from tests.support.factories import event, later, register, status

EPISODE = [
    event("V1", later(T0, 0), "drowsiness", 1, "start", "a"),
    event("V1", later(T0, 5), "drowsiness", 2, "escalate", "a"),
    event("V1", later(T0, 9), "drowsiness", 0, "end", "a"),
]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_an_alert_episode_applied_in_any_order_opens_at_its_start_and_ends(sessions, clock, order):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    for i in order:  # one batch each, as separate deliveries
        ing.apply([EPISODE[i]])
    with sessions() as db:
        alert = db.scalar(select(Alert).where(Alert.alert_key == "event:V1:a"))
    assert (alert.level, alert.opened_at, alert.ended_at) == (2, T0, later(T0, 9))


def test_status_re_sent_late_goes_to_history_not_to_the_live_view(sessions, clock):
    register(sessions, "V1", now=T0)
    ing = Ingestor(sessions, clock=clock)
    late, newer = status("V1", later(T0, 1), odometer=101, speed=30), status("V1", later(T0, 2), odometer=102)
    assert ing.apply([newer]).applied == 1
    assert ing.apply([late, newer]).applied == 1  # the re-sent `newer` is a duplicate
    with sessions() as db:
        live = db.get(VehicleLiveStatus, "V1")
    assert (live.status_ts, live.odometer_km, live.speed_kmh) == (later(T0, 2), 102, None)


@pytest.mark.parametrize("newer_first", [False, True])
def test_a_rule_point_crossed_is_proposed_whichever_reading_is_applied_first(sessions, clock, newer_first):
    """Two batches of one vehicle applied by parallel workers: the one holding the later readings may
    commit first. Its first reading then sets the baseline beyond the proposal point (9,800 km), and the
    earlier readings, which hold the crossing, arrive as older than the live view. Once lost the
    proposal (tests/gateway/test_e2e.py saw it under load); now both orders give the same one."""
    from gateway.db.models import ServiceAppointment

    register(
        sessions,
        "V1",
        now=T0,
        rules=[
            {"name": "Service", "model": "Van", "type": "km", "start": 10_000, "period": 10_000, "lead": 200}
        ],
    )
    ing = Ingestor(sessions, clock=clock)
    earlier = [status("V1", later(T0, i), odometer=9_700 + 10 * i) for i in range(15)]  # 9,700 .. 9,840
    newer = [status("V1", later(T0, 15 + i), odometer=9_850 + 10 * i) for i in range(15)]
    for batch in (newer, earlier) if newer_first else (earlier, newer):
        ing.apply(batch)
    ing.apply(earlier[3:6])  # re-sent: nothing more
    with sessions() as db:
        appts = db.scalars(select(ServiceAppointment).where(ServiceAppointment.vehicle_id == "V1")).all()
    assert [(a.source, a.due_odometer_km) for a in appts] == [("maintenance_rule", 10_000.0)]
