"""Commands from the back office to a vehicle, published on its command topic `dms/v1/<id>/cmd` (the
broker's ACL lets the gateway's account write every command topic and each vehicle read only its own).

The live view: a dispatcher opening a vehicle's live view asks it for driver state and status every
second for `live_view_s` (`request_live`); the vehicle bounds it by its own `telemetry.live_max_s` and
falls back to its usual cadence by itself when the time runs out, so nothing has to be switched off.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from dms.contract import LiveRequest, encode
from dms.errors import UserError
from gateway.mqtt import parse_broker_url

log = logging.getLogger(__name__)
BROKER_ENV = "DMS_COMMAND_BROKER"


class CommandsUnavailable(UserError):
    """No broker to send commands through, or it did not take the command in time."""


class CommandPublisher:
    """One MQTT connection (3.1.1, any broker), opened on first use; `send` returns once the broker
    acknowledged the command (QoS 1 PUBACK), or raises CommandsUnavailable."""

    def __init__(self, url: str, client_id: str = "dms-commands", timeout_s: float = 5.0):
        self.address = parse_broker_url(url)
        self.client_id = f"{client_id}-{os.getpid()}"
        self.timeout_s = timeout_s
        self._client: paho.Client | None = None
        self._lock = threading.Lock()

    def _connected(self) -> paho.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        self.close()
        a = self.address
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv311)
        if a.username:
            client.username_pw_set(a.username, a.password)
        if a.tls:
            client.tls_set()
        up = threading.Event()
        client.on_connect = lambda *args: up.set() if not args[3].is_failure else None
        try:
            client.connect(a.host, a.port, keepalive=60)
        except OSError as exc:
            raise CommandsUnavailable(f"cannot reach the command broker {a}: {exc}") from None
        client.loop_start()
        if not up.wait(self.timeout_s):
            client.loop_stop()
            raise CommandsUnavailable(f"the command broker {a} did not accept the connection")
        self._client = client
        return client

    def send(self, message: LiveRequest) -> None:
        topic, payload = encode(message)
        with self._lock:
            info = self._connected().publish(topic, payload, qos=1)
            try:
                info.wait_for_publish(self.timeout_s)
            except (RuntimeError, ValueError):
                pass
            if not info.is_published():
                self.close()
                raise CommandsUnavailable(f"the command broker {self.address} did not acknowledge {topic}")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None


def publisher_from(url: str | None) -> CommandPublisher | None:
    """The publisher of `url` (settings), else of env DMS_COMMAND_BROKER, else None."""
    url = url or os.environ.get(BROKER_ENV)
    return CommandPublisher(url) if url else None


def request_live(
    publisher: CommandPublisher | None, vehicle_id: str, seconds: float, now: datetime
) -> LiveRequest:
    """Ask `vehicle_id` for live detail for `seconds` from `now`; the request sent."""
    if publisher is None:
        raise CommandsUnavailable(
            f"no command broker configured (gateway setting command_broker or env {BROKER_ENV})"
        )
    request = LiveRequest(vehicle_id=vehicle_id, ts=now, seconds=seconds)
    publisher.send(request)
    log.info("live view of %s requested for %.0f s (%s)", vehicle_id, seconds, request.msg_id)
    return request
