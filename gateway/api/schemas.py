"""What each endpoint answers: the response models the API declares (OpenAPI shows them; FastAPI checks
every answer against them, and a field a view adds without declaring it fails loudly, not silently).

Times are ISO 8601 strings as the views write them (with their UTC offset), not re-serialised.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Iso = str | None
Item = TypeVar("Item")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Items(_Out, Generic[Item]):
    """A list answer."""

    items: list[Item]


class AlertOut(_Out):
    id: int
    kind: str = Field(description="'driver' (a driver event) or 'vehicle' (e.g. low battery, trouble code).")
    vehicle_id: str
    driver_id: str | None
    driver_session_id: str | None = Field(
        description="The vehicle's driver session the alert's episode started in (who was driving)."
    )
    type: str
    level: int
    detail: str | None
    opened_at: Iso
    ended_at: Iso
    acknowledged_by: str | None
    acknowledged_at: Iso


class VehicleOut(_Out):
    vehicle_id: str
    vin: str | None
    plate: str | None
    model: str | None
    purchase_date: Iso
    service_life_years: int | None
    mileage_limit_km: float | None
    dealer_code: str | None
    status: str
    archived: bool
    created_at: Iso
    updated_at: Iso
    online: bool = Field(description="Heard from within the offline window and not gone offline since.")
    presence: str | None
    presence_ts: Iso
    last_seen: Iso
    status_ts: Iso
    latitude: float | None
    longitude: float | None
    heading: float | None
    speed_kmh: float | None
    odometer_km: float | None
    fuel_pct: float | None
    battery_soc_pct: float | None
    battery_v: float | None
    engine_hours: float | None
    dtcs: list[str] | None
    driver_id: str | None
    driver_state: dict[str, Any] | None
    driver_state_ts: Iso
    open_alerts: list[AlertOut]


class EventOut(_Out):
    id: int
    msg_id: str
    vehicle_id: str
    ts: Iso
    type: str
    phase: str
    level: int
    episode_id: str
    driver_id: str | None
    driver_session_id: str | None = Field(description="The vehicle's driver session the event belongs to.")
    speed_kmh: float | None
    latitude: float | None
    longitude: float | None
    details: dict[str, Any]
    t: float | None
    onset_t: float | None
    received_at: Iso


class AppointmentOut(_Out):
    id: int
    vehicle_id: str
    dealer_code: str | None
    source: str
    rule_id: int | None
    due_key: str
    reason: str
    due_odometer_km: float | None
    due_engine_hours: float | None
    due_date: Iso
    status: str
    created_at: Iso
    updated_at: Iso


class RuleOut(_Out):
    id: int
    name: str
    model: str | None
    vehicle_id: str | None
    type: str
    start: float
    period: float
    lead: float
    active: bool
    created_at: Iso


class DeadLetterOut(_Out):
    id: int
    topic: str
    reason: str
    detail: str
    payload_size: int
    payload_text: str = Field(description="The payload as UTF-8, undecodable bytes replaced.")
    payload_b64: str = Field(description="The payload's exact bytes, base64.")
    received_at: Iso


class ChangeOut(_Out):
    id: int
    kind: str
    vehicle_id: str | None
    ref_id: str | None
    created_at: Iso


class Changes(_Out):
    items: list[ChangeOut]
    last_id: int = Field(description="Give it as `after` next time.")


class TokenOut(_Out):
    access_token: str
    token_type: str
    expires_in: int = Field(description="Seconds.")


class MeOut(_Out):
    username: str
    role: str
    dealer_code: str | None


class LiveIn(BaseModel):
    """A live-view request (the body is optional)."""

    model_config = ConfigDict(extra="forbid")
    seconds: float | None = Field(
        None, gt=0, le=3600, description="How long, seconds (default: the gateway's live_view_s)."
    )


class LiveOut(_Out):
    vehicle_id: str
    msg_id: str = Field(description="The command sent on dms/v1/<vehicle_id>/cmd.")
    seconds: float
    until: Iso = Field(
        description="When the vehicle falls back to its usual cadence (its clock bounds it too)."
    )
