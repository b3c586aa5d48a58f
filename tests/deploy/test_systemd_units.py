"""The shipped systemd units: the edge's sandbox opened exactly as far as its vehicle sources need, the
back office's units hardened alike, and all of them accepted by `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from edge.vehicle.sandbox import NEEDS, SandboxNeeds, sandbox_needs
from tests.support.services import REPO

UNITS = REPO / "firmware_config" / "systemd"
# What the runtime needs itself, whatever its vehicle sources: journal/sd_notify, MQTT, address lookup;
# camera (V4L2, libcamera's media and dma-heap nodes), sound, GPU, the Pi's VideoCore and Jetson's Argus.
EDGE_OWN_FAMILIES = {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}
EDGE_OWN_DEVICES = {
    "char-video4linux",
    "char-media",
    "char-dma_heap",
    "char-alsa",
    "char-drm",
    "/dev/vchiq",
    "/dev/nvmap",
    "/dev/nvhost-ctrl",
    "/dev/nvhost-ctrl-gpu",
}
EDGE_OWN_GROUPS = {"video", "audio", "render"}


def service_section(name: str) -> dict[str, list[str]]:
    """Every key of [Service] with all its values (DeviceAllow= appears once per device)."""
    values: dict[str, list[str]] = defaultdict(list)
    section = None
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            values[key].append(value)
    return values


def all_source_needs() -> SandboxNeeds:
    needs = SandboxNeeds()
    for kind in NEEDS:
        needs |= NEEDS[kind]
    return needs


@pytest.mark.parametrize(
    "spec, families, devices, groups",
    [
        ("replay:sample", set(), set(), set()),
        ("gpsd:127.0.0.1:2947", {"AF_INET", "AF_INET6"}, set(), set()),
        ("can:can0", {"AF_CAN"}, set(), set()),
        ("can:socketcan/can1:car.dbc", {"AF_CAN"}, set(), set()),
        ("can:virtual/bus0", set(), set(), set()),
        ("obd:/dev/ttyUSB0", set(), {"char-ttyUSB", "char-ttyACM", "char-rfcomm"}, {"dialout"}),
        ("nmea:/dev/ttyAMA0@9600", set(), {"char-ttyAMA", "char-ttyS"}, {"dialout"}),
        ("obd:auto,can:can0,gpsd", {"AF_CAN", "AF_INET"}, {"char-rfcomm"}, {"dialout"}),
    ],
)
def test_needs_are_derived_from_the_source_kinds(spec, families, devices, groups):
    needs = sandbox_needs(spec)
    assert families <= needs.address_families and devices <= needs.device_classes and groups <= needs.groups
    if not families:
        assert not needs.address_families
    if not devices:
        assert not needs.device_classes and not needs.groups


def test_edge_unit_is_opened_exactly_as_far_as_the_vehicle_sources_need():
    service = service_section("dms-edge.service")
    needs = all_source_needs()
    (families,) = service["RestrictAddressFamilies"]
    assert set(families.split()) == EDGE_OWN_FAMILIES | needs.address_families
    assert "AF_CAN" in families.split()
    devices = {value.split()[0] for value in service["DeviceAllow"]}
    assert devices == EDGE_OWN_DEVICES | needs.device_classes
    assert all(value.split()[1] == "rw" for value in service["DeviceAllow"])
    assert {"char-ttyUSB", "char-ttyACM", "char-rfcomm", "char-ttyAMA"} <= devices
    (groups,) = service["SupplementaryGroups"]
    assert set(groups.split()) == EDGE_OWN_GROUPS | needs.groups and "dialout" in groups.split()
    assert service["DevicePolicy"] == ["closed"]


@pytest.mark.parametrize("name", ["dms-gateway.service", "dms-portal.service"])
def test_back_office_units_are_hardened_and_run_the_command(name):
    service = service_section(name)
    command = service["ExecStart"][0]
    assert command.startswith("/opt/dms/.venv/bin/dms ")
    assert (
        "gateway run --bus ${DMS_BUS_URL}" if "gateway" in name else "portal run --db ${DMS_DB_URL}"
    ) in command
    assert "password" not in command.lower()  # secrets come from files (bus_password_file, PGPASSFILE)
    assert service["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateDevices": "yes",
        "MemoryDenyWriteExecute": "yes",
        "CapabilityBoundingSet": "",
        "Restart": "on-failure",
    }.items():
        assert service[key] == [value], key
    assert service["User"][0].startswith("dms-")


@pytest.mark.parametrize("name", ["dms-edge.service", "dms-gateway.service", "dms-portal.service"])
def test_unit_passes_systemd_analyze_verify(tmp_path, name):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were not verified (apt-get install systemd)")
    dms = Path(sys.executable).with_name("dms")
    unit = tmp_path / name
    unit.write_text((UNITS / name).read_text().replace("/opt/dms/.venv/bin/dms", str(dms)))
    proc = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr.strip() == "", proc.stderr  # unknown keys would be reported
