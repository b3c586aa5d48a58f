"""The 'take a break' advisory: after repeated level-3 warnings in one drive, the warning says so.

Why: one level-3 warning can be a lapse; being brought to level 3 again and again in the same drive
means the driver is no longer fit to go on (openpilot locks its driver out after 3 terminal alerts).
We cannot stop the car, so the level-3 event carries `details.advice = "take_a_break"` and the in-cab
audio speaks that advice after the warning's own prompt. A rest (the vehicle below the monitoring speed
long enough) starts a new drive. Like every stage, fed with explicit times only.
"""

from __future__ import annotations

from dataclasses import replace

from dms.contract.messages import DriverEventType as T
from edge.policy.events import END, PolicyEvent
from edge.policy.settings import PolicySettings

TAKE_A_BREAK = "take_a_break"
"""The `details.advice` value (and the audio prompt's key)."""
NOT_COUNTED = {T.NOT_MONITORING.value}
"""A blocked camera is not a sign of an unfit driver."""


class BreakAdvisor:
    """Counts level-3 incidents (a return to no level-3 episode ends one) and marks the advisory."""

    def __init__(self, settings: PolicySettings):
        self.s = settings
        self.incidents = 0
        self._at_level3 = False
        self._resting_since: float | None = None

    def parked(self, t: float) -> None:
        """A frame below the monitoring speed: a long enough rest starts a new drive."""
        if self._resting_since is None:
            self._resting_since = t
        if t - self._resting_since >= self.s.break_rest_s:
            self.incidents = 0
        self._at_level3 = False

    def update(self, t: float, active: dict[str, int], events: list[PolicyEvent]) -> list[PolicyEvent]:
        """This frame's events, the first one reaching level 3 marked when the advisory is due."""
        self._resting_since = None
        at_level3 = any(level >= 3 for kind, level in active.items() if kind not in NOT_COUNTED)
        new_incident = at_level3 and not self._at_level3
        self._at_level3 = at_level3
        if not new_incident:
            return events
        self.incidents += 1
        if self.incidents < self.s.break_advisory_after:
            return events
        out, marked = [], False
        for e in events:
            if not marked and e.phase != END and e.level >= 3 and e.type not in NOT_COUNTED:
                advice = {"advice": TAKE_A_BREAK, "level3_warnings": self.incidents}
                e = replace(e, details={**e.details, **advice})
                marked = True
            out.append(e)
        return out
