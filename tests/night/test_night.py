"""Night driving: picture health, the illuminator (fake and gpiozero's mock pins), face-weighted
exposure, and the runtime saying `not_monitoring` with the reason when the illuminator goes dark."""

from __future__ import annotations

import csv
import io
import json

import cv2
import numpy as np
import pytest

from dms.contract import VehicleStatus
from edge.config import DeviceConfig
from edge.evaluation.runner import decoded_pictures
from edge.night import (
    CameraHealthSettings,
    GpioIlluminator,
    IlluminatorSettings,
    NightControl,
    PictureHealth,
    RecordingIlluminator,
)
from edge.night.health import CAMERA_DARK, ILLUMINATOR_FAILURE, LENS_COVERED, DirtyLensSettings, LensWatch
from edge.policy.synthetic import frames as synthetic_frames
from edge.runtime import EdgeRuntime
from edge.scenarios.compose import hazy, night_infrared, smeared
from edge.signals import FrameSignals
from edge.sources.base import Frame
from edge.sources.exposure import Exposure, FaceExposure, FaceExposureSettings, face_level
from tests.support.mqtt import Recorder, free_port, wait_for

FPS = 30


def _noise(mean: float, sigma: float, seed: int = 0, shape=(240, 320)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(mean, sigma, shape), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------- picture health


def test_every_dev_picture_grey_or_colour_is_healthy(zju_dataset):
    health = PictureHealth()
    clips = sorted((zju_dataset / "clips").glob("*/*.avi"))
    assert clips
    for clip in clips[::4]:  # every condition of every other subject or so
        for i, image in decoded_pictures(clip):
            if i % 15 == 0:
                for picture in (image, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)):
                    verdict = health.check(picture, illuminated=True)
                    assert verdict.ok, (clip.name, i, verdict)


def test_infrared_crops_are_healthy(mrl_dataset):
    health = PictureHealth()
    with (mrl_dataset / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[::50]
    for r in rows:
        crop = cv2.imread(str(mrl_dataset / "images" / r["path"]), cv2.IMREAD_GRAYSCALE)
        assert health.check(crop, illuminated=True).ok, r["path"]


@pytest.mark.parametrize(
    ("picture", "lit", "problem"),
    [
        (np.zeros((240, 320), np.uint8), False, CAMERA_DARK),
        (_noise(6, 4), True, ILLUMINATOR_FAILURE),  # illuminator dead: black plus sensor noise
        (_noise(45, 25), True, ILLUMINATOR_FAILURE),  # ...with the gain turned up: bright noise
        (_noise(45, 25), False, CAMERA_DARK),
        (_noise(190, 1.5), True, LENS_COVERED),  # the illuminator's light back off a cover
    ],
)
def test_pictures_that_show_nothing(picture, lit, problem):
    verdict = PictureHealth().check(picture, illuminated=lit)
    assert verdict.problem == problem, verdict
    assert (
        PictureHealth().check(cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR), illuminated=lit).problem == problem
    )


# ------------------------------------------------------------------------------------- illuminator


def test_the_fake_illuminator_is_lit_only_while_monitoring_and_strobes_with_the_exposure():
    lamp = RecordingIlluminator(strobe=True)
    night = NightControl(illuminator=lamp, start_exposure_us=3000)
    for i, monitoring in enumerate([False, True, True, True, False, True]):
        night.update(i / FPS, monitoring)
    assert lamp.switches == [(1 / FPS, True), (4 / FPS, False), (5 / FPS, True)]
    assert lamp.pulses == [(i / FPS, 3000) for i in (1, 2, 3, 5)] and lamp.state == "strobe"
    night.close()
    assert lamp.closed and lamp.state == "off" and lamp.switches[-1][1] is False


def test_a_steady_illuminator_makes_no_pulses():
    lamp = RecordingIlluminator(strobe=False)
    NightControl(illuminator=lamp, start_exposure_us=3000).update(0.0, True)
    assert lamp.state == "on" and lamp.pulses == []


@pytest.mark.parametrize("output", ["gpio", "pwm"])
def test_the_gpio_illuminator_drives_its_pin(output):
    mock = pytest.importorskip("gpiozero.pins.mock")
    factory = mock.MockFactory(pin_class=mock.MockPWMPin)
    settings = IlluminatorSettings(
        output=output, gpio_pin=18, duty=0.7 if output == "pwm" else 1.0, mode="strobe"
    )
    lamp = GpioIlluminator(settings, pin_factory=factory)
    pin = factory.pin(18)
    assert pin.state == 0
    lamp.switch(1.0, True)
    assert pin.state == pytest.approx(0.7 if output == "pwm" else 1) and lamp.state == "strobe"
    if output == "pwm":
        assert pin.frequency == 20_000
    lamp.switch(2.0, False)
    assert pin.state == 0
    lamp.switch(3.0, True)
    lamp.close()
    assert pin.state == 0 and lamp.state == "off"


def test_illuminator_settings_limits():
    with pytest.raises(ValueError, match="duty below 1 needs output: pwm"):
        IlluminatorSettings(output="gpio", duty=0.5)
    with pytest.raises(ValueError):
        IlluminatorSettings(output="laser")
    with pytest.raises(ValueError):
        IlluminatorSettings(output="pwm", pwm_hz=10)


def test_an_active_low_illuminator_pin():
    mock = pytest.importorskip("gpiozero.pins.mock")
    factory = mock.MockFactory()
    lamp = GpioIlluminator(
        IlluminatorSettings(output="gpio", gpio_pin=23, active_high=False), pin_factory=factory
    )
    lamp.switch(0.0, True)
    assert factory.pin(23).state == 0  # lit = pin pulled low
    lamp.close()
    assert factory.pin(23).state == 1


def test_the_runtime_lights_the_illuminator_only_above_the_monitoring_speed():
    for speed, lit in ((0, False), (60, True)):
        lamp = RecordingIlluminator()
        runtime = EdgeRuntime(DeviceConfig(vehicle_id="ir-1", speed_kmh=speed), illuminator=lamp)
        runtime.run(synthetic_frames([(2.0, "ahead")], fps=15))
        assert [on for _, on in lamp.switches] == ([True, False] if lit else [])
        assert lamp.closed and lamp.state == "off"  # dark once the run has stopped


def test_the_status_message_carries_the_illuminator_state(tmp_path, mosquitto_url):
    vid = f"ir-{free_port()}"
    rec = Recorder(mosquitto_url, vid)
    try:
        assert rec.subscribed.wait(5)
        config = DeviceConfig(
            vehicle_id=vid,
            speed_kmh=60,
            mqtt={"url": mosquitto_url},
            outbox={"path": tmp_path / "o.sqlite"},
            telemetry={"profile": "detailed"},  # a status a second: several in 3 s
        )
        report = EdgeRuntime(config, illuminator=RecordingIlluminator(strobe=True)).run(
            synthetic_frames([(3.0, "ahead")], fps=15), drain_timeout=20
        )
        assert report.drained
        wait_for(lambda: len(rec.ids("status")) >= report.statuses >= 2, 10, "status samples")
        assert {p["illuminator"] for p in rec.payloads("status")} == {"strobe"}
    finally:
        rec.close()
    assert "illuminator" not in VehicleStatus(vehicle_id="a", signals={}).model_dump(exclude_none=True)
    with pytest.raises(ValueError):
        VehicleStatus(vehicle_id="a", signals={}, illuminator="dim")


# ------------------------------------------------------------------------------------- the dark cab


def test_an_illuminator_failure_is_said_within_the_encap_time_and_noise_is_not_measured(zju_dataset):
    """Grey frames of a real clip through the real pipeline, then the illuminator dies: black plus noise."""
    grey = [img for _, img in decoded_pictures(zju_dataset / "clips/2/000001M_FNN.avi", mono=True)]
    lit_frames = [grey[i % len(grey)] for i in range(3 * FPS)]
    dark_from = len(lit_frames) / FPS
    dark_frames = [_noise(8, 5, seed=i) for i in range(8 * FPS)]
    out = io.StringIO()
    lamp = RecordingIlluminator(strobe=True)
    runtime = EdgeRuntime(DeviceConfig(vehicle_id="ir-2", speed_kmh=60), illuminator=lamp, events_out=out)
    measured = []
    original = None

    def counting(image, t, index):
        measured.append(t)
        return original(image, t, index)

    stream = []
    for i, image in enumerate(lit_frames + dark_frames):
        stream.append(Frame(image, i / FPS, i))
    for frame in stream:
        runtime.process_frame(frame)
        if original is None:  # the pipeline is built on the first frame
            original = runtime.vision.process
            runtime.vision.process = counting
    runtime.finish()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    started = [e for e in events if e["type"] == "not_monitoring" and e["phase"] == "start"]
    assert len(started) == 1 and started[0]["details"]["reason"] == ILLUMINATOR_FAILURE
    delay = started[0]["t"] - dark_from
    # not_monitoring_s (+ up to recheck_s until the first dark picture is checked): within E-NCAP's 10 s
    assert delay <= 10.0 and 5.0 <= delay <= 5.0 + CameraHealthSettings().recheck_s + 1 / FPS
    assert max(measured) < dark_from + CameraHealthSettings().recheck_s  # noise was not measured for long
    assert lamp.switches[0] == (0.0, True) and len(lamp.pulses) == len(stream)


def test_camera_health_can_be_switched_off():
    night = NightControl(CameraHealthSettings(enabled=False))
    assert night.check(np.zeros((48, 64), np.uint8), 0.0) is None


def test_a_health_verdict_holds_for_recheck_s():
    night = NightControl(CameraHealthSettings(recheck_s=0.2))
    dark, lit = np.zeros((48, 64), np.uint8), _noise(100, 40, shape=(48, 64))
    lit[:, :32] //= 4  # some structure
    assert night.check(lit, 0.0) is None
    assert night.check(dark, 0.1) is None  # the last verdict still holds
    assert night.check(dark, 0.2) == CAMERA_DARK
    assert night.check(lit, 0.3) == CAMERA_DARK and night.check(lit, 0.41) is None


# ------------------------------------------------------------------------------------- exposure


def _camera(exposure: Exposure, face: float, window: float) -> np.ndarray:
    """A scene: the face (reflectance `face`) left of centre, a bright window (`window`) on the right."""
    scale = exposure.exposure_us * exposure.gain / 40
    picture = np.full((240, 320), min(255, 0.2 * scale), np.float64)
    picture[60:180, 80:180] = min(255, face * scale)
    picture[:, 200:] = min(255, window * scale)
    return picture.astype(np.uint8)


def test_face_weighted_exposure_brings_the_face_to_the_target_despite_a_bright_window():
    s = FaceExposureSettings(target_level=110)
    loop = FaceExposure(s, Exposure(1000, 1.0))
    box = (80, 60, 180, 180)
    for _ in range(30):
        picture = _camera(loop.current, face=0.25, window=5.0)
        loop.update(face_level(picture, box))
    level = face_level(_camera(loop.current, 0.25, 5.0), box)
    assert abs(level - 110) <= s.tolerance * 110
    assert loop.current.exposure_us <= s.max_exposure_us and loop.current.gain >= 1.0
    # the same loop metering the whole picture leaves the face far too dark
    whole = FaceExposure(s, Exposure(1000, 1.0))
    for _ in range(30):
        whole.update(float(_camera(whole.current, 0.25, 5.0).mean()))
    assert face_level(_camera(whole.current, 0.25, 5.0), box) < 0.7 * level


def test_exposure_goes_up_to_its_limit_before_gain():
    s = FaceExposureSettings(max_exposure_us=8000, max_gain=8)
    loop = FaceExposure(s, Exposure(1000, 1.0))
    steps = [loop.update(5.0) for _ in range(12)]
    gains_before_max = [e.gain for e in steps if e is not None and e.exposure_us < 8000]
    assert all(g == 1.0 for g in gains_before_max)
    assert loop.current == Exposure(8000, 8.0) and loop.update(5.0) is None  # at both limits: no change


def test_the_exposure_loop_drives_an_attached_camera():
    class Camera:
        def __init__(self):
            self.set = []

        def set_exposure(self, exposure_us, gain=None):
            self.set.append((exposure_us, gain))
            return True

    camera = Camera()
    night = NightControl(exposure=FaceExposureSettings(), start_exposure_us=2000, start_gain=1.0)
    night.attach_camera(camera)
    assert camera.set == [(2000, 1.0)]
    night.update(0.0, True, np.full((240, 320), 30, np.uint8), (100, 60, 200, 180))
    assert len(camera.set) == 2 and camera.set[-1][0] > 2000 and night.exposure_us == camera.set[-1][0]


# ------------------------------------------------------------------------------------- dirty lens


def _face_clip(zju_dataset, video: str = "clips/2/000001M_FNN.avi"):
    """A real dev clip's pictures and its labelled face box (x0, y0, x1, y1)."""
    with (zju_dataset / "labels.csv").open(newline="") as fh:
        r = next(r for r in csv.DictReader(fh) if r["video"] == video and r["F_W"] not in ("", "X"))
    x, y, w, h = (int(r[k]) for k in ("F_X", "F_Y", "F_W", "F_H"))
    pictures = [image for i, image in decoded_pictures(zju_dataset / video) if i < 24]
    return pictures, (x, y, x + w, y + h)


def _watch(watch: LensWatch, pictures, box, t0: float, seconds: float, lit=False) -> list[float]:
    """Feed `seconds` of `pictures` (cycled) at 30 Hz; when the verdict changed."""
    changes, before = [], watch.dirty
    for i in range(round(seconds * FPS)):
        dirty = watch.update(pictures[i % len(pictures)], box, t0 + i / FPS, lit)
        if dirty != before:
            changes.append(round(i / FPS, 3))
            before = dirty
    return changes


@pytest.mark.dataset
def test_a_smeared_or_hazy_lens_reads_dirty_after_the_hold_and_clean_again_once_wiped(zju_dataset):
    pictures, box = _face_clip(zju_dataset)
    for edit in (smeared, hazy):
        watch = LensWatch()
        assert _watch(watch, pictures, box, 0.0, 6.0) == []  # baseline learnt, clean all along
        assert watch.baseline() is not None and watch.baseline(lit=True) is None
        (became,) = _watch(watch, [edit(p) for p in pictures], box, 6.0, 4.0)
        assert 2.0 <= became <= 2.0 + 0.2 + 1 / FPS  # hold_s after the first reading of the dirt
        (wiped,) = _watch(watch, pictures, box, 10.0, 4.0)
        assert 2.0 <= wiped <= 2.0 + 0.2 + 1 / FPS


@pytest.mark.dataset
def test_a_clean_night_infrared_picture_is_not_dirty_even_after_a_daylight_baseline(zju_dataset):
    pictures, box = _face_clip(zju_dataset)
    rng = np.random.default_rng(1)
    infrared = [night_infrared(p, rng) for p in pictures]
    watch = LensWatch()
    assert _watch(watch, pictures, box, 0.0, 4.0) == []
    assert _watch(watch, infrared, box, 4.0, 10.0) == []
    lit = LensWatch()  # lit by the illuminator from the start: its own baseline, the smear still seen
    assert _watch(lit, infrared, box, 0.0, 4.0, lit=True) == []
    assert lit.baseline() is None and lit.baseline(lit=True) is not None
    assert len(_watch(lit, [smeared(p) for p in infrared], box, 4.0, 4.0, lit=True)) == 1


def test_the_lens_verdict_needs_a_face_and_a_learnt_baseline():
    sharp = np.zeros((240, 320), np.uint8)
    sharp[::8] = 200  # stripes: a sharp, contrasted "face"
    box = (80.0, 40.0, 240.0, 200.0)
    watch = LensWatch()
    for i in range(300):  # a blurred picture from the start: nothing to compare it with
        assert not watch.update(cv2.GaussianBlur(sharp, (0, 0), 3), box, i / FPS, False)
    watch = LensWatch()
    for i in range(90):
        watch.update(sharp, box, i / FPS, False)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    assert not watch.update(blurred, None, 3.0, False)  # no face: nothing read
    assert not watch.update(blurred, (80.0, 40.0, 100.0, 60.0), 3.1, False)  # a face too small to read
    for i in range(100):
        watch.update(blurred, box, 3.2 + i / FPS, False)
    assert watch.dirty
    assert watch.update(sharp, None, 7.0, False)  # the face lost: the verdict holds


def test_the_dirty_lens_check_can_be_switched_off_and_marks_the_frame_signals():
    off = NightControl(CameraHealthSettings(dirty_lens=DirtyLensSettings(enabled=False)))
    assert off.lens is None
    night = NightControl()
    night.lens.dirty = True
    sig = FrameSignals(t=0.0, frame_index=0, face_found=True, face_box=(0.0, 0.0, 10.0, 10.0))
    assert night.mark(sig, np.zeros((240, 320), np.uint8)).lens_dirty
    assert not off.mark(sig, np.zeros((240, 320), np.uint8)).lens_dirty
    with pytest.raises(ValueError):
        DirtyLensSettings(sharpness_drop=1.5)
    with pytest.raises(ValueError):
        DirtyLensSettings(hold=2)
