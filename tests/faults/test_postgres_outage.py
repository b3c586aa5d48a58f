"""PostgreSQL (a private cluster) stopped for 30 s under a steady stream: the gateway keeps running,
acknowledges nothing it could not commit, and catches up with zero loss once the database is back.
The `killed` variant SIGKILLs the gateway late in the outage: had it acknowledged anything uncommitted,
those messages would be gone; the restarted gateway must still store every one."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from gateway.db.migrate import upgrade
from gateway.db.models import ProcessedMessage, StatusSample
from gateway.db.session import make_engine, make_sessionmaker
from tests.support.factories import register
from tests.support.faults import Gateways, big_queue_broker, count_rows
from tests.support.mqtt import MOSQUITTO, wait_for
from tools.load.loadgen import publish, status_messages

pytestmark = pytest.mark.slow
# Recent: raw status rows older than the gateway's raw_retention_days (7) are deleted by its housekeeping.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
OUTAGE_S = 30


@pytest.mark.parametrize("gateway_fate", ["survives", "killed"])
def test_postgres_down_30s_gateway_waits_then_catches_up_with_zero_loss(
    tmp_path, private_postgres, gateway_fate
):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed")
    pg = private_postgres
    upgrade(pg.url)
    vehicles = [f"PG{i:02d}" for i in range(20)]
    register(make_sessionmaker(make_engine(pg.url)), *vehicles, now=START)
    messages = list(status_messages(vehicles, 5000, START, tag=f"pg{gateway_fate[0]}"))
    broker = big_queue_broker(tmp_path).start()
    gateways = Gateways(tmp_path, broker.url, pg.url)
    try:
        gw = gateways.start("gw", "--session-expiry", "300")
        publisher = threading.Thread(target=publish, args=(broker.url, messages), kwargs={"pace_s": 0.01})
        publisher.start()  # ~100 msg/s for ~50 s
        wait_for(lambda: count_rows(pg.url, ProcessedMessage) >= 500, 60, "the first 500 messages")
        pg.stop()
        down_at = time.monotonic()
        if gateway_fate == "killed":
            time.sleep(OUTAGE_S - 5)
            os.killpg(gw.proc.pid, signal.SIGKILL)
            gw.proc.wait(10)
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        assert gateway_fate == "killed" or gw.running(), gw.tail(20)
        pg.start()
        up_at = time.monotonic()
        if gateway_fate == "killed":
            gw = gateways.start("gw", "--session-expiry", "300")  # same client id: same broker session
        publisher.join(120)
        wait_for(
            lambda: count_rows(pg.url, ProcessedMessage) >= len(messages), 120, "every message", interval=0.5
        )
        caught_up = time.monotonic() - up_at
        time.sleep(1.0)  # a double apply would show up now
        assert gw.running(), gw.tail(20)
        assert count_rows(pg.url, ProcessedMessage) == len(messages)
        assert count_rows(pg.url, StatusSample) == len(messages)
    finally:
        gateways.close()
        broker.stop()
    log = (tmp_path / "gw.log").read_text()
    retries = log.count("database unavailable")
    print(
        f"\n{len(messages)} messages; PostgreSQL down {OUTAGE_S} s (gateway {gateway_fate}); all stored "
        f"{caught_up:.1f} s after it came back; {retries} "
        "'database unavailable ... nothing acknowledged' warnings"
    )
