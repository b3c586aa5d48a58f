"""The driver camera's near-infrared illuminator (850/940 nm LEDs): settings, a real driver and a fake.

`Illuminator` is the interface: `switch(t, on)`, `pulse(t, exposure_us)` once per frame while lit,
`state`, `close()`. Two modes:

- `steady`: the LEDs are lit continuously while monitoring (the pin high, or a PWM duty for a
  dimmable driver).
- `strobe`: the LEDs light only while the sensor exposes. Software cannot time a pulse to a sensor's
  exposure window, so the camera's strobe / flash output (where the camera offers one: most global-
  shutter infrared modules, OV9281, AR0144, IMX296's XTRIG) gates the LED driver in hardware, and our
  pin is the driver's enable, held on while monitoring. `pulse` records the exposure each frame was
  taken with, which is the pulse length the camera's strobe gives: the state says what the LEDs do.

`GpioIlluminator` drives the pin through gpiozero (lgpio on a Pi 5, RPi.GPIO or lgpio on older Pis;
with `gpio_chip`, a line of any /dev/gpiochipN through lgpio, as on a Jetson; `pin_factory` overrides
it, gpiozero's MockFactory in tests).
`RecordingIlluminator` is the fake a test reads.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import Field, model_validator

from dms.errors import UserError
from dms.settings import Settings

OFF, ON, STROBE = "off", "on", "strobe"


class IlluminatorSettings(Settings):
    """How the infrared illuminator is wired and driven."""

    output: Literal["none", "gpio", "pwm"] = "none"
    """'gpio': an enable pin, on/off; 'pwm': a PWM pin whose duty sets the LED current (a dimmable
    driver); 'none': no illuminator (a colour camera, or one whose LEDs are not ours to drive)."""
    gpio_pin: int = Field(18, ge=0, le=1023)
    """GPIO number of the enable / PWM pin (BCM numbering on a Raspberry Pi, 18 is a hardware PWM pin;
    with `gpio_chip`, the line offset on that chip as `gpioinfo` lists it)."""
    gpio_chip: int | None = Field(None, ge=0, le=64)
    """Drive line `gpio_pin` of /dev/gpiochipN through the kernel's GPIO character device (gpiozero's
    lgpio factory, the interface libgpiod uses): boards without BCM numbering, e.g. a Jetson.
    None: gpiozero's default pin numbering."""
    active_high: bool = True
    """True: pin high = LEDs on; False: the driver's enable is active low."""
    mode: Literal["steady", "strobe"] = "steady"
    """'strobe': the camera's strobe output gates the LEDs during each exposure (wire it to the LED
    driver's gate input); 'steady': lit all the time while monitoring."""
    pwm_hz: float = Field(20_000.0, ge=100, le=100_000)
    """PWM frequency with output 'pwm' (well above a camera's line rate, or the picture shows bands)."""
    duty: float = Field(1.0, gt=0, le=1.0)
    """PWM duty (share of full current) with output 'pwm'; 1 with output 'gpio'."""

    @model_validator(mode="after")
    def _duty_needs_pwm(self) -> IlluminatorSettings:
        if self.duty < 1.0 and self.output != "pwm":
            raise ValueError("duty below 1 needs output: pwm (an enable pin is only on or off)")
        return self


class Illuminator(ABC):
    """Receives the illuminator's changes, each stamped with the frame time that caused it."""

    strobe: bool = False

    def __init__(self) -> None:
        self.lit = False
        self.last_pulse_us: float | None = None

    @property
    def state(self) -> str:
        """'off', 'on' (steady) or 'strobe' (lit with each exposure)."""
        return OFF if not self.lit else STROBE if self.strobe else ON

    def switch(self, t: float, on: bool) -> None:
        if on != self.lit:
            self.lit = on
            self._drive(t, on)

    def pulse(self, t: float, exposure_us: float | None) -> None:
        """One frame taken while lit; with a strobe, its exposure is the LEDs' pulse."""
        if self.lit and self.strobe:
            self.last_pulse_us = exposure_us
            self._pulsed(t, exposure_us)

    @abstractmethod
    def _drive(self, t: float, on: bool) -> None:
        """Set the output."""

    def _pulsed(self, t: float, exposure_us: float | None) -> None:
        """A strobe pulse went out (the hardware made it; the fake records it)."""

    def close(self) -> None:
        """Switch off and release the output."""


class RecordingIlluminator(Illuminator):
    """The fake: keeps every switch (t, lit) and every strobe pulse (t, exposure_us)."""

    def __init__(self, strobe: bool = False) -> None:
        super().__init__()
        self.strobe = strobe
        self.switches: list[tuple[float, bool]] = []
        self.pulses: list[tuple[float, float | None]] = []
        self.closed = False

    def _drive(self, t: float, on: bool) -> None:
        self.switches.append((t, on))

    def _pulsed(self, t: float, exposure_us: float | None) -> None:
        self.pulses.append((t, exposure_us))

    def close(self) -> None:
        self.switch(self.switches[-1][0] if self.switches else 0.0, False)
        self.closed = True


class GpioIlluminator(Illuminator):
    """The illuminator's enable or PWM pin through gpiozero (imported only here)."""

    def __init__(self, settings: IlluminatorSettings, pin_factory: Any = None):
        super().__init__()
        s = settings
        self.strobe = s.mode == "strobe"
        try:
            gpiozero = importlib.import_module("gpiozero")
        except ImportError:
            raise UserError(
                "the illuminator needs gpiozero, which is not installed",
                hint="pip install 'dms-fleet[gpio]' (or set illuminator.output: none)",
            ) from None
        self._duty = s.duty if s.output == "pwm" else 1.0
        if s.gpio_chip is not None and pin_factory is None:
            try:
                pin_factory = importlib.import_module("gpiozero.pins.lgpio").LGPIOFactory(chip=s.gpio_chip)
            except Exception as exc:
                raise UserError(
                    f"cannot open /dev/gpiochip{s.gpio_chip} for the illuminator: {exc}",
                    hint="pip install lgpio; list the chips with gpiodetect",
                ) from None
        try:
            if s.output == "pwm":
                self._pin = gpiozero.PWMOutputDevice(
                    s.gpio_pin,
                    active_high=s.active_high,
                    initial_value=0,
                    frequency=s.pwm_hz,
                    pin_factory=pin_factory,
                )
            else:
                self._pin = gpiozero.DigitalOutputDevice(
                    s.gpio_pin, active_high=s.active_high, initial_value=False, pin_factory=pin_factory
                )
        except Exception as exc:
            raise UserError(f"cannot drive the illuminator on GPIO {s.gpio_pin}: {exc}") from None

    def _drive(self, t: float, on: bool) -> None:
        self._pin.value = self._duty if on else 0

    def close(self) -> None:
        pin, self._pin = getattr(self, "_pin", None), None
        if pin is not None:
            pin.value = 0
            pin.close()
        self.lit = False


def build_illuminator(settings: IlluminatorSettings | None) -> Illuminator | None:
    """The configured illuminator, or None when there is none."""
    s = settings or IlluminatorSettings()
    return None if s.output == "none" else GpioIlluminator(s)
