"""Past vehicle sales written straight into the records (customer, lead, quote, order, the vehicle
delivered), for the statistics and the demand forecast: walking each one through the sales desk would
test the desk again, not the figures."""

from __future__ import annotations

from datetime import datetime

from dealer_portal.records.sales_tables import SalesLead, SalesOrder, SalesQuote, StockVehicle
from dealer_portal.records.tables import Customer
from dealer_portal.sample_data import sample_vin


def past_sale(
    session,
    serial: int,
    *,
    dealer: str,
    model: str,
    at: datetime,
    configuration: str = "",
    colour: str = "",
    price_cents: int = 20_000_000,
    discount_cents: int = 0,
    salesperson: str = "sue",
    status: str = "delivered",
) -> SalesOrder:
    customer = Customer(dealer_code=dealer, name=f"Buyer {serial}", phone="")
    vehicle = StockVehicle(
        dealer_code=dealer,
        vin=sample_vin(serial),
        model=model,
        configuration=configuration,
        colour=colour,
        status="delivered" if status == "delivered" else "in_stock",
        list_price_cents=price_cents,
        arrived_at=at,
        delivered_at=at if status == "delivered" else None,
        pdi_checklist="",
        created_at=at,
        updated_at=at,
    )
    session.add_all([customer, vehicle])
    session.flush()
    lead = SalesLead(
        dealer_code=dealer,
        customer_id=customer.id,
        salesperson=salesperson,
        interest=model,
        status="won",
        created_at=at,
    )
    session.add(lead)
    session.flush()
    quote = SalesQuote(
        lead_id=lead.id,
        stock_vehicle_id=vehicle.id,
        price_cents=price_cents,
        discount_cents=discount_cents,
        created_at=at,
        created_by=salesperson,
    )
    session.add(quote)
    session.flush()
    order = SalesOrder(
        dealer_code=dealer,
        number=f"SO-{dealer}-T{serial:05d}",
        lead_id=lead.id,
        quote_id=quote.id,
        customer_id=customer.id,
        stock_vehicle_id=vehicle.id,
        salesperson=salesperson,
        status=status,
        total_cents=price_cents - discount_cents,
        signed_at=at,
        delivered_at=at if status == "delivered" else None,
    )
    session.add(order)
    session.flush()
    return order
