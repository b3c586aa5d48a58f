"""Settings of the uplink: broker connection, outbox and sampling rates.

Secrets are never settings values: the password is read at connect time from an environment variable
or a file named here, so no config dump or log line can contain it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from dms.errors import UserError
from dms.settings import Settings

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class TlsSettings(Settings):
    enabled: bool | None = None
    """Use TLS. None: decided by the URL scheme (mqtts:// means TLS)."""
    ca_file: Path | None = None
    """CA bundle that signed the broker's certificate; None uses the system store."""
    cert_file: Path | None = None
    """Client certificate (PEM) for certificate authentication."""
    key_file: Path | None = None
    """Private key (PEM) of the client certificate."""
    insecure: bool = False
    """Skip the broker host name check (test rigs only)."""


class MqttSettings(Settings):
    url: str = "mqtt://127.0.0.1:1883"
    """Broker address: mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (TLS)."""
    failover_urls: tuple[str, ...] = Field((), max_length=8)
    """Further addresses of the same broker cluster (e.g. the other NATS nodes' MQTT listeners), at most
    8: when the connection to one is lost or cannot be made, the uplink connects to the next (after the
    last, the first again) and sends what its outbox holds unacknowledged. Same credentials and TLS."""
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    """MQTT version; auto tries 5 and falls back to 3.1.1 when the broker does not speak 5."""
    client_id: str | None = None
    """MQTT client id; None: dms-edge-<vehicle id>."""
    username: str | None = None
    """Broker user name (usually the vehicle id); None connects anonymously."""
    password_env: str = "DMS_MQTT_PASSWORD"
    """Environment variable holding the broker password (read at connect time, never logged)."""
    password_file: Path | None = None
    """File holding the broker password (first line); used when the environment variable is unset."""
    tls: TlsSettings = Field(default_factory=TlsSettings, description="TLS and client certificates.")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keep-alive interval, seconds.")
    reconnect_min_s: float = Field(1.0, gt=0, description="First reconnect delay; doubles per failure.")
    reconnect_max_s: float = Field(16.0, gt=0, description="Longest delay between reconnect attempts.")
    max_inflight: int = Field(100, ge=1, le=65535, description="Messages sent but not yet acknowledged.")
    sample_qos: Literal[0, 1] = 1
    """QoS of state/status samples (events always use QoS 1)."""
    hold_unrouted: bool = True
    """Keep a QoS 1 message the broker acknowledged with MQTT 5 reason 0x10 "no matching subscribers"
    (no gateway subscribed, e.g. right after a broker restart, before the gateways' shared subscription
    is back: the broker drops such a message) and send it again after a pause. Off: such a message
    counts as delivered. Retained messages always count as delivered (the broker keeps them)."""
    unrouted_retry_min_s: float = Field(
        1.0,
        gt=0,
        le=3600,
        description=(
            "First pause before re-sending messages nobody was subscribed to; doubles while they stay unrouted."
        ),
    )
    unrouted_retry_max_s: float = Field(
        30.0, gt=0, le=3600, description="Longest pause between re-sends of unrouted messages."
    )

    def endpoint(self) -> tuple[str, int, bool]:
        """(host, port, use_tls) from the URL; UserError for anything else."""
        return parse_broker_url(self.url, self.tls.enabled)

    def endpoints(self) -> list[tuple[str, int, bool]]:
        """`url` then `failover_urls`, in the order they are tried; UserError for a bad one."""
        return [parse_broker_url(url, self.tls.enabled) for url in (self.url, *self.failover_urls)]

    def password(self) -> str | None:
        value = os.environ.get(self.password_env)
        if value:
            return value
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").splitlines()[0].strip()
            except (OSError, IndexError):
                raise UserError(f"cannot read the MQTT password from {self.password_file}") from None
        return None


def parse_broker_url(url: str, tls: bool | None = None) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UserError(f"bad broker URL {url!r}: expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]")
    if parts.username or parts.password:
        raise UserError(
            "put no credentials in the broker URL: set mqtt.username and the password "
            "through mqtt.password_env or mqtt.password_file"
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise UserError(f"bad port in broker URL {url!r}") from None
    return parts.hostname, port, parts.scheme == "mqtts" if tls is None else tls


class OutboxSettings(Settings):
    path: Path = Path("~/.local/state/dms/outbox.sqlite")
    """SQLite file of the durable outbox ('~' is expanded). Messages left in it are sent by the next run."""
    max_messages: int = Field(
        10_000,
        ge=10,
        description=(
            "Bound on stored messages; when full the oldest state/status samples are dropped, never an event."
        ),
    )


class TelemetrySettings(Settings):
    status_hz: float = Field(1.0, gt=0, le=50, description="Vehicle status samples per second.")
    state_hz: float = Field(1.0, gt=0, le=50, description="Driver-state samples per second.")
    speed_change_kmh: float = Field(10.0, gt=0, description="A speed change this large sends status at once.")
    voltage_change_v: float = Field(
        1.0, gt=0, description="A battery voltage change this large sends status."
    )
    fuel_change_pct: float = Field(5.0, gt=0, description="A fuel level change this large sends status.")
    min_change_interval_s: float = Field(
        0.2, ge=0, description="Change-triggered status no more often than this."
    )
