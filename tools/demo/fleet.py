"""The rest of the demo fleet: the sample world's vans drive loops around their depot and report.

Each van publishes its presence and a VSS status once a second through the same broker as the edge
runtime, so the dispatcher's board shows a live fleet, not just the one vehicle with a camera.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import UTC, datetime

from dms.contract import Presence, VehicleStatus, encode

log = logging.getLogger(__name__)


class FleetSimulator:
    """Publishes status for `vans` (id, lat, lon, odometer_km, online) until `stop()`."""

    def __init__(
        self, mqtt_url: str, vans: list[tuple[str, float, float, float, bool]], period_s: float = 1.0
    ):
        self.mqtt_url = mqtt_url
        self.vans = [v for v in vans if v[4]]  # the sample world's offline vans stay parked and silent
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-fleet", daemon=True)

    def start(self) -> FleetSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def status(self, index: int, step: int) -> VehicleStatus:
        """Van `index` at tick `step`: a 2 km circle around its depot at its own pace."""
        vehicle_id, lat, lon, km, _ = self.vans[index]
        speed = 25.0 + 12.0 * index
        angle = step * speed / 3600.0 / 2.0 + index
        return VehicleStatus(
            vehicle_id=vehicle_id,
            signals={
                "Vehicle.Speed": speed + 5.0 * math.sin(step / 7.0),
                "Vehicle.TraveledDistance": km + step * speed / 3600.0,
                "Vehicle.CurrentLocation.Latitude": lat + 0.012 * math.sin(angle),
                "Vehicle.CurrentLocation.Longitude": lon + 0.02 * math.cos(angle),
                "Vehicle.CurrentLocation.Heading": (math.degrees(angle) + 90.0) % 360.0,
                "Vehicle.Powertrain.FuelSystem.RelativeLevel": max(5.0, 70.0 - step * 0.002 - 8 * index),
                "Vehicle.LowVoltageBattery.CurrentVoltage": 13.9 + 0.1 * math.sin(step / 11.0),
            },
        )

    def _run(self) -> None:
        from tools.load.loadgen import connect

        try:
            client = connect(self.mqtt_url, "dms-demo-fleet", v5=False)
        except (OSError, ValueError) as exc:
            log.warning("demo fleet: cannot reach the broker (%s); the vans stay parked", exc)
            return
        try:
            for vehicle_id, *_ in self.vans:
                client.publish(*encode(Presence(vehicle_id=vehicle_id, state="online")), qos=1, retain=True)
            step = 0
            while not self._stop.wait(self.period_s):
                step += 1
                for i in range(len(self.vans)):
                    client.publish(*encode(self.status(i, step)), qos=1)
            now = datetime.now(UTC)
            for vehicle_id, *_ in self.vans:
                client.publish(
                    *encode(Presence(vehicle_id=vehicle_id, state="offline", ts=now, reason="demo stopped")),
                    qos=1,
                    retain=True,
                ).wait_for_publish(2)
        finally:
            client.disconnect()
            client.loop_stop()
