"""systemd readiness and watchdog notifications (sd_notify), with no dependency.

The unit (firmware_config/systemd/dms-edge.service) is `Type=notify` with `WatchdogSec=`: systemd waits
for READY=1, then kills and restarts the runtime when WATCHDOG=1 stops arriving. Send WATCHDOG=1 from
the frame loop, not from a timer thread, so that a hung camera or a stuck inference stops the pings:

    from edge.watchdog import Watchdog
    watchdog = Watchdog.from_environ()      # a no-op outside systemd
    watchdog.ready("monitoring")            # once the camera delivers and the models are loaded
    for frame in source:
        ...                                 # process the frame
        watchdog.frame(frame.t)             # pings at most every half WatchdogSec, on frame time
    watchdog.stopping()

`frame(t)` takes the frame's own timestamp (no hidden clock) and pings when half the watchdog interval
has passed since the last ping. The protocol: one datagram "KEY=VALUE\\n..." to the unix socket named by
$NOTIFY_SOCKET ('@' prefix: Linux abstract namespace); $WATCHDOG_USEC gives the interval.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def sd_notify(state: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send `state` (e.g. "READY=1") to systemd. False when not run by systemd or the send fails."""
    address = environ.get("NOTIFY_SOCKET")
    if not address or address[0] not in "@/":
        return False
    if address[0] == "@":
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False  # a missed ping is systemd's business; never take the runtime down for it


class Watchdog:
    """READY / WATCHDOG / STOPPING notifications for one process."""

    def __init__(self, interval_s: float | None, environ: Mapping[str, str] = os.environ):
        self.interval_s = interval_s
        """The watchdog timeout systemd enforces (None: no watchdog asked for)."""
        self._environ = environ
        self._last_ping_t: float | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Watchdog:
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())  # the variables may be inherited by a child process
        interval = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and mine else None
        return cls(interval, environ)

    @property
    def enabled(self) -> bool:
        return self.interval_s is not None

    def ready(self, status: str | None = None) -> bool:
        return sd_notify("READY=1" + (f"\nSTATUS={status}" if status else ""), self._environ)

    def ping(self) -> bool:
        return self.enabled and sd_notify("WATCHDOG=1", self._environ)

    def frame(self, t: float) -> bool:
        """Call once per processed frame with its timestamp; pings when half the interval has passed."""
        if not self.enabled:
            return False
        if self._last_ping_t is not None and 0 <= t - self._last_ping_t < self.interval_s / 2:
            return False
        self._last_ping_t = t
        return self.ping()

    def status(self, text: str) -> bool:
        return sd_notify(f"STATUS={text}", self._environ)

    def stopping(self) -> bool:
        return sd_notify("STOPPING=1", self._environ)
