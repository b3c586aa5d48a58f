"""sd_notify over a real unix datagram socket (as systemd listens), and the shipped systemd unit."""

from __future__ import annotations

import configparser
import os
import socket

import pytest

from edge.watchdog import Watchdog, sd_notify
from tests.support.services import REPO

UNIT = REPO / "firmware_config" / "systemd" / "dms-edge.service"


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(5)
    yield sock, {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}
    sock.close()


def received(sock) -> list[str]:
    sock.setblocking(False)
    out = []
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        return out
    finally:
        sock.settimeout(5)


def test_ready_then_pings_paced_on_frame_time(notify_socket):
    sock, env = notify_socket
    wd = Watchdog.from_environ(env)
    assert wd.enabled and wd.interval_s == 10.0
    assert wd.ready("monitoring")
    # 30 fps for 12 s of frame time: a ping at t=0, 5, 10 (every half interval), nothing in between.
    pings = sum(wd.frame(i / 30) for i in range(12 * 30))
    assert pings == 3
    wd.frame(3.0)  # time went backwards (a new clip, a clock step): ping rather than go silent
    assert wd.stopping()
    assert received(sock) == ["READY=1\nSTATUS=monitoring"] + ["WATCHDOG=1"] * 4 + ["STOPPING=1"]


def test_abstract_socket_address(tmp_path):
    name = f"dms-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert sd_notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"WATCHDOG=1"


def test_outside_systemd_everything_is_a_quiet_no_op(tmp_path):
    wd = Watchdog.from_environ({})
    assert not wd.enabled and not wd.frame(0.0) and not wd.ready() and not wd.ping()
    assert not sd_notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    # Variables inherited from a parent process are not ours to answer.
    assert not Watchdog.from_environ(
        {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}
    ).enabled


def test_unit_is_notify_with_watchdog_restart_and_hardening():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(UNIT)
    service = unit["Service"]
    assert (
        service["Type"] == "notify" and service["WatchdogSec"] == "10s" and service["Restart"] == "on-failure"
    )
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "RestrictNamespaces"):
        assert key in service
    assert "dms config check" in service["ExecStartPre"] and "dms edge run" in service["ExecStart"]
