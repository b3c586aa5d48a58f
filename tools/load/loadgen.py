"""Synthetic vehicle traffic and broker housekeeping for end-to-end tests, benchmarks and load runs."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from dms.contract import VehicleStatus, encode
from gateway.mqtt import parse_broker_url


def status_messages(
    vehicle_ids: list[str], count: int, start: datetime, *, tag: str = "s", km_per_message: float = 0.01
) -> Iterator[tuple[str, bytes]]:
    """`count` status messages round-robin over the vehicles, one per vehicle per second, odometers rising."""
    for i in range(count):
        vid = vehicle_ids[i % len(vehicle_ids)]
        n = i // len(vehicle_ids)
        yield encode(
            VehicleStatus(
                vehicle_id=vid,
                msg_id=f"{tag}{i:010d}",
                ts=start + timedelta(seconds=n),
                signals={
                    "Vehicle.Speed": 50.0 + i % 30,
                    "Vehicle.TraveledDistance": 1000.0 + n * km_per_message,
                    "Vehicle.CurrentLocation.Latitude": 48.0 + n * 1e-5,
                    "Vehicle.CurrentLocation.Longitude": 11.0,
                    "Vehicle.Powertrain.FuelSystem.RelativeLevel": 60.0,
                    "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
                },
            )
        )


def connect(
    url: str, client_id: str = "", *, v5: bool = True, session_expiry: int | None = None, clean: bool = True
) -> paho.Client:
    """A started paho client connected to `url` (raises when the broker refuses)."""
    address = parse_broker_url(url)
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5 if v5 else paho.MQTTv311
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    props = None
    if v5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry or 0
    # clean_start is an MQTT 5 notion; paho refuses any value but its default on 3.1.1.
    clean_start = clean if v5 else paho.MQTT_CLEAN_START_FIRST_ONLY
    client.connect(address.host, address.port, keepalive=30, clean_start=clean_start, properties=props)
    client.loop_start()
    return client


def publish(
    url: str,
    items: Iterable[tuple[str, bytes]],
    *,
    qos: int = 1,
    pace_s: float = 0.0,
    client_id: str = "",
    v5: bool = True,
) -> int:
    """Publish every (topic, payload) and wait until the broker acknowledged all of them (`v5` False:
    MQTT 3.1.1, e.g. NATS's MQTT listener)."""
    client = connect(url, client_id, v5=v5)
    sent = []
    try:
        for topic, payload in items:
            sent.append(client.publish(topic, payload, qos=qos))
            if pace_s:
                time.sleep(pace_s)
        for info in sent:
            info.wait_for_publish(timeout=60)
    finally:
        client.loop_stop()
        client.disconnect()
    return len(sent)


def clear_sessions(url: str, client_ids: Iterable[str]) -> None:
    """Drop the broker's persistent sessions of these client ids (after tests and benchmark runs)."""
    for cid in client_ids:
        client = connect(url, cid, session_expiry=0, clean=True)
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()
