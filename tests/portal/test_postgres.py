"""The portal's migration, sample world, service flow and KPI queries on PostgreSQL (as in production)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from dealer_portal.migrate import upgrade
from dealer_portal.records import (
    customers,
    dispatch,
    finance_kpis,
    fleet,
    invoices,
    kpis,
    parts,
    purchasing,
    scrapping,
    warranty,
)
from dealer_portal.records import service_flow as flow
from dealer_portal.sample_data import ADMIN, ADVISOR, DISPATCHER, seed_sample
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import scratch_pg_database

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.slow  # a database of its own: about 8 s with migrations


@pytest.fixture
def portal_pg():
    """A database of its own (the session's shared one holds other tests' vehicles), portal tree applied."""
    with scratch_pg_database() as url:
        upgrade(url)
        yield url


def test_sample_world_and_a_service_flow_on_postgresql(portal_pg):
    engine = make_engine(portal_pg)
    try:
        with make_sessionmaker(engine)() as db:
            seed_sample(db, NOW, password_rounds=4)
            (order,) = [o for o in flow.list_orders(db, ADVISOR) if o.state == "proposed"]
            filter_id = next(p.id for p in parts.catalogue(db, ADVISOR) if p.number == "OF-100")
            flow.confirm_proposal(db, ADVISOR, order.id, NOW, NOW)
            flow.receive(db, ADVISOR, order.id, complaint="oil service", odometer_km=61_300, now=NOW)
            flow.add_item(db, ADVISOR, order.id, kind="part", part_id=filter_id, quantity=1, now=NOW)
            flow.estimate(db, ADVISOR, order.id, NOW)
            flow.open_work_order(db, ADVISOR, order.id, NOW)
            flow.assign(db, ADVISOR, order.id, "tim", NOW)
            flow.issue_parts(db, ADVISOR, order.id, NOW)
            flow.quality_check(db, ADVISOR, order.id, passed=True, note="", now=NOW)
            assert flow.settle(db, ADVISOR, order.id, NOW + timedelta(hours=2)).invoice_cents == 1500
            db.commit()
            assert kpis.comeback_rate(db, ADMIN).total == 8
            assert kpis.inventory_turnover(db, ADMIN, NOW).issued_cost_cents > 0
            assert len(kpis.events_per_1000_km(db, ADMIN, NOW)) == 6
            assert len(fleet.board(db, DISPATCHER, NOW, offline_after_s=120)) == 6
            assert [f.vehicle.vehicle_id for f in scrapping.flagged(db, DISPATCHER, NOW.date())] == ["VAN-4"]
            assert dispatch.conflicts(db, "VAN-3", NOW, NOW + timedelta(days=1))
            # issue #21's queries on PostgreSQL: customer search, invoices, figures, purchasing
            assert [c.name for c in customers.search(db, ADVISOR, "1234567")] == ["Spree Logistics GmbH"]
            assert invoices.for_order(db, ADVISOR, order.id).number == "D1-2026-000008"
            period = finance_kpis.Period.of_dates(NOW.date() - timedelta(days=365), NOW.date())
            figures = finance_kpis.figures(db, ADVISOR, period)
            assert figures.invoices == 8 and figures.turnover_per_year is not None
            assert purchasing.order_from_reorder_list(db, ADVISOR, NOW)
            assert warranty.create(db, ADVISOR, warranty.claimable(db, ADVISOR)[0].id, NOW).claimed_cents > 0
            db.commit()
            db.execute(
                text(
                    "TRUNCATE dealers, users, vehicles, service_appointments, alerts, driver_events, "
                    "odometer_log, vehicle_live_status, changes RESTART IDENTITY CASCADE"
                )
            )
            db.commit()
    finally:
        engine.dispose()
