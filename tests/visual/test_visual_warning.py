"""The visual warning: lit on the frame that decides a warning, blinking faster as the level rises,
dark once every episode has ended; a recording sink for tests and a GPIO LED through gpiozero."""

from __future__ import annotations

import sys

import pytest
from pydantic import ValidationError

from dms.errors import UserError
from edge.policy import DriverMonitor, PolicyEvent
from edge.policy.synthetic import frames
from edge.visual import GpioLedSink, RecordingVisualSink, VisualSettings, VisualWarning, build_visual_warning
from tests.support.drive import FRAME_RATES


def _drive(behaviour, fps=30.0, settings=None):
    sink = RecordingVisualSink()
    lamp = VisualWarning(settings, sink)
    monitor, events = DriverMonitor(session_id="v"), []
    for sig in frames(behaviour, fps):
        for ev in monitor.update(sig, 60.0):
            events.append(ev)
            lamp.on_event(ev)
        lamp.advance(sig.t)
    lamp.close()
    return sink, events


@pytest.mark.parametrize("fps", FRAME_RATES)
def test_the_lamp_lights_on_the_frame_of_every_warning_and_goes_dark_after(fps):
    behaviour = [(3, "ahead"), (1.5, "closed"), (4, "ahead"), (5, "away"), (3, "ahead")]
    sink, events = _drive(behaviour, fps)
    for ev in events:
        if ev.phase != "end" and ev.level >= 1:
            assert sink.state_at(ev.t) == (ev.level, True), (ev.type, ev.phase, ev.t)
    last_end = max(e.t for e in events if e.phase == "end")
    assert sink.state_at(last_end) == (0, False)
    assert sink.state_at(2.9) == (0, False) and sink.closed


def test_each_level_blinks_at_its_rate():
    s = VisualSettings()
    sink = RecordingVisualSink()
    lamp = VisualWarning(s, sink)
    lamp.on_event(PolicyEvent("microsleep", "start", 2, 1.0, 1.0, "e", {}))
    for i in range(1, 301):
        lamp.advance(1.0 + i / 100)
    lamp.on_event(PolicyEvent("sleep", "start", 3, 4.0, 1.0, "f", {}))
    for i in range(1, 301):
        lamp.advance(4.0 + i / 100)

    def rises(t0, t1):
        return sum(1 for t, _, lit in sink.changes if lit and t0 <= t < t1 - 1e-9)

    assert rises(1.0, 4.0) == pytest.approx(3 * s.level2_blink_hz, abs=1)
    assert rises(4.0, 7.0) == pytest.approx(3 * s.level3_blink_hz, abs=1)
    assert {lvl for _, lvl, _ in sink.changes} == {2, 3}


def test_level_one_is_steady_and_recorded_only_events_never_light_it():
    sink = RecordingVisualSink()
    lamp = VisualWarning(None, sink)
    lamp.on_event(PolicyEvent("yawning", "start", 0, 1.0, 0.0, "y", {}))
    lamp.advance(2.0)
    assert sink.changes == []
    lamp.on_event(PolicyEvent("long_distraction", "start", 1, 3.0, 0.0, "d", {}))
    for i in range(100):
        lamp.advance(3.0 + i / 10)
    assert sink.changes == [(3.0, 1, True)]


def test_settings_are_validated_and_described():
    with pytest.raises(ValidationError, match="faster"):
        VisualSettings(level2_blink_hz=4, level3_blink_hz=2)
    with pytest.raises(ValidationError):
        VisualSettings(output="display")
    assert all(f.description for f in VisualSettings.model_fields.values())
    assert build_visual_warning(VisualSettings()) is None


def test_without_gpiozero_the_led_is_a_clear_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gpiozero", None)  # as if not installed: importing it fails
    with pytest.raises(UserError, match="gpiozero") as err:
        build_visual_warning(VisualSettings(output="gpio_led"))
    assert "dms-fleet[gpio]" in str(err.value)


def test_the_gpio_led_follows_the_lamp():
    mock = pytest.importorskip("gpiozero.pins.mock")
    factory = mock.MockFactory()
    led = GpioLedSink(22, pin_factory=factory)
    lamp = VisualWarning(VisualSettings(output="gpio_led", gpio_pin=22), led)
    lamp.on_event(PolicyEvent("long_distraction", "start", 1, 1.0, 0.0, "d", {}))
    assert factory.pin(22).state
    lamp.on_event(PolicyEvent("long_distraction", "end", 1, 2.0, 0.0, "d", {}))
    assert not factory.pin(22).state
    lamp.close()
