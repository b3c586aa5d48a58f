"""The exchange format, version 1. One file is a JSON object:

    {"format": "dms-dealer-exchange", "version": 1, "dealer_code": "D1", "generated_at": "...Z",
     "orders": [...], "stock": [...], "warranty_claims": [...], "parts_orders": [...]}

Each list holds records of one kind (the models below; their JSON Schemas are published). Money is in
integer cents of the dealer's currency, times are ISO 8601 in UTC, VINs are 17 characters with the
check digit. A reader validates every record on its own, so one bad record is reported and the others
still count. A new field or kind is a new `version`; readers refuse versions they do not know."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

FORMAT = "dms-dealer-exchange"
VERSION = 1


def _vin(value: str) -> str:
    from dealer_portal.records.stock import vin_check_digit

    if value[8] != vin_check_digit(value):
        raise ValueError(f"VIN {value}: check digit (9th character) should be {vin_check_digit(value)}")
    return value


Vin = Annotated[
    str,
    Field(pattern=r"^[A-HJ-NPR-Z0-9]{17}$", description="17-character VIN with its check digit (ISO 3779)."),
    AfterValidator(_vin),
]
Cents = Annotated[int, Field(ge=0, le=10**12, description="Money in integer cents.")]
Text = Annotated[str, Field(max_length=200)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderRecord(_Record):
    """A dealer's signed sales order of a new vehicle (upload to the manufacturer)."""

    number: str = Field(
        min_length=1, max_length=24, description="Dealer's contract number, e.g. SO-D1-00012."
    )
    vin: Vin
    model: str = Field(min_length=1, max_length=80)
    configuration: str = Field("", max_length=120)
    colour: str = Field("", max_length=40)
    status: Literal["signed", "delivered", "cancelled"]
    signed_at: datetime
    delivered_at: datetime | None = None
    total_cents: Cents
    salesperson: str = Field(min_length=1, max_length=64)


class StockRecord(_Record):
    """A new vehicle of a dealer's stock: downloaded from the manufacturer when allocated or shipped,
    uploaded by the dealer as its stock report."""

    vin: Vin
    model: str = Field(min_length=1, max_length=80)
    configuration: str = Field("", max_length=120)
    colour: str = Field("", max_length=40)
    status: Literal["ordered", "in_transit", "in_stock", "pdi_done", "reserved", "delivered"]
    location: str = Field("", max_length=20, description="Yard location at the dealer.")
    coc_number: str = Field("", max_length=40, description="Certificate of conformity number.")
    list_price_cents: Cents = 0
    arrived_at: datetime | None = Field(None, description="Accepted into the dealer's yard.")


class WarrantyClaimRecord(_Record):
    """A warranty repair the dealer claims from the manufacturer (the warranty lines of a work order)."""

    claim_number: str = Field(
        min_length=1, max_length=24, description="Dealer's reference, e.g. WO-D1-00031."
    )
    vin: str = Field(
        pattern=r"^[A-HJ-NPR-Z0-9]{17}$", description="VIN (vehicles in service may predate check digits)."
    )
    odometer_km: float | None = Field(None, ge=0, le=10_000_000)
    complaint: str = Field("", max_length=2000)
    repaired_at: datetime | None = None
    labour_cents: Cents = 0
    parts_cents: Cents = 0
    amount_cents: Cents = Field(description="labour_cents + parts_cents.")


class PartsOrderRecord(_Record):
    """A line of a parts order to the manufacturer's parts centre."""

    part_number: str = Field(min_length=1, max_length=40)
    name: Text = ""
    quantity: float = Field(gt=0, le=1_000_000)
    unit_cost_cents: Cents = 0


KINDS: dict[str, type[_Record]] = {
    "orders": OrderRecord,
    "stock": StockRecord,
    "warranty_claims": WarrantyClaimRecord,
    "parts_orders": PartsOrderRecord,
}


class ExchangeFile(BaseModel):
    """The whole file. Readers check the envelope first, then each record on its own."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["dms-dealer-exchange"]
    version: Literal[1]
    dealer_code: str = Field(min_length=1, max_length=32, description="The dealer the records are about.")
    generated_at: datetime
    orders: list[OrderRecord] = []
    stock: list[StockRecord] = []
    warranty_claims: list[WarrantyClaimRecord] = []
    parts_orders: list[PartsOrderRecord] = []
