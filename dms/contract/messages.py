"""Pydantic models of every MQTT payload between vehicle and back office (schema version 1).

Every message carries the same envelope: `schema_version`, a unique `msg_id` (the de-duplication key
end to end: outbox, broker, gateway), the `vehicle_id` it is about, its `kind` and a UTC timestamp
`ts`. Vehicle signals use COVESA VSS names (pinned to VSS_VERSION) on the wire and snake_case
attributes in code.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SCHEMA_VERSION = 1
VSS_VERSION = "4.0"
VEHICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_VEHICLE_ID_RE = re.compile(VEHICLE_ID_PATTERN)


def is_valid_vehicle_id(value: str) -> bool:
    return bool(_VEHICLE_ID_RE.match(value))


# A received timestamp outside these is a broken clock or a forgery (year 9999 once froze a vehicle's
# live view): the codec rejects it. Senders are not checked, so a device whose clock has not been set
# (1970) still builds its messages and warns its driver; the gateway keeps them as dead letters.
TS_MIN = datetime(2000, 1, 1, tzinfo=UTC)
TS_MAX = datetime(2100, 1, 1, tzinfo=UTC)
_RFC3339_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _require_text(value: object) -> object:
    """On the wire a timestamp is an RFC 3339 string; pydantic alone would also take a number (Unix
    seconds) or a string of digits, which the schema does not allow."""
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339_START.match(value)):
        return value
    raise ValueError("timestamp must be an RFC 3339 string with a timezone, e.g. 2026-01-01T12:00:00Z")


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC, e.g. 2026-01-01T12:00:00Z)")
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, BeforeValidator(_require_text), AfterValidator(_require_utc)]


def _finite_or_none(details: dict) -> dict:
    """NaN and infinities have no JSON form (PostgreSQL refuses them in a json column): a measurement
    that is not a number is no measurement. Sanitised rather than refused, so that a sender's odd
    reading never costs it the event."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in details.items()}


VehicleId = Annotated[
    str,
    Field(
        pattern=VEHICLE_ID_PATTERN,
        description=(
            "Fleet-unique vehicle identifier: letters, digits, '_', '-', '.'; 1-64 characters; "
            "it is also the vehicle's MQTT topic level and broker user name."
        ),
    ),
]


DriverSessionId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description=(
            "The driver session the vehicle was in: a new one begins whenever the person in the seat may have "
            "changed (see the driver_change event). An opaque id made on the vehicle; it identifies nobody."
        ),
    ),
]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_msg_id() -> str:
    return uuid.uuid4().hex


class Kind(str, Enum):
    """The topic suffix of each message kind: dms/v1/<vehicle_id>/<kind>."""

    EVENT = "event"
    STATE = "state"
    STATUS = "status"
    PRESENCE = "presence"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, use_enum_values=True, ser_json_inf_nan="null"
    )


class Envelope(_Model):
    """Fields every message carries."""

    schema_version: Literal[1] = Field(
        SCHEMA_VERSION,
        description=("Version of this contract. A receiver rejects versions it does not know."),
    )
    msg_id: str = Field(
        default_factory=new_msg_id,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description=("Unique id of this message; receivers apply a given msg_id at most once."),
    )
    vehicle_id: VehicleId
    ts: UtcDateTime = Field(
        default_factory=utc_now,
        description=(
            "When the message was created: RFC 3339 with a timezone, UTC. A receiver rejects times before "
            "2000-01-01 or from 2100-01-01 on, and the gateway those too far ahead of its own clock."
        ),
    )

    def timestamp_problem(self) -> str | None:
        """Why this message's times cannot be true (one line), or None."""
        for name, value in self._timestamps():
            if value is not None and not TS_MIN <= value < TS_MAX:
                return (
                    f"{name}: {value.isoformat()} is outside {TS_MIN.date().isoformat()} .. "
                    f"{TS_MAX.date().isoformat()}"
                )
        return None

    def _timestamps(self) -> list[tuple[str, datetime | None]]:
        return [("ts", self.ts)]


# --------------------------------------------------------------------------------------------
# Driver events and alerts
# --------------------------------------------------------------------------------------------


class DriverEventType(str, Enum):
    """Driver states the in-vehicle policy reports (Euro NCAP names)."""

    MICROSLEEP = "microsleep"
    SLEEP = "sleep"
    DROWSINESS = "drowsiness"
    YAWNING = "yawning"
    LONG_DISTRACTION = "long_distraction"
    VATS = "vats"
    PHONE_USE = "phone_use"
    UNRESPONSIVE = "unresponsive"
    NOT_MONITORING = "not_monitoring"
    DRIVER_CHANGE = "driver_change"
    """Not a driver state: the person in the seat may have changed and a new driver session began
    (`episode_id` and `driver_session_id` are the new session's id; level 0, never an alert)."""


class EventPhase(str, Enum):
    """Where in its episode an event message stands."""

    START = "start"
    ESCALATE = "escalate"
    END = "end"


class GeoPoint(_Model):
    latitude: float = Field(ge=-90, le=90, description="WGS84 latitude, degrees.")
    longitude: float = Field(ge=-180, le=180, description="WGS84 longitude, degrees.")


class DriverEvent(Envelope):
    """A driver-state event raised by the in-vehicle policy (an alert while `level` > 0)."""

    kind: Literal["event"] = "event"
    type: DriverEventType = Field(description="The driver state detected.")
    phase: EventPhase = Field(
        EventPhase.START,
        description=("start: episode begins; escalate: warning level raised; end: attention restored."),
    )
    level: int = Field(
        ge=0,
        le=3,
        description=(
            "In-cab warning level: 0 recorded only, 1 chime, 2 repeated louder tone, "
            "3 continuous tone with spoken message."
        ),
    )
    episode_id: str = Field(
        min_length=1, max_length=64, description=("Groups the start/escalate/end messages of one episode.")
    )
    t: float | None = Field(
        None,
        ge=0,
        description=(
            "Seconds from the start of the source (clip timeline or device uptime) at which the policy decided."
        ),
    )
    onset_t: float | None = Field(
        None, ge=0, description="Seconds (same timeline) at which the condition began."
    )
    driver_id: str | None = Field(None, max_length=64, description="Driver identifier when known.")
    driver_session_id: DriverSessionId | None = None
    speed_kmh: float | None = Field(None, ge=0, le=400, description="Vehicle speed at decision time, km/h.")
    location: GeoPoint | None = Field(None, description="Position at decision time, when known.")
    details: Annotated[dict[str, float | int | str | bool | None], AfterValidator(_finite_or_none)] = Field(
        default_factory=dict,
        description=(
            "Measurements behind the decision (e.g. closure_s, perclos, off_road_s); a value that is not a "
            "finite number is null."
        ),
    )


# --------------------------------------------------------------------------------------------
# Driver-state samples (VSS Vehicle.Driver branch plus measurements)
# --------------------------------------------------------------------------------------------


class GazeZone(str, Enum):
    ROAD = "road"
    LEFT_MIRROR = "left_mirror"
    RIGHT_MIRROR = "right_mirror"
    REAR_MIRROR = "rear_mirror"
    CLUSTER = "cluster"
    INFOTAINMENT = "infotainment"
    LAP = "lap"
    LEFT_WINDOW = "left_window"
    RIGHT_WINDOW = "right_window"
    UNKNOWN = "unknown"


class DriverState(Envelope):
    """A periodic summary of the driver's state (default once a second)."""

    kind: Literal["state"] = "state"
    monitoring: bool = Field(description="False while the face or eyes cannot be measured.")
    is_eyes_on_road: bool | None = Field(
        None, alias="Vehicle.Driver.IsEyesOnRoad", description="VSS: driver's eyes on the road."
    )
    fatigue_level: float | None = Field(
        None, ge=0, le=100, alias="Vehicle.Driver.FatigueLevel", description="VSS: fatigue, percent."
    )
    distraction_level: float | None = Field(
        None, ge=0, le=100, alias="Vehicle.Driver.DistractionLevel", description="VSS: distraction, percent."
    )
    attentive_probability: float | None = Field(
        None,
        ge=0,
        le=100,
        alias="Vehicle.Driver.AttentiveProbability",
        description="VSS: probability the driver is attentive, percent.",
    )
    perclos: float | None = Field(
        None, ge=0, le=1, description="Share of the last 60 s with eyes >= 80 % closed."
    )
    eye_openness: float | None = Field(
        None, ge=0, le=2, description="Eye openness relative to the driver's baseline."
    )
    gaze_zone: GazeZone | None = Field(None, description="Where the driver looks.")
    head_yaw_deg: float | None = Field(None, ge=-180, le=180)
    head_pitch_deg: float | None = Field(None, ge=-180, le=180)
    head_roll_deg: float | None = Field(None, ge=-180, le=180)
    active_events: list[DriverEventType] = Field(default_factory=list, description="Episodes now active.")
    fps: float | None = Field(None, ge=0, le=1000, description="Frames processed per second.")
    driver_session_id: DriverSessionId | None = None
    camera_health: (
        Literal[
            "ok",
            "camera_dark",
            "illuminator_failure",
            "lens_covered",
            "camera_misaimed",
            "lens_dirty",
            "sunglasses",
        ]
        | None
    ) = Field(
        None,
        description=(
            "Whether the driver camera can see the driver: ok, or why not (picture dark, infrared "
            "illuminator failed, lens covered, camera badly aimed: face cut by the frame edge or off-centre, "
            "lens dirty: the face blurred or hazy, eyes hidden by sunglasses); absent from vehicles that "
            "do not report it or before monitoring."
        ),
    )


# --------------------------------------------------------------------------------------------
# Vehicle status (VSS names on the wire)
# --------------------------------------------------------------------------------------------


class VehicleSignals(_Model):
    """A snapshot of vehicle signals. Every field is optional: a source reports what it has."""

    speed: float | None = Field(None, ge=0, le=400, alias="Vehicle.Speed", description="km/h")
    traveled_distance: float | None = Field(
        None, ge=0, le=10_000_000, alias="Vehicle.TraveledDistance", description="Odometer, km"
    )
    latitude: float | None = Field(
        None, ge=-90, le=90, alias="Vehicle.CurrentLocation.Latitude", description="degrees, WGS84"
    )
    longitude: float | None = Field(
        None, ge=-180, le=180, alias="Vehicle.CurrentLocation.Longitude", description="degrees, WGS84"
    )
    heading: float | None = Field(
        None, ge=0, le=360, alias="Vehicle.CurrentLocation.Heading", description="degrees from north"
    )
    location_timestamp: UtcDateTime | None = Field(
        None, alias="Vehicle.CurrentLocation.Timestamp", description="time of the GNSS fix, UTC"
    )
    fuel_level: float | None = Field(
        None, ge=0, le=100, alias="Vehicle.Powertrain.FuelSystem.RelativeLevel", description="percent"
    )
    traction_battery_soc: float | None = Field(
        None,
        ge=0,
        le=100,
        alias="Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
        description="percent",
    )
    low_voltage_battery_voltage: float | None = Field(
        None, ge=0, le=60, alias="Vehicle.LowVoltageBattery.CurrentVoltage", description="V"
    )
    engine_hours: float | None = Field(
        None, ge=0, le=1_000_000, alias="Vehicle.Powertrain.CombustionEngine.EngineHours", description="h"
    )
    engine_speed: float | None = Field(
        None, ge=0, le=20_000, alias="Vehicle.Powertrain.CombustionEngine.Speed", description="rpm"
    )
    coolant_temperature: float | None = Field(
        None, ge=-60, le=250, alias="Vehicle.Powertrain.CombustionEngine.ECT", description="degrees Celsius"
    )
    dtc_list: list[Annotated[str, Field(pattern=r"^[PCBU][0-9A-F]{4}$")]] | None = Field(
        None,
        alias="Vehicle.Diagnostics.DTCList",
        max_length=64,
        description="Active diagnostic trouble codes (e.g. P0301)",
    )
    distance_to_service: float | None = Field(
        None, alias="Vehicle.Service.DistanceToService", description="km; negative when overdue"
    )
    time_to_service: float | None = Field(
        None, alias="Vehicle.Service.TimeToService", description="s; negative when overdue"
    )
    is_moving: bool | None = Field(None, alias="Vehicle.IsMoving")


class VehicleStatus(Envelope):
    """Vehicle status sample, sent at a fixed rate (default 1 Hz) and on significant change."""

    kind: Literal["status"] = "status"
    vss_version: Literal["4.0"] = Field(
        VSS_VERSION, description="COVESA VSS release the names and units follow."
    )
    signals: VehicleSignals
    driver_id: str | None = Field(None, max_length=64, description="Driver identifier when known.")
    driver_session_id: DriverSessionId | None = None
    illuminator: Literal["off", "on", "strobe"] | None = Field(
        None,
        description=(
            "The driver camera's infrared illuminator: off, on (steady) or strobe (lit with each exposure); "
            "absent when the vehicle has none."
        ),
    )

    def _timestamps(self) -> list[tuple[str, datetime | None]]:
        return [
            *super()._timestamps(),
            ("signals.Vehicle.CurrentLocation.Timestamp", self.signals.location_timestamp),
        ]


# --------------------------------------------------------------------------------------------
# Presence
# --------------------------------------------------------------------------------------------


class PresenceState(str, Enum):
    ONLINE = "online"
    OFFLINE = "offline"


class Presence(Envelope):
    """Retained online/offline marker; the offline one is registered as the MQTT last will."""

    kind: Literal["presence"] = "presence"
    state: PresenceState
    software_version: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=200, description="Why the vehicle went offline, when known.")


# --------------------------------------------------------------------------------------------
# Commands to a vehicle (back office -> vehicle, on dms/v1/<vehicle_id>/cmd)
# --------------------------------------------------------------------------------------------

LIVE_MAX_S = 3600.0


class LiveRequest(Envelope):
    """A dispatcher opened the vehicle's live view: send driver state and status every second until
    `ts` + `seconds` (the vehicle also bounds it by its own `telemetry.live_max_s`), then fall back to
    the usual cadence by itself. A request that has run out when it arrives is ignored; a new one replaces
    the one running."""

    kind: Literal["cmd"] = "cmd"
    command: Literal["live"] = "live"
    seconds: float = Field(gt=0, le=LIVE_MAX_S, description="How long the detail lasts from `ts`, seconds.")


Message = DriverEvent | DriverState | VehicleStatus | Presence
MODELS: dict[str, type[Envelope]] = {
    Kind.EVENT.value: DriverEvent,
    Kind.STATE.value: DriverState,
    Kind.STATUS.value: VehicleStatus,
    Kind.PRESENCE.value: Presence,
}
