"""Stock, a sale to delivery, a shipment and the exchange on PostgreSQL (issue #22), over the sample world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dealer_portal.exchange import transfer
from dealer_portal.migrate import upgrade
from dealer_portal.records import logistics, sales, sales_stats, stock
from dealer_portal.records.actor import Actor
from dealer_portal.records.tables import Customer
from dealer_portal.sample_data import ADVISOR, sample_vin, seed_sample
from gateway.db.models import Vehicle
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.db import scratch_pg_database

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.slow

SALES = Actor("sue", "salesperson", "D1")  # a sample user


def test_sale_shipment_and_exchange_on_postgresql():
    with scratch_pg_database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as db:
                seed_sample(db, NOW, password_rounds=4)
                assert stock.ageing(db, ADVISOR, NOW).oldest_days == 118
                assert [v.vin for v in db.scalars(stock.query(ADVISOR, text="a-0", sort="vin"))][:1]
                customer = db.query(Customer).filter_by(dealer_code="D1").first()
                lead = sales.create_lead(db, SALES, customer_id=customer.id, interest="SUV", now=NOW)
                vehicle = stock.by_vin(db, ADVISOR, sample_vin(103))
                quote = sales.create_quote(
                    db,
                    SALES,
                    lead.id,
                    stock_vehicle_id=vehicle.id,
                    options=[],
                    threshold_pct=Decimal(3),
                    now=NOW,
                )
                order = sales.sign_order(db, SALES, quote.id, 0, NOW)
                sales.deliver(
                    db,
                    SALES,
                    order.id,
                    vehicle_id="SUV-103",
                    plate="B-X 1",
                    odometer_km=3,
                    received_by="fleet manager",
                    checked=set(sales.HANDOVER_ITEMS),
                    now=NOW,
                )
                shipment = logistics.create(
                    db, ADVISOR, waybill="w1", carrier="c", vins=[sample_vin(104)], eta=None, now=NOW
                )
                logistics.receive(
                    db,
                    ADVISOR,
                    shipment.id,
                    {shipment.items[0].id: logistics.Finding("C-1", "dent", 500)},
                    NOW,
                )
                db.commit()
                assert db.get(Vehicle, "SUV-103").vin == sample_vin(103)
                later = NOW + timedelta(days=1)
                assert sales_stats.stats(db, SALES, later, 30, Decimal(1)).completion_rate == 1.0
                document = transfer.export(db, ADVISOR, later)
                assert transfer.import_file(db, ADVISOR, document, later).accepted["orders"] == 1
        finally:
            engine.dispose()
