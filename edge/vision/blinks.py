"""Blink events (start, end, duration) from the per-frame closure sequence.

A blink is the whole lid movement: it starts at the first frame whose closure rises above
`onset_closure` and ends at the last frame before the lids are back below it. It is confirmed (gets
an id) only when its peak closure reaches `confirm_closure`, so lid flutter and landmark noise do
not count. Long closures (microsleep, sleep) are the same kind of event, only longer: the policy
reads their duration. Frames where the eyes cannot be judged are bridged for up to `max_gap_s`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from dms.settings import Settings
from edge.signals import BlinkEvent


class BlinkSettings(Settings):
    """When a closure counts as a blink."""

    onset_closure: float = Field(
        0.30, ge=0, le=1, description="Closure at which the lid movement of a blink starts / has ended."
    )
    confirm_closure: float = Field(
        0.50, ge=0, le=1, description="Peak closure a movement must reach to count as a blink."
    )
    max_gap_s: float = Field(
        0.25, ge=0, description="Unmeasurable frames inside a blink are bridged for at most this long."
    )

    @model_validator(mode="after")
    def _onset_before_confirm(self) -> BlinkSettings:
        if self.onset_closure > self.confirm_closure:  # a blink would end before it could be confirmed
            raise ValueError(
                f"onset_closure ({self.onset_closure:g}) must not be above confirm_closure "
                f"({self.confirm_closure:g})"
            )
        return self


@dataclass(frozen=True, slots=True)
class BlinkUpdate:
    blink_id: int
    """Id of the confirmed blink this frame belongs to, -1 otherwise."""
    ended: BlinkEvent | None = None
    """The blink that finished with the previous frame (reported on the first frame after it)."""


class BlinkDetector:
    """Feed closure per frame in time order; reports confirmed blinks with their time span."""

    def __init__(self, settings: BlinkSettings | None = None, first_id: int = 1):
        self.settings = settings or BlinkSettings()
        self._next_id = first_id
        self.reset()

    def reset(self) -> None:
        self._start: tuple[float, int] | None = None  # (t, frame) of the movement's first frame
        self._last: tuple[float, int] | None = None  # last frame above onset
        self._id = -1  # id once confirmed

    def update(self, t: float, frame: int, closure: float | None) -> BlinkUpdate:
        """Closure of the frame captured at `t` (None when the eyes could not be judged)."""
        s = self.settings
        if closure is None:
            if self._start is not None and t - self._last[0] > s.max_gap_s:
                return BlinkUpdate(-1, self._close())
            return BlinkUpdate(self._id)
        if closure >= s.onset_closure:
            if self._start is None:
                self._start = (t, frame)
            self._last = (t, frame)
            if self._id < 0 and closure >= s.confirm_closure:
                self._id = self._next_id
                self._next_id += 1
            return BlinkUpdate(self._id)
        return BlinkUpdate(-1, self._close() if self._start is not None else None)

    def finish(self) -> BlinkEvent | None:
        """End of stream: report a blink still in progress (e.g. eyes closed when the clip stops)."""
        return self._close()

    def _close(self) -> BlinkEvent | None:
        start, last, blink_id = self._start, self._last, self._id
        self.reset()
        if start is None or blink_id < 0:
            return None
        return BlinkEvent(
            blink_id=blink_id, start_t=start[0], end_t=last[0], start_frame=start[1], end_frame=last[1]
        )
