"""`dms provision` bundles and `dms config check` / `render` / `boards`, through the `dms` command."""

from __future__ import annotations

import stat

import pytest
import yaml

from edge.boards import board_names, load_board
from edge.config import DeviceConfig, load_device_config
from firmware_config import mosquitto_files as mf
from firmware_config.check import check_device_config
from tools.cli import main as dms

SECRET = "correct-horse-battery-staple-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_password_in_env(monkeypatch):
    monkeypatch.delenv("DMS_MQTT_PASSWORD", raising=False)


@pytest.fixture
def broker_files(tmp_path):
    d = tmp_path / "mosquitto"
    d.mkdir()
    return d / "passwd", d / "acl"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = dms(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def provision_args(name, out, broker_files, *extra):
    pw, acl = broker_files
    return [
        "provision",
        name,
        "--out",
        str(out),
        "--password-file",
        str(pw),
        "--acl-file",
        str(acl),
        "--device-dir",
        str(out),
        *extra,
    ]


def test_every_board_profile_merges_into_a_valid_device_config():
    assert set(board_names()) == {"pi4", "pi5", "jetson-orin-nano"}
    sources = {}
    for name in board_names():
        board = load_board(name)
        cfg = DeviceConfig.model_validate(board.device)
        sources[name] = cfg.source
        assert cfg.capture.width and cfg.capture.height and cfg.capture.camera_fps
        # each board names its camera and illuminator, and the infrared camera has its illuminator wired
        assert board.camera and board.illuminator
        assert cfg.capture.infrared and cfg.capture.grey and cfg.illuminator.output != "none"
    assert sources["pi4"] == sources["pi5"] == "picamera2:0"
    assert (
        sources["jetson-orin-nano"].startswith("gst:nvarguscamerasrc")
        and "appsink" in sources["jetson-orin-nano"]
    )


def test_provisioned_bundle_is_private_valid_and_passes_check(tmp_path, broker_files, capsys):
    out = tmp_path / "van-17"
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n(test)\n-----END CERTIFICATE-----\n")
    rc, stdout, stderr = run(
        capsys, *provision_args("van-17", out, broker_files, "--board", "pi5", "--ca-file", str(ca))
    )
    assert rc == 0, stderr
    secret = (out / "mqtt_password").read_text().strip()
    assert len(secret) >= 40
    assert stat.S_IMODE((out / "mqtt_password").stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert secret not in stdout + stderr
    cfg = load_device_config(out / "device.yaml")
    assert (cfg.vehicle_id, cfg.mqtt.username, cfg.source) == ("van-17", "van-17", "picamera2:0")
    assert cfg.mqtt.password() == secret and cfg.mqtt.tls.ca_file == out / "ca.crt"
    pw, acl = broker_files
    line = pw.read_text().strip()
    assert (
        line.startswith("van-17:$7$")
        and secret not in line
        and mf.verify_password(secret, line.split(":", 1)[1])
    )
    assert set(mf.VEHICLE_RULES) <= mf.acl_rules(acl.read_text().splitlines())[0]

    rc, stdout, stderr = run(capsys, "config", "check", str(out / "device.yaml"))
    assert rc == 0, stderr
    assert "OK" in stdout and "password from" in stdout and secret not in stdout


def test_provision_refuses_duplicates_and_rotates_on_request(tmp_path, broker_files, capsys):
    out = tmp_path / "A"
    assert run(capsys, *provision_args("A", out, broker_files))[0] == 0
    first = (out / "mqtt_password").read_text()
    rc, _, err = run(capsys, *provision_args("A", tmp_path / "A2", broker_files))
    assert rc != 0 and "already has a credential" in err and not (tmp_path / "A2").exists()
    assert run(capsys, *provision_args("A", out, broker_files, "--rotate"))[0] == 0
    second = (out / "mqtt_password").read_text()
    assert second != first
    line = broker_files[0].read_text().strip()
    assert mf.verify_password(second.strip(), line.split(":", 1)[1])
    assert mf.password_users(broker_files[0]) == {"A"}


@pytest.mark.parametrize(
    "name, gateway, message",
    [
        ("bad id", False, "invalid vehicle id"),
        ("_gateway", False, "invalid vehicle id"),  # service names can never be vehicles...
        ("gateway", True, "start with '_'"),  # ...and vehicle ids never service accounts
    ],
)
def test_provision_rejects_names(tmp_path, broker_files, capsys, name, gateway, message):
    rc, _, err = run(
        capsys, *provision_args(name, tmp_path / "x", broker_files, *(["--gateway"] if gateway else []))
    )
    assert rc != 0 and message in err
    assert not broker_files[0].exists()


def write(path, data) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_check_reports_one_line_per_problem_and_never_echoes_secrets(tmp_path, capsys):
    bad = write(
        tmp_path / "bad.yaml",
        {
            "vehicle_id": "van 17",
            "colour": "red",
            "mqtt": {"url": "mqtt://broker.example", "username": "van-17", "password": SECRET},
            "outbox": {"max_messages": 3},
        },
    )
    rc, out, err = run(capsys, "config", "check", bad)
    problems = err.strip().splitlines()[:-1]
    assert rc != 0 and out == ""
    assert len(problems) == 4, err
    assert any("vehicle_id" in p for p in problems) and any("colour: unknown key" in p for p in problems)
    assert any("mqtt.password: unknown key" in p for p in problems)
    assert SECRET not in err
    assert err.strip().splitlines()[-1].endswith("4 problems")


def test_check_semantic_problems(tmp_path, monkeypatch):
    pw = tmp_path / "pw"
    pw.write_text(SECRET + "\n")
    pw.chmod(0o644)
    cfg = write(
        tmp_path / "c.yaml",
        {
            "vehicle_id": "A",
            "mqtt": {"url": f"mqtt://u:{SECRET}@broker.example", "username": "A", "password_file": str(pw)},
        },
    )
    result = check_device_config(cfg)
    assert len(result.problems) == 1 and "carries credentials" in result.problems[0]
    assert SECRET not in result.problems[0]

    cfg = write(
        tmp_path / "c.yaml",
        {
            "vehicle_id": "A",
            "mqtt": {
                "url": "mqtt://broker.example",
                "username": "B",
                "password_file": str(pw),
                "tls": {"cert_file": str(tmp_path / "missing.crt")},
            },
        },
    )
    text = "\n".join(check_device_config(cfg).problems)
    for expected in (
        "differs from vehicle_id",
        "in clear to broker.example",
        "open to other users",
        "mqtt.tls.cert_file: file not found",
        "cert_file and key_file go together",
    ):
        assert expected in text
    cfg = write(
        tmp_path / "c.yaml", {"vehicle_id": "A", "mqtt": {"url": "mqtts://broker.example", "username": "A"}}
    )
    assert "no password" in check_device_config(cfg).problems[0]
    monkeypatch.setenv("DMS_MQTT_PASSWORD", SECRET)
    result = check_device_config(cfg)
    assert result.ok and any("password from $DMS_MQTT_PASSWORD" in line for line in result.summary)
    assert SECRET not in "\n".join(result.summary)
    # failover addresses are held to the same rules as the first one
    mqtt = {"url": "mqtts://n1.example", "failover_urls": ["mqtts://n2.example", "mqtt://n3.example"]}
    cfg = write(tmp_path / "c.yaml", {"vehicle_id": "A", "mqtt": {**mqtt, "username": "A"}})
    assert check_device_config(cfg).problems == [
        f"{cfg}: mqtt.failover_urls[1]: the password would cross the network in clear to n3.example; "
        "use mqtts:// (TLS)"
    ]
    mqtt["failover_urls"] = ["n2.example:8883"]
    cfg = write(tmp_path / "c.yaml", {"vehicle_id": "A", "mqtt": mqtt})
    assert "bad broker URL 'n2.example:8883'" in check_device_config(cfg).problems[0]


def test_check_with_a_board_and_unknown_board(tmp_path, capsys):
    cfg = write(tmp_path / "c.yaml", {"vehicle_id": "A"})
    rc, out, _ = run(capsys, "config", "check", cfg, "--board", "jetson-orin-nano")
    assert rc == 0 and "nvarguscamerasrc" in out and "litert with 4 threads" in out
    rc, _, err = run(capsys, "config", "check", cfg, "--board", "pi9")
    assert rc != 0 and "unknown board 'pi9'" in err
    rc, _, err = run(capsys, "config", "check", str(tmp_path / "missing.yaml"))
    assert rc != 0 and "config file not found" in err


def test_render_and_boards(tmp_path, capsys):
    cfg = write(tmp_path / "c.yaml", {"vehicle_id": "A", "source": "/dev/video0"})
    rc, out, _ = run(capsys, "config", "render", cfg, "--board", "pi4")
    rendered = yaml.safe_load(out)
    assert rc == 0 and rendered["source"] == "/dev/video0"  # the file wins over the board...
    capture = rendered["capture"]  # ...and the board fills in, infrared camera and illuminator included
    assert (capture["width"], capture["height"], capture["camera_fps"], capture["infrared"]) == (
        640,
        480,
        20.0,
        True,
    )
    assert rendered["illuminator"]["output"] == "gpio" and rendered["illuminator"]["gpio_pin"] == 18
    rc, out, _ = run(capsys, "config", "render")
    assert rc == 0 and "outbox" in yaml.safe_load(out)
    rc, out, _ = run(capsys, "config", "boards")
    assert rc == 0 and all(name in out for name in ("pi4", "pi5", "jetson-orin-nano"))
    assert "camera: Raspberry Pi Camera Module 3 NoIR" in out and "format=GRAY8" not in out


def test_check_refuses_an_infrared_camera_without_an_illuminator(tmp_path, capsys):
    cfg = write(
        tmp_path / "ir.yaml",
        {"vehicle_id": "A", "source": "/dev/video0", "capture": {"infrared": True, "pixel_format": "Y16"}},
    )
    rc, out, err = run(capsys, "config", "check", cfg)
    lines = [line for line in (out + err).splitlines() if "capture." in line]
    assert rc != 0 and len(lines) == 1 and "needs an illuminator" in lines[0]
    fixed = write(
        tmp_path / "ir-lit.yaml",
        {
            "vehicle_id": "A",
            "source": "/dev/video0",
            "capture": {"infrared": True, "pixel_format": "Y16"},
            "illuminator": {"output": "pwm", "gpio_pin": 12, "duty": 0.8},
        },
    )
    rc, out, _ = run(capsys, "config", "check", fixed)
    assert rc == 0 and "OK" in out
