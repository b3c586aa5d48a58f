"""The live projection of one vehicle, and the triggers that read its status stream.

Messages are applied in timestamp order; a message older than what the projection already shows is
kept in the history tables but does not move the live view backwards. Its odometer and engine hours
still count for the maintenance rules, against the newer live values: a crossing is found whichever
reading was applied first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dms.contract import DriverState, Presence, VehicleStatus
from gateway.db.models import MaintenanceRule, Vehicle, VehicleLiveStatus
from gateway.maintenance import Proposals, crossed_occurrence
from gateway.settings import GatewaySettings

LIVE_COLUMNS = tuple(c.name for c in VehicleLiveStatus.__table__.columns)


class LiveRow:
    """A vehicle's live status as a plain mutable row: a batch is applied to these in memory and
    written back with one bulk UPDATE (ORM objects cost a statement per vehicle)."""

    __slots__ = LIVE_COLUMNS

    def __init__(self, values: Sequence):
        """`values`: one per LIVE_COLUMNS, in that order."""
        for name, value in zip(LIVE_COLUMNS, values, strict=True):
            setattr(self, name, value)

    @classmethod
    def empty(cls, vehicle_id: str, now: datetime) -> LiveRow:
        """The row of a vehicle heard from for the first time: nothing known yet."""
        row = cls([None] * len(LIVE_COLUMNS))
        row.vehicle_id, row.updated_at = vehicle_id, now
        return row

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in LIVE_COLUMNS}


def _newer(ts: datetime, current: datetime | None, horizon: datetime) -> bool:
    """Whether `ts` may move the live view from `current`. Beyond the horizon (now plus the allowed
    clock skew) a time is not believed: such a message would freeze the view until then, and one that
    did so before this limit existed is replaced by the next believable message."""
    return ts <= horizon and (current is None or ts >= current or current > horizon)


def apply_presence(live: LiveRow, msg: Presence, horizon: datetime) -> bool:
    if not _newer(msg.ts, live.presence_ts, horizon):
        return False
    live.presence, live.presence_ts = msg.state, msg.ts
    return True


def apply_driver_state(live: LiveRow, msg: DriverState, horizon: datetime) -> bool:
    if not _newer(msg.ts, live.driver_state_ts, horizon):
        return False
    live.driver_state_ts = msg.ts
    live.driver_state = msg.model_dump(
        mode="json",
        include={
            "monitoring",
            "is_eyes_on_road",
            "fatigue_level",
            "distraction_level",
            "attentive_probability",
            "perclos",
            "eye_openness",
            "gaze_zone",
            "active_events",
            "driver_session_id",
            "camera_health",
        },
    )
    return True


class StatusProjector:
    """Moves a vehicle's live status forward and collects the proposals its readings trigger."""

    def __init__(self, settings: GatewaySettings, proposals: Proposals, horizon: datetime):
        self.settings = settings
        self.proposals = proposals
        self.horizon = horizon
        self.severe = frozenset(settings.severe_dtcs)

    def apply(
        self, live: LiveRow, vehicle: Vehicle, rules: list[MaintenanceRule], msg: VehicleStatus
    ) -> bool:
        s = msg.signals
        if not _newer(msg.ts, live.status_ts, self.horizon):
            if live.status_ts is not None and msg.ts < live.status_ts:
                # A reading older than the live view (batches applied in parallel, a re-sent backlog) still
                # says where the vehicle was then: a rule point between it and the live value was crossed in
                # between, whichever of the two was applied first. Proposals are unique per occurrence.
                self._rules(vehicle, rules, "km", s.traveled_distance, live.odometer_km)
                self._rules(vehicle, rules, "engine_hours", s.engine_hours, live.engine_hours)
            return False
        self._rules(vehicle, rules, "km", live.odometer_km, s.traveled_distance)
        self._rules(vehicle, rules, "engine_hours", live.engine_hours, s.engine_hours)
        if s.dtc_list is not None:
            self._dtcs(vehicle, live.dtcs or [], s.dtc_list, msg.ts)
            live.dtcs = list(s.dtc_list)
        if s.low_voltage_battery_voltage is not None:
            live.low_voltage_since = self._battery(
                vehicle, live.low_voltage_since, s.low_voltage_battery_voltage, msg.ts
            )
        live.status_ts = msg.ts
        for column, value in (
            ("latitude", s.latitude),
            ("longitude", s.longitude),
            ("heading", s.heading),
            ("speed_kmh", s.speed),
            ("odometer_km", s.traveled_distance),
            ("fuel_pct", s.fuel_level),
            ("battery_soc_pct", s.traction_battery_soc),
            ("battery_v", s.low_voltage_battery_voltage),
            ("engine_hours", s.engine_hours),
            ("driver_id", msg.driver_id),
        ):
            if value is not None:  # a source reports what it has; keep the last known value of the rest
                setattr(live, column, value)
        return True

    def _rules(
        self, vehicle: Vehicle, rules: list[MaintenanceRule], kind: str, old: float | None, new: float | None
    ) -> None:
        for rule in rules:
            if rule.type == kind:
                k = crossed_occurrence(rule, old, new)
                if k is not None:
                    self.proposals.add_rule(vehicle, rule, k, value=new)

    def _dtcs(self, vehicle: Vehicle, before: list[str], now: list[str], ts: datetime) -> None:
        for code in sorted(set(now) - set(before)):
            if code in self.severe:
                self.proposals.add(
                    vehicle,
                    "dtc",
                    f"dtc:{vehicle.vehicle_id}:{code}:{ts.isoformat()}",
                    f"diagnostic trouble code {code} (severe: service at once)",
                )

    def _battery(
        self, vehicle: Vehicle, since: datetime | None, volts: float, ts: datetime
    ) -> datetime | None:
        if volts >= self.settings.low_voltage_v:
            return None
        since = since or ts
        if ts - since >= timedelta(seconds=self.settings.low_voltage_sustain_s):
            self.proposals.add(
                vehicle,
                "battery",
                f"battery:{vehicle.vehicle_id}:{since.isoformat()}",
                f"low-voltage battery below {self.settings.low_voltage_v:g} V since "
                f"{since.isoformat()} (now {volts:.2f} V)",
            )
        return since
