"""A camera mounted below the face (every gaze reads 'up') still sees the driver on the road."""

from types import SimpleNamespace

from edge.vision.gaze_zones import GazeZoneClassifier, GazeZoneSettings


def _face(yaw, pitch):
    return SimpleNamespace(gaze_yaw=yaw, gaze_pitch=pitch)


def test_first_frames_absorb_the_camera_mounting():
    zones = GazeZoneClassifier()
    results = [zones.classify(_face(2.0, 31.0)) for _ in range(60)]
    assert all(r.eyes_on_road for r in results)
    # a real glance away still reads as away once the mounting is learnt
    away = zones.classify(_face(80.0, 31.0))  # far left: the side window
    assert not away.eyes_on_road


def test_bootstrap_can_be_switched_off():
    zones = GazeZoneClassifier(GazeZoneSettings(bootstrap_frames=0))
    assert zones.classify(_face(2.0, 31.0)).zone.value != "road"


def test_reset_forgets_the_learnt_mounting():
    zones = GazeZoneClassifier()
    for _ in range(40):
        zones.classify(_face(0.0, 30.0))
    zones.reset()
    assert (zones.straight_yaw, zones.straight_pitch) == (0.0, 0.0)
