"""What each vehicle source kind needs from the operating system, for the service's sandbox.

`firmware_config/systemd/dms-edge.service` restricts socket address families and device nodes; these
are the holes each source kind needs (tests/deploy/test_systemd_units.py holds the unit to exactly the
runtime's own needs plus the union of these):

  replay   nothing: a file
  gpsd     TCP to gpsd (AF_INET/AF_INET6, which the uplink needs anyway)
  can      SocketCAN: AF_CAN sockets (`can:virtual/...` is inside the process: nothing)
  obd      an ELM327 adapter on a serial port: USB (FTDI/CH340: ttyUSB, CDC: ttyACM), Bluetooth bound
           with `rfcomm bind` (rfcomm), the Pi's UART (ttyAMA: PL011; ttyS: the mini UART of a Pi 3/4
           whose PL011 serves Bluetooth); serial nodes belong to group `dialout`
  nmea     a GPS receiver on the same kinds of serial port
"""

from __future__ import annotations

from dataclasses import dataclass

from dms.errors import UserError


@dataclass(frozen=True)
class SandboxNeeds:
    address_families: frozenset[str] = frozenset()
    """Socket address families (systemd RestrictAddressFamilies=)."""
    device_classes: frozenset[str] = frozenset()
    """Device node classes of /proc/devices (systemd DeviceAllow=char-NAME)."""
    groups: frozenset[str] = frozenset()
    """Groups that own those nodes (systemd SupplementaryGroups=)."""

    def __or__(self, other: SandboxNeeds) -> SandboxNeeds:
        return SandboxNeeds(
            self.address_families | other.address_families,
            self.device_classes | other.device_classes,
            self.groups | other.groups,
        )


SERIAL = SandboxNeeds(
    device_classes=frozenset({"char-ttyUSB", "char-ttyACM", "char-rfcomm", "char-ttyAMA", "char-ttyS"}),
    groups=frozenset({"dialout"}),
)
NEEDS: dict[str, SandboxNeeds] = {
    "replay": SandboxNeeds(),
    "gpsd": SandboxNeeds(address_families=frozenset({"AF_INET", "AF_INET6"})),
    "can": SandboxNeeds(address_families=frozenset({"AF_CAN"})),
    "obd": SERIAL,
    "nmea": SERIAL,
}


def sandbox_needs(spec: str | None) -> SandboxNeeds:
    """The union of the needs of every source in `spec` (see `edge.vehicle.open_vehicle_source`)."""
    needs = SandboxNeeds()
    for part in (spec or "").split(","):
        kind, _, rest = part.strip().partition(":")
        if not kind:
            continue
        if kind not in NEEDS:
            raise UserError(f"unknown vehicle source kind {kind!r}; expected one of {', '.join(NEEDS)}")
        if kind == "can" and "/" in rest.partition(":")[0] and not rest.startswith("socketcan/"):
            continue  # another python-can interface (virtual, ...): no SocketCAN socket
        needs |= NEEDS[kind]
    return needs
