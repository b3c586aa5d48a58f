"""Where the visual warning goes: a recording a test can read, or an LED on a GPIO pin."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import Any

from dms.errors import UserError


class VisualSink(ABC):
    """Receives the lamp's changes, each stamped with the frame time that caused it."""

    @abstractmethod
    def show(self, t: float, level: int, lit: bool) -> None:
        """From time `t` on, the lamp is `lit` (level: the warning level it shows, 0 none)."""

    def close(self) -> None:
        """Release the output (the lamp goes dark)."""


class RecordingVisualSink(VisualSink):
    """Keeps every change: (t, level, lit). For tests, replays and reports."""

    def __init__(self) -> None:
        self.changes: list[tuple[float, int, bool]] = []
        self.closed = False

    def show(self, t: float, level: int, lit: bool) -> None:
        self.changes.append((t, level, lit))

    def close(self) -> None:
        self.closed = True

    def state_at(self, t: float) -> tuple[int, bool]:
        """(level, lit) as shown at time `t`."""
        shown = [(level, lit) for when, level, lit in self.changes if when <= t + 1e-9]
        return shown[-1] if shown else (0, False)


class GpioLedSink(VisualSink):
    """An LED on a GPIO pin through gpiozero (imported only here: the rest of the edge runs without it).

    gpiozero picks the board's pin library (lgpio, libgpiod via its native factory, RPi.GPIO) or the one
    named by GPIOZERO_PIN_FACTORY; `pin_factory` overrides it (gpiozero's MockFactory in tests)."""

    def __init__(self, pin: int, active_high: bool = True, pin_factory: Any = None):
        try:
            gpiozero = importlib.import_module("gpiozero")
        except ImportError:
            raise UserError(
                "the GPIO warning LED needs gpiozero, which is not installed",
                hint="pip install 'dms-fleet[gpio]' (or set visual.output: off)",
            ) from None
        try:
            self._led = gpiozero.LED(
                pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            )
        except Exception as exc:
            raise UserError(f"cannot drive the warning LED on GPIO {pin}: {exc}") from None

    def show(self, t: float, level: int, lit: bool) -> None:
        if lit:
            self._led.on()
        else:
            self._led.off()

    def close(self) -> None:
        self._led.off()
        self._led.close()
