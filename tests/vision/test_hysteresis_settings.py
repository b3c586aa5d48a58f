"""Eye and blink hysteresis settings that cannot work are refused by the settings models (issue 16)."""

from __future__ import annotations

import pydantic
import pytest

from edge.vision.blinks import BlinkSettings
from edge.vision.eyestate import EyeStateSettings


def test_closed_on_below_closed_off_is_refused():
    with pytest.raises(pydantic.ValidationError, match="must not be below closed_off"):
        EyeStateSettings(closed_on=0.3, closed_off=0.5)
    assert EyeStateSettings(closed_on=0.5, closed_off=0.5).closed_on == 0.5


def test_onset_above_confirm_is_refused():
    with pytest.raises(pydantic.ValidationError, match="must not be above confirm_closure"):
        BlinkSettings(onset_closure=0.6, confirm_closure=0.5)
    assert BlinkSettings(onset_closure=0.5, confirm_closure=0.5).onset_closure == 0.5
