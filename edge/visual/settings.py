"""How the visual warning shows: which output, which pin, how each level blinks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dms.settings import Settings


class VisualSettings(Settings):
    """Warning lamp: level 1 steady, level 2 slow blink, level 3 fast blink; dark when nothing is open."""

    output: Literal["off", "gpio_led"] = "off"
    """'gpio_led': an LED on a GPIO pin (gpiozero, which also drives libgpiod / lgpio boards); 'off': none."""
    gpio_pin: int = Field(17, ge=0, le=255)
    """GPIO number of the LED (BCM numbering on a Raspberry Pi)."""
    active_high: bool = True
    """True: the pin drives the LED high = lit; False: the LED is wired to sink current (low = lit)."""
    level2_blink_hz: float = Field(1.0, gt=0, le=10)
    """Blink rate at level 2 (on half of each period)."""
    level3_blink_hz: float = Field(4.0, gt=0, le=20)
    """Blink rate at level 3: faster than level 2, so the lamp escalates as the sound does."""

    @model_validator(mode="after")
    def _escalates(self) -> VisualSettings:
        if self.level3_blink_hz <= self.level2_blink_hz:
            raise ValueError("level3_blink_hz must be faster than level2_blink_hz")
        return self
