"""What the policy emits: one value per episode change (start, escalate, end)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dms.contract.messages import DriverEvent, DriverEventType, EventPhase

# In-cab warning level of each state when it starts (0 recorded, 1 chime, 2 repeated louder tone,
# 3 continuous tone with a spoken message). Closure is more urgent than a glance: eyes that stay
# shut see nothing, so microsleep starts at 2 and sleep / unresponsive go straight to 3. One yawn is
# recorded only: it counts into drowsiness, which is what warns.
START_LEVEL: dict[str, int] = {
    DriverEventType.NOT_MONITORING.value: 1,
    DriverEventType.DROWSINESS.value: 1,
    DriverEventType.YAWNING.value: 0,
    DriverEventType.LONG_DISTRACTION.value: 1,
    DriverEventType.VATS.value: 1,
    DriverEventType.MICROSLEEP.value: 2,
    DriverEventType.SLEEP.value: 3,
    DriverEventType.UNRESPONSIVE.value: 3,
    DriverEventType.DRIVER_CHANGE.value: 0,
    DriverEventType.PHONE_USE.value: 1,
}

START = EventPhase.START.value
ESCALATE = EventPhase.ESCALATE.value
END = EventPhase.END.value


@dataclass(frozen=True)
class PolicyEvent:
    """A change in one episode of a driver state, stamped with the frame time that decided it."""

    type: str
    """A `DriverEventType` value (microsleep, sleep, drowsiness, ...)."""
    phase: str
    """An `EventPhase` value: start, escalate or end."""
    level: int
    """0 recorded only (below the warning speed), 1..3 in-cab warning level."""
    t: float
    """Frame time at which the policy decided, seconds on the source timeline."""
    onset_t: float
    """Frame time at which the condition began (e.g. the first closed frame)."""
    episode_id: str
    details: dict[str, Any] = field(default_factory=dict)
    """Measurements behind the decision (closure_s, off_road_s, perclos, ...)."""
    session_id: str | None = None
    """The driver session (edge.session) the episode belongs to."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (one line of an events.jsonl)."""
        return asdict(self)

    def to_message(self, vehicle_id: str, **extra: Any) -> DriverEvent:
        """The wire-contract message for this event (extra: driver_id, speed_kmh, location, ts...)."""
        return DriverEvent(
            vehicle_id=vehicle_id,
            type=self.type,
            phase=self.phase,
            level=self.level,
            episode_id=self.episode_id,
            t=max(self.t, 0.0),
            onset_t=max(self.onset_t, 0.0),
            details=self.details,
            **{"driver_session_id": self.session_id, **extra},
        )
