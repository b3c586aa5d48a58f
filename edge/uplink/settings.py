"""Settings of the uplink: broker connection, outbox and sampling rates.

Secrets are never settings values: the password is read at connect time from an environment variable
or a file named here, so no config dump or log line can contain it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from dms.broker_tls import TlsSettings, read_password
from dms.errors import UserError
from dms.settings import Settings

__all__ = ["TlsSettings"]  # re-exported: the device file's mqtt.tls section (dms/broker_tls.py)

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


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
        return read_password(self.password_env, self.password_file, os.environ)


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


# The "detailed" profile: what every vehicle sent before issue 27 (driver state and status once a second,
# status also at once on a 10 km/h, 5 % fuel or 1 V battery change, a trouble code or a start/stop), as
# JSON, one message per sample. Fields given next to `profile` still win.
DETAILED_PROFILE: dict[str, object] = {
    "status_hz": 1.0,
    "state_hz": 1.0,
    "distance_change_m": None,
    "heading_change_deg": None,
    "min_change_interval_s": 0.2,
    "state_on_change": False,
    "batch_window_s": 0.0,
    "encoding": "json",
}
PROFILES: dict[str, dict[str, object]] = {"default": {}, "detailed": DETAILED_PROFILE}


class TelemetrySettings(Settings):
    """When samples go out and how they are packed. Events always go at once, one per message.

    Default profile (fits a fleet SIM plan): status on what matters - moved `distance_change_m`, turned
    `heading_change_deg`, speed, fuel or battery beyond their deadbands, a new trouble code, a start or a
    stop - plus a heartbeat (`status_heartbeat_moving_s` / `status_heartbeat_parked_s`); driver state when
    its level changes (monitoring, active episodes, fatigue or distraction crossing a
    `state_level_step_pct` band) plus `state_heartbeat_s`; samples batched for up to `batch_window_s`; CBOR with short keys
    (`encoding`). `profile: detailed` is the 1 Hz JSON of before (DETAILED_PROFILE)."""

    profile: Literal["default", "detailed"] = "default"
    """Starting point for every field not given: default (change-driven, batched, compact) or detailed
    (1 Hz driver state and status, JSON, unbatched)."""
    status_hz: float | None = Field(
        None, gt=0, le=50, description="Fixed-rate status samples per second on top of the rest; None: off."
    )
    state_hz: float | None = Field(
        None, gt=0, le=50, description="Fixed-rate driver-state samples per second; None: on change only."
    )
    status_heartbeat_moving_s: float = Field(
        30.0, ge=1, le=3600, description="Longest gap between status samples while moving, seconds."
    )
    status_heartbeat_parked_s: float = Field(
        300.0, ge=1, le=86_400, description="Longest gap between status samples while standing, seconds."
    )
    distance_change_m: float | None = Field(
        250.0,
        gt=0,
        le=100_000,
        description="Moved this far from the last sample (metres): status. None: off.",
    )
    heading_change_deg: float | None = Field(
        20.0,
        gt=0,
        le=180,
        description="Turned this far from the last sample's heading (degrees): status (a turn). None: off.",
    )
    heading_min_speed_kmh: float = Field(
        5.0, ge=0, le=100, description="Headings below this speed are GNSS noise: no turn is read from them."
    )
    stop_speed_kmh: float = Field(
        0.5,
        ge=0,
        le=10,
        description="At or below this speed the vehicle stands (when the source gives no Vehicle.IsMoving).",
    )
    speed_change_kmh: float = Field(
        10.0, gt=0, le=400, description="A speed change this large sends status at once."
    )
    voltage_change_v: float = Field(
        1.0, gt=0, le=60, description="A battery voltage change this large sends status."
    )
    fuel_change_pct: float = Field(
        5.0, gt=0, le=100, description="A fuel level change this large sends status."
    )
    min_change_interval_s: float = Field(
        1.0, ge=0, le=60, description="Change-triggered samples no more often than this, seconds."
    )
    state_on_change: bool = True
    """Send driver state when its level changes (monitoring, active episodes, a fatigue or distraction band)."""
    state_level_step_pct: float = Field(
        25.0,
        gt=0,
        le=100,
        description="Width of the fatigue / distraction bands whose crossing is a change, percent.",
    )
    state_heartbeat_s: float = Field(
        60.0, ge=1, le=86_400, description="Longest gap between driver-state samples, seconds."
    )

    batch_window_s: float = Field(
        20.0,
        ge=0,
        le=300,
        description=(
            "Samples wait at most this long (message time) to travel together in one message; 0: one per "
            "message. Events never wait, and send the samples waiting before them first."
        ),
    )
    batch_max: int = Field(50, ge=1, le=200, description="At most this many samples in one message.")
    live_max_s: float = Field(
        600.0,
        ge=0,
        le=3600,
        description=(
            "Longest live detail (driver state and status every second, unbatched) a dispatcher's request "
            "on dms/v1/<id>/cmd may switch on, seconds; then the vehicle falls back by itself. 0: ignored."
        ),
    )
    encoding: Literal["json", "cbor1"] = "cbor1"
    """Payload encoding of this vehicle's messages, named by their topic (dms/v1/<id>/<kind>[-cbor1]): json
    (the contract's JSON, VSS names) or cbor1 (CBOR, short keys of key dictionary 1: dms/contract/compact.py).
    Presence is always JSON."""

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("profile") in PROFILES:
            return {**PROFILES[data["profile"]], **data}
        return data
