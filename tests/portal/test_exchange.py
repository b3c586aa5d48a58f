"""The manufacturer exchange format (issue #22): published schemas, round trip, bad-record report, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealer_portal.exchange import transfer
from dealer_portal.exchange.models import ExchangeFile
from dealer_portal.exchange.schema import schemas
from dealer_portal.records import sales, stock
from dealer_portal.records.actor import Forbidden
from dealer_portal.records.tables import Customer
from dealer_portal.sample_data import sample_vin
from dms.errors import UserError
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.portal import ADVISOR, OTHER_ADVISOR, SALES, T0, TECH, seed_world

REPO = Path(__file__).resolve().parents[2]


def test_published_json_schemas_are_current():
    """docs/exchange/v1/*.schema.json are generated: `python -m dealer_portal.exchange.schema docs/exchange`."""
    for name, text in schemas().items():
        committed = REPO / "docs" / "exchange" / name
        assert committed.is_file(), f"{committed} missing"
        assert committed.read_text(encoding="utf-8") == text, f"{committed} is stale"


def _dealer_world(session):
    for serial, status in ((1, "ordered"), (2, "in_stock"), (3, "in_stock")):
        stock.create(
            session,
            ADVISOR,
            vin=sample_vin(serial),
            model="Aurora SUV",
            configuration="1.5T",
            colour="white",
            location="A-0" + str(serial) if status == "in_stock" else "",
            status=status,
            coc_number=f"WDZ{serial}",
            list_price_cents=18_990_000,
            now=T0,
        )
    customer = Customer(dealer_code="D1", name="Li Wei", phone="")
    session.add(customer)
    session.flush()
    lead = sales.create_lead(session, SALES, customer_id=customer.id, interest="SUV", now=T0)
    quote = sales.create_quote(
        session,
        SALES,
        lead.id,
        stock_vehicle_id=stock.by_vin(session, ADVISOR, sample_vin(3)).id,
        options=[],
        threshold_pct=3,
        now=T0,
    )
    sales.sign_order(session, SALES, quote.id, 0, T0)
    session.commit()


@pytest.fixture
def other_db(migrated_template, tmp_path):
    path = tmp_path / "manufacturer-side.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as s:
        seed_world(s)
        yield s
    engine.dispose()


def test_round_trip_export_import_export(world, other_db):
    _dealer_world(world)
    first = transfer.export(world, ADVISOR, T0)
    parsed = ExchangeFile.model_validate(json.loads(transfer.dumps(first)))  # every record valid
    assert [o.status for o in parsed.orders] == ["signed"] and len(parsed.stock) == 3
    report = transfer.import_file(other_db, ADVISOR, transfer.read(transfer.dumps(first)), T0)
    other_db.commit()
    # the reserved vehicle's sale stays with its dealer: reported, not taken over; an order is confirmed
    # only where it exists (the dealer's own database)
    reasons = {r.where: (r.key, r.reason) for r in report.rejected}
    (stock_where,) = (w for w in reasons if w.startswith("stock["))
    assert set(reasons) == {"orders[0]", stock_where}
    assert reasons[stock_where][0] == sample_vin(3) and "reserved" in reasons[stock_where][1]
    assert "no sales order SO-D1-00001 at dealer D1 to confirm" in reasons["orders[0]"][1]
    assert report.accepted["orders"] == 0 and report.created == 2
    second = transfer.export(other_db, ADVISOR, T0)
    assert second["stock"] == [s for s in first["stock"] if s["status"] != "reserved"]
    again = transfer.import_file(other_db, ADVISOR, second, T0)  # importing twice changes nothing
    assert again.ok and again.created == 0 and again.updated == 0


def test_bad_records_are_reported_one_by_one_and_the_good_ones_applied(world):
    good = {"vin": sample_vin(7), "model": "Lumen EV", "status": "in_transit", "coc_number": "C7"}
    document = {
        "format": "dms-dealer-exchange",
        "version": 1,
        "dealer_code": "D1",
        "generated_at": "2026-03-02T08:00:00Z",
        "stock": [
            good,
            {**good, "vin": "LSJA24U30RN000101"},  # wrong check digit
            {"vin": sample_vin(8), "status": "in_stock", "model": "X"},  # in stock without a place
            {**good, "vin": sample_vin(9), "colour": "red", "paint": "metallic"},  # unknown field
            "not a record",
        ],
        "parts_orders": [{"part_number": "OF-100", "quantity": 0}, {"part_number": "OF-100", "quantity": 4}],
        "orders": [{"number": "SO-1"}],
    }
    report = transfer.import_file(world, ADVISOR, transfer.read(json.dumps(document)), T0)
    reasons = {r.where: (r.key, r.reason) for r in report.rejected}
    assert set(reasons) == {"stock[1]", "stock[2]", "stock[3]", "stock[4]", "parts_orders[0]", "orders[0]"}
    assert "check digit" in reasons["stock[1]"][1] and reasons["stock[1]"][0] == "LSJA24U30RN000101"
    assert "yard location" in reasons["stock[2]"][1]
    assert "paint" in reasons["stock[3]"][1]
    assert "quantity" in reasons["parts_orders[0]"][1]
    assert "vin" in reasons["orders[0]"][1] and "model" in reasons["orders[0]"][1]
    assert report.accepted == {"orders": 0, "stock": 1, "warranty_claims": 0, "parts_orders": 1}
    assert stock.by_vin(world, ADVISOR, sample_vin(7)).status == "in_transit"
    text = "\n".join(report.lines())
    assert (
        "rejected: 6" in text
        and "stock[1] LSJA24U30RN000101: vin: VIN LSJA24U30RN000101: check digit" in text
    )


def test_envelope_dealer_and_role_are_checked(world):
    with pytest.raises(UserError, match="not a JSON file"):
        transfer.read(b"\xff{")
    with pytest.raises(UserError, match="version 2 is not supported"):
        transfer.read(json.dumps({"format": "dms-dealer-exchange", "version": 2}))
    document = transfer.export(world, ADVISOR, T0)
    with pytest.raises(UserError, match="for dealer 'D1', not D2"):
        transfer.import_file(world, OTHER_ADVISOR, document, T0)
    with pytest.raises(Forbidden):
        transfer.export(world, TECH, T0)
    with pytest.raises(UserError, match="choose the dealer"):
        from tests.support.portal import ADMIN

        transfer.export(world, ADMIN, T0)


def test_cli_export_then_import_with_a_bad_record(world, db_url, tmp_path):
    _dealer_world(world)
    runner = CliRunner()
    from dealer_portal.exchange.cli import dealer

    out = tmp_path / "d1.json"
    done = runner.invoke(dealer, ["exchange", "export", "--db", db_url, "--dealer", "D1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    document = json.loads(out.read_text(encoding="utf-8"))
    document["stock"].append({"vin": sample_vin(42), "model": "", "status": "ordered"})
    out.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(dealer, ["exchange", "import", "--db", db_url, "--dealer", "D1", str(out)])
    assert result.exit_code == 1
    assert f"stock[3] {sample_vin(42)}: model: String should have at least 1 character" in result.output
    assert "accepted: orders 1, stock 3" in result.output
    missing = runner.invoke(dealer, ["exchange", "export", "--db", db_url, "--dealer", "NOPE"])
    assert missing.exit_code != 0 and "no dealer 'NOPE'" in str(missing.exception or missing.output)


def test_orders_sent_back_by_the_manufacturer_confirm_the_sales_orders(world):
    from dealer_portal.records.sales_tables import SalesOrder

    _dealer_world(world)
    document = transfer.export(world, ADVISOR, T0)
    order = world.query(SalesOrder).one()
    assert order.manufacturer_confirmed_at is None
    tampered = json.loads(transfer.dumps(document))
    tampered["orders"].append({**tampered["orders"][0], "total_cents": 1})
    tampered["orders"].append({**tampered["orders"][0], "vin": sample_vin(2)})
    report = transfer.import_file(world, ADVISOR, tampered, T0)
    assert report.confirmed == 1 and order.manufacturer_confirmed_at == T0
    reasons = {r.where: r.reason for r in report.rejected}
    assert "the confirmation says 1" in reasons["orders[1]"]
    assert f"the confirmation for {sample_vin(2)}" in reasons["orders[2]"]
    assert "sales orders confirmed by the manufacturer: 1" in report.lines()
    assert transfer.import_file(world, ADVISOR, document, T0).confirmed == 0  # once is enough


def test_an_allocation_beyond_the_dealer_credit_is_reported_not_applied(world):
    from dealer_portal.records import credit
    from tests.support.portal import ADMIN

    credit.set_limit(world, ADMIN, "D1", 30_000_000, 90, T0)
    record = {"vin": sample_vin(7), "model": "Lumen EV", "status": "ordered", "list_price_cents": 20_000_000}
    document = {
        "format": "dms-dealer-exchange",
        "version": 1,
        "dealer_code": "D1",
        "generated_at": "2026-03-02T08:00:00Z",
        "stock": [record, {**record, "vin": sample_vin(8)}],
    }
    report = transfer.import_file(world, ADVISOR, document, T0)
    assert report.created == 1 and [r.where for r in report.rejected] == ["stock[1]"]
    assert "credit limit with the manufacturer exceeded" in report.rejected[0].reason
