"""The short load run: 200 simulated vehicles for 30 s (the detailed profile: state and status at 1 Hz,
driver events, presence) through
a private Mosquitto (production-sized queues), one `dms gateway run` and PostgreSQL. Loss must be 0;
lag and resource use are printed, never asserted (2 shared cores). The 5-minute, 1,000-vehicle run is
`dms simulate` (deploy/SCALE_OUT.md)."""

from __future__ import annotations

import pytest

from tests.support.db import empty_pg
from tests.support.faults import Gateways, big_queue_broker
from tests.support.mqtt import MOSQUITTO
from tools.load.simulator import FleetSettings, ResourceMeter, postgres_backends, run_fleet, wall_clock

pytestmark = pytest.mark.slow


def test_200_vehicles_for_30_s_lose_nothing(tmp_path, pg_database):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed")
    empty_pg(pg_database)
    broker = big_queue_broker(tmp_path).start()
    gateways = Gateways(tmp_path, broker.url, pg_database)
    try:
        gw = gateways.start("gw", "--session-expiry", "60")
        meter = ResourceMeter(
            {"gateway": gw.proc.pid, "broker": broker.proc.pid, **postgres_backends(pg_database)}
        )
        report = run_fleet(
            FleetSettings(vehicles=200, seconds=30, episodes_per_hour=30, profile="detailed"),
            broker.url,
            pg_database,
            clock=wall_clock,
            meter=meter,
        )
        assert gw.running(), gw.tail(20)
    finally:
        gateways.close()
        broker.stop()
    print("\n" + "\n".join(report.lines()))
    assert report.sent > 2 * 200 * 30 and report.lost == 0 and report.dead_lettered == 0
    assert report.stored == report.sent
