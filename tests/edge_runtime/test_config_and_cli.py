"""Device config files and `dms edge`: flags override the file, mistakes are one line."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dms.errors import UserError
from edge.config import DeviceConfig, load_device_config, merge_overrides
from tests.support.mqtt import Recorder, wait_for

DEVICE_YAML = """
vehicle_id: van-17
source: /data/clip.avi
vehicle_source: replay:sample
mqtt:
  url: mqtts://broker.fleet.example:8883
  username: van-17
  password_file: /etc/dms/mqtt-password
  tls: {ca_file: /etc/dms/ca.pem}
outbox: {path: /var/lib/dms/outbox.sqlite, max_messages: 20000}
telemetry: {status_hz: 2}
policy: {warning_min_speed_kmh: 25}
"""


def test_device_config_from_yaml_with_command_line_overrides(tmp_path):
    path = tmp_path / "device.yaml"
    path.write_text(DEVICE_YAML)
    config = load_device_config(path)
    assert config.mqtt.endpoint() == ("broker.fleet.example", 8883, True)
    assert config.outbox.max_messages == 20000 and config.telemetry.status_hz == 2
    merged = merge_overrides(
        config,
        {
            "mqtt": {"url": "mqtt://127.0.0.1:1884"},
            "vehicle_id": "van-18",
            "outbox": {"path": tmp_path / "o.sqlite"},
            "speed_kmh": None,
        },
    )
    assert merged.mqtt.url == "mqtt://127.0.0.1:1884" and merged.mqtt.username == "van-17"
    assert merged.vehicle_id == "van-18" and merged.outbox.max_messages == 20000
    assert merged.outbox.path == tmp_path / "o.sqlite"
    policy = merged.policy
    assert getattr(policy, "warning_min_speed_kmh", None) == 25 or policy.get("warning_min_speed_kmh") == 25


@pytest.mark.parametrize(
    "text, message",
    [
        ("mqtt: {url: mqtt://b, pasword: x}\n", r"mqtt.pasword: unknown key"),
        ("vehicle_id: 'bad id!'\n", r"vehicle_id: String should match pattern"),
        ("outbox: {max_messages: 1}\n", r"outbox.max_messages: Input should be greater than or equal to 10"),
    ],
)
def test_config_mistakes_are_one_line(tmp_path, text, message):
    path = tmp_path / "device.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        load_device_config(path)


def test_every_setting_is_described():
    from pydantic import BaseModel

    def walk(model):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            kind = field.annotation
            for sub in getattr(kind, "__args__", (kind,)):
                if (
                    isinstance(sub, type)
                    and issubclass(sub, BaseModel)
                    and sub.__module__.startswith(("firmware_config", "edge.uplink"))
                ):
                    walk(sub)

    walk(DeviceConfig)


def dms(capsys, *args):
    """`dms ARGS` in this process (the command's own entry point, without a Python start-up per call)."""
    from tools.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


@pytest.mark.parametrize(
    "args, message",
    [
        (["edge", "run"], "dms: error: no frame source: give --source"),
        (
            ["edge", "run", "--source", "/nonexistent/clip.avi", "--mqtt", "http://x"],
            "dms: error: bad broker URL",
        ),
        (
            ["edge", "run", "--source", "x.avi", "--vehicle-source", "teleport:1"],
            "dms: error: unknown vehicle source",
        ),
        (["edge", "run", "--config", "/nonexistent.yaml"], "dms: error: config file not found"),
    ],
)
def test_cli_mistakes_are_one_line(capsys, args, message):
    out = dms(capsys, *args)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(message) and "Traceback" not in out.stderr


def test_outbox_command_counts_waiting_messages(tmp_path, capsys):
    from edge.uplink.outbox import Outbox

    with Outbox(tmp_path / "o.sqlite") as box:
        box.put("m1", "event", "t", b"{}")
        box.put("m2", "status", "t", b"{}")
    out = dms(capsys, "edge", "outbox", str(tmp_path / "o.sqlite"))
    assert out.returncode == 0 and "1 event, 0 state, 1 status waiting" in out.stdout
    (tmp_path / "bad.sqlite").write_bytes(b"\x00garbage" * 500)
    out = dms(capsys, "edge", "outbox", str(tmp_path / "bad.sqlite"))
    assert out.returncode == 2 and out.stderr.startswith("dms: error: ")
    assert "was corrupt and has been moved aside to" in out.stderr and "bad.sqlite.corrupt-" in out.stderr


def empty_cabin(folder: Path, n: int) -> Path:
    """A folder of `n` tiny frames without a face: no events, but frames, samples and an uplink."""
    np = pytest.importorskip("numpy")
    cv2 = pytest.importorskip("cv2")
    folder.mkdir()
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((120, 160, 3), 40 + i, np.uint8))
    return folder


def test_edge_run_with_a_config_file_and_overriding_flags(tmp_path, capsys, mosquitto_url):
    """`dms edge run --config` on a tiny image folder: the file's settings, the flags on top."""
    frames = empty_cabin(tmp_path / "frames", 12)
    config = tmp_path / "device.yaml"
    # Nobody subscribes to this vehicle: without hold_unrouted: false the broker's "no matching
    # subscribers" would keep the messages in the outbox (tests/uplink/test_unrouted.py).
    config.write_text(
        f"vehicle_id: from-file\nsource: {frames}\nvehicle_source: replay:sample\n"
        f"mqtt: {{url: 'mqtt://127.0.0.1:1', hold_unrouted: false}}\n"
        f"outbox: {{path: {tmp_path / 'o.sqlite'}}}\n"
        "telemetry: {profile: detailed, status_hz: 2}\n"
    )
    out = dms(
        capsys, "edge", "run", "--config", str(config), "--mqtt", mosquitto_url, "--drain-timeout", "10"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "12 frames, 0 events, 1 state and 2 status samples; outbox drained"


@pytest.mark.slow
def test_sigterm_ends_a_looping_run_like_a_finished_clip(tmp_path, mosquitto_url):
    """systemd and the demo stop `dms edge run` with SIGTERM: bounded drain, summary, exit 0."""
    frames = empty_cabin(tmp_path / "frames", 10)
    rec = Recorder(mosquitto_url, "sigterm-1")  # a subscriber, as the gateway would be: the outbox can drain
    assert rec.subscribed.wait(5)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.cli",
                "edge",
                "run",
                "--source",
                str(frames),
                "--loop",
                "--realtime",
                "--mqtt",
                mosquitto_url,
                "--vehicle-id",
                "sigterm-1",
                "--outbox",
                str(tmp_path / "o.sqlite"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # the uplink's "online" comes just before the SIGTERM handler is set (a loaded machine took > 4 s to
        # get there), then a few loops of the 1/3 s folder in real time
        wait_for(lambda: rec.payloads("presence"), 60, "the edge process online")
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        rec.close()
    assert proc.returncode == 0, err
    assert out.strip().endswith("outbox drained") and "Traceback" not in err
