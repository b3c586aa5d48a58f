"""Turns policy events into the lamp's state, by the frame times only (no clock of its own).

The highest level among open episodes decides: 1 steady, 2 and 3 blink at their rates, counted from
the moment that level began, so the lamp lights on the very frame that decided the warning. Level 0
(recorded only) never lights it. The sink hears only changes.
"""

from __future__ import annotations

import math

from edge.policy.events import END, PolicyEvent
from edge.visual.settings import VisualSettings
from edge.visual.sinks import GpioLedSink, VisualSink


class VisualWarning:
    """`on_event(event)` for each policy event, `advance(t)` every frame, `close()` at the end."""

    def __init__(self, settings: VisualSettings | None, sink: VisualSink):
        self.s = settings or VisualSettings()
        self.sink = sink
        self._open: dict[str, int] = {}
        self._level, self._since = 0, 0.0
        self._shown: tuple[int, bool] = (0, False)
        self._t = 0.0

    def on_event(self, event: PolicyEvent) -> None:
        if event.phase == END or event.level < 1:
            self._open.pop(event.type, None)
        else:
            self._open[event.type] = event.level
        self.advance(event.t)

    def advance(self, t: float) -> None:
        self._t = max(self._t, t)
        level = max(self._open.values(), default=0)
        if level != self._level:
            self._level, self._since = level, self._t
        state = (level, self._lit(self._t - self._since))
        if state != self._shown:
            self._shown = state
            self.sink.show(self._t, *state)

    def _lit(self, elapsed: float) -> bool:
        hz = {2: self.s.level2_blink_hz, 3: self.s.level3_blink_hz}.get(self._level)
        if hz is None:
            return self._level >= 1
        return math.fmod(elapsed * hz + 1e-9, 1.0) < 0.5  # on for the first half of each period

    def close(self) -> None:
        if self._shown != (0, False):
            self.sink.show(self._t, 0, False)
        self.sink.close()


def build_visual_warning(settings: VisualSettings | None) -> VisualWarning | None:
    """The configured lamp, or None when `output` is off."""
    s = settings or VisualSettings()
    if s.output == "off":
        return None
    return VisualWarning(s, GpioLedSink(s.gpio_pin, s.active_high))
