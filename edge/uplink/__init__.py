"""Telematics uplink: a durable outbox drained to MQTT (QoS 1, retained presence, 3.1.1 fallback)."""

from edge.uplink.mqtt import MqttUplink, UplinkStats
from edge.uplink.outbox import Outbox, OutboxRow, PutResult
from edge.uplink.settings import (
    MqttSettings,
    OutboxSettings,
    TelemetrySettings,
    TlsSettings,
    parse_broker_url,
)

__all__ = [
    "MqttSettings",
    "MqttUplink",
    "Outbox",
    "OutboxRow",
    "OutboxSettings",
    "PutResult",
    "TelemetrySettings",
    "TlsSettings",
    "UplinkStats",
    "parse_broker_url",
]
