"""The edge runtime as a plain object: synthetic drives in fake time, the machine's Mosquitto."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest

from edge.config import DeviceConfig
from edge.policy.synthetic import frames
from edge.runtime import EdgeRuntime, looped
from edge.vehicle import SAMPLE_TRIP, ReplaySource
from tests.support.mqtt import Recorder, free_port, wait_for

DOZING = [
    (3.0, "ahead"),
    (1.5, "closed"),
    (2.0, "ahead"),
    (4.0, "away"),
    (3.0, "ahead"),
    (4.0, "closed"),
    (3.0, "ahead"),
]


def test_without_a_broker_events_go_to_the_file_with_their_msg_id():
    out = io.StringIO()
    runtime = EdgeRuntime(DeviceConfig(vehicle_id="solo-1", speed_kmh=60), events_out=out)
    report = runtime.run(frames(DOZING, fps=15))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert report.drained is None and report.events == len(lines) >= 4
    assert {"microsleep", "sleep", "long_distraction"} <= {line["type"] for line in lines}
    for line in lines:
        assert {"t", "type", "level", "phase", "episode_id", "msg_id", "ts"} <= set(line)
    assert len({line["msg_id"] for line in lines}) == len(lines)


def test_below_warning_speed_the_policy_only_records(tmp_path):
    out = io.StringIO()
    EdgeRuntime(DeviceConfig(vehicle_id="slow-1", speed_kmh=15), events_out=out).run(frames(DOZING, fps=15))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {"microsleep", "sleep"} <= {line["type"] for line in lines}  # recorded, not dropped
    assert all(line["level"] == 0 for line in lines)  # but no warning level below the warning speed


def test_each_event_line_has_the_msg_id_of_its_mqtt_message(tmp_path, mosquitto_url):
    vid = f"rt-{free_port()}"
    rec = Recorder(mosquitto_url, vid)
    try:
        assert rec.subscribed.wait(5)
        config = DeviceConfig(
            vehicle_id=vid,
            mqtt={"url": mosquitto_url},
            outbox={"path": tmp_path / "o.sqlite"},
            vehicle_source="replay:sample",
            events_out=tmp_path / "events.jsonl",
            telemetry={"profile": "detailed"},
        )
        report = EdgeRuntime(config).run(frames(DOZING, fps=15), drain_timeout=20)
        trip_start = ReplaySource(SAMPLE_TRIP).read(0)
        assert report.drained
        lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
        wait_for(lambda: len(rec.ids("event")) >= len(lines), 10, "all events")
        wire = {p["msg_id"]: p for p in rec.payloads("event")}
        assert [line["msg_id"] for line in lines] == rec.ids("event")
        for line in lines:
            msg = wire[line["msg_id"]]
            assert (msg["type"], msg["phase"], msg["level"], msg["episode_id"]) == (
                line["type"],
                line["phase"],
                line["level"],
                line["episode_id"],
            )
            assert msg["location"]["latitude"] == pytest.approx(trip_start.latitude, abs=0.1)
            assert msg["driver_session_id"] == line["session_id"]  # one driver throughout
        # detailed profile: state at 1 Hz over the ~20.5 s drive; status at 1 Hz plus changes (the replay accelerates)
        wait_for(lambda: len(rec.ids("status")) >= report.statuses, 5, "all status samples")
        assert 19 <= report.states <= 22 and report.statuses >= report.states
        state = rec.payloads("state")[-1]
        assert "Vehicle.Driver.FatigueLevel" in state and state["monitoring"] is True
        assert state["driver_session_id"] == lines[0]["session_id"]
        assert rec.payloads("status")[-1]["driver_session_id"] == lines[0]["session_id"]
        status = rec.payloads("status")[-1]["signals"]
        assert {"Vehicle.Speed", "Vehicle.TraveledDistance", "Vehicle.CurrentLocation.Latitude"} <= set(
            status
        )
    finally:
        rec.close()


@dataclass(frozen=True)
class FakeFrame:
    image: object
    t: float
    index: int


class FakeSource:
    def __init__(self, n=3, fps=10):
        self.items = [FakeFrame(None, i / fps, i) for i in range(n)]
        self.closed = False

    def __iter__(self):
        return iter(self.items)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True


def test_looped_sources_carry_time_and_index_on():
    played = list(looped(FakeSource, times=3))
    assert [f.index for f in played] == list(range(9))
    assert [round(f.t, 3) for f in played] == [round(i / 10, 3) for i in range(9)]


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, s):
        self.slept.append(round(s, 3))
        self.now += s


def test_realtime_paces_a_file_source_at_its_frame_rate():
    clock = FakeClock()
    EdgeRuntime(DeviceConfig(vehicle_id="pace-1", speed_kmh=60)).run(
        frames([(1.0, "ahead")], fps=5), realtime=True, sleep=clock.sleep, monotonic=clock.monotonic
    )
    assert clock.slept == [0.2, 0.2, 0.2, 0.2] and clock.now == pytest.approx(100.8)


def test_stop_event_ends_the_run_early():
    import threading

    stop = threading.Event()
    runtime = EdgeRuntime(DeviceConfig(vehicle_id="stop-1", speed_kmh=60))

    def drive():
        for i, f in enumerate(frames([(60.0, "ahead")], fps=10)):
            if i == 25:
                stop.set()
            yield f

    assert runtime.run(drive(), stop=stop).frames == 25


@pytest.mark.parametrize("t0", [0.0, 5000.0], ids=["clip", "camera-clock"])
def test_alerts_are_rendered_to_the_wav_from_the_first_frame_on(tmp_path, t0):
    """A clip starts at t=0; a camera stamps frames with a clock running since boot: the WAV starts
    at the first frame either way (no hour of silence in front)."""
    import wave

    pytest.importorskip("edge.audio")
    config = DeviceConfig(vehicle_id="audio-1", speed_kmh=60, audio_out=tmp_path / "alerts.wav")
    report = EdgeRuntime(config).run(frames(DOZING, fps=15, t0=t0))
    with wave.open(str(tmp_path / "alerts.wav")) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    drive = report.last_t - t0
    assert report.events >= 4 and drive - 1 <= seconds <= drive + 5


def test_a_failing_events_file_never_silences_the_in_cab_alert(tmp_path, caplog):
    """`--events-out /dev/full` once ended the run at the first microsleep with a silent WAV: the alert
    comes first, the failing file is reported in one line and the loop goes on."""
    import wave

    import numpy as np

    pytest.importorskip("edge.audio")
    config = DeviceConfig(
        vehicle_id="audio-2", speed_kmh=60, audio_out=tmp_path / "alerts.wav", events_out="/dev/full"
    )
    with caplog.at_level("ERROR"):
        report = EdgeRuntime(config).run(frames(DOZING, fps=15))
    assert report.events >= 4 and report.events_not_logged == report.events
    assert "NOT written to the events file" in report.summary()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "/dev/full" in errors[0].getMessage() and errors[0].exc_info is None
    with wave.open(str(tmp_path / "alerts.wav")) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.abs(samples).max() > 1000  # the alerts are in it, not silence


@pytest.mark.parametrize("t0", [0.0, 5000.0], ids=["clip", "camera-clock"])
def test_the_warning_lamp_follows_the_same_episodes_on_the_runs_timeline(tmp_path, t0):
    from edge.visual import RecordingVisualSink, VisualWarning

    sink = RecordingVisualSink()
    out = io.StringIO()
    runtime = EdgeRuntime(
        DeviceConfig(vehicle_id="lamp-1", speed_kmh=60), events_out=out, visual=VisualWarning(None, sink)
    )
    runtime.run(frames(DOZING, fps=15, t0=t0))
    lines = map(json.loads, out.getvalue().splitlines())
    warnings = [e for e in lines if e["phase"] != "end" and e["level"] >= 1]
    assert warnings and sink.closed
    for e in warnings:
        assert sink.state_at(e["t"] - t0) == (e["level"], True), e
    assert sink.changes[-1][1:] == (0, False)


def test_a_configured_gpio_lamp_without_gpiozero_is_a_clear_error(monkeypatch):
    import sys

    from dms.errors import UserError

    monkeypatch.setitem(sys.modules, "gpiozero", None)
    with pytest.raises(UserError, match="gpiozero"):
        EdgeRuntime(DeviceConfig(vehicle_id="lamp-2", speed_kmh=60, visual={"output": "gpio_led"}))
