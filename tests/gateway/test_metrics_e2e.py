"""A running `dms gateway run` and `dms portal run` on the machine's Mosquitto and PostgreSQL, scraped
like Prometheus would: the counters move during the run, readiness reports the database and the bus,
the portal's access log comes out as JSON lines, and the Grafana dashboard's metrics all exist."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from gateway import auth
from gateway.db.session import make_engine, make_sessionmaker, session_scope
from tests.support.db import empty_pg
from tests.support.factories import register
from tests.support.faults import Gateways
from tests.support.metrics import dashboard_metrics, http_get, sample, sample_names
from tests.support.mqtt import free_port
from tools.demo.processes import Child, dms_command, wait_until
from tools.load.loadgen import publish, status_messages

pytestmark = pytest.mark.slow
START = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
APPLIED = "dms_gateway_messages_applied_total"


def test_scrapes_of_a_running_gateway_and_portal_move_during_a_run(tmp_path, mosquitto_url, pg_database):
    empty_pg(pg_database)
    sessions = make_sessionmaker(make_engine(pg_database))
    tag = uuid.uuid4().hex[:8]
    vid = f"MET-{tag}"
    register(sessions, vid, now=START)
    with session_scope(sessions) as db:
        auth.create_user(db, "admin", "pw", "admin", dealer_code=None, now=START, rounds=4)
    gw = f"http://127.0.0.1:{free_port()}"
    portal = f"http://127.0.0.1:{free_port()}"
    gateways = Gateways(tmp_path, mosquitto_url, pg_database)
    portal_child = Child(
        "portal",
        dms_command("portal", "run", "--db", pg_database, "--http", portal[7:]),
        tmp_path / "portal.log",
    )
    try:
        gateways.start("gw", "--http", gw[7:])
        portal_child.start(env={"DMS_LOG_FORMAT": "json"})
        wait_until(lambda: http_get(f"{portal}/healthz")[0] == 200 or not portal_child.running(), 60)
        assert portal_child.running(), portal_child.tail(20)

        status, body = http_get(f"{gw}/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "bus": "connected"}, body
        assert http_get(f"{gw}/healthz")[0] == 200
        assert http_get(f"{portal}/readyz")[0] == 200
        before = http_get(f"{gw}/metrics")[1]

        # Other tests' vehicles may share the broker: every count below is "at least".
        stream = [*status_messages([vid], 50, START, tag=f"m{tag}"), (f"dms/v1/{vid}/status", b"{not json")]
        publish(mosquitto_url, stream)
        wait_until(
            lambda: sample(http_get(f"{gw}/metrics")[1], APPLIED) - sample(before, APPLIED) >= 50,
            60,
            what="the applied counter to move by 50",
        )
        after = http_get(f"{gw}/metrics")[1]
        for name, moved in (
            ("dms_gateway_messages_received_total", 51),
            ("dms_gateway_messages_acked_total", 51),
            ("dms_gateway_messages_dead_lettered_total", 1),
            ("dms_gateway_batch_seconds_count", 1),
        ):
            assert sample(after, name) - sample(before, name) >= moved, name
        assert (
            sample(after, "dms_gateway_bus_connected") == 1 and sample(after, "dms_gateway_database_up") == 1
        )

        with httpx.Client(base_url=portal, timeout=10) as client:
            token = client.post("/api/token", data={"username": "admin", "password": "pw"}).json()[
                "access_token"
            ]
            headers = {"Authorization": f"Bearer {token}"}
            with client.stream("GET", "/api/stream", headers=headers) as live:
                lines = live.iter_lines()  # kept: a discarded line iterator closes the connection
                assert next(lines).startswith("event: ready")
                scrape = http_get(f"{portal}/metrics")[1]
                assert sample(scrape, "dms_sse_clients_open") == 1, portal_child.tail(20)
            wait_until(lambda: sample(http_get(f"{portal}/metrics")[1], "dms_sse_clients_open") == 0, 10)
            # the fleet board's own stream, for a signed-in browser
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            form = {"username": "admin", "password": "pw", "csrf_token": csrf}
            assert client.post("/login", data=form).status_code == 303
            with client.stream("GET", "/fleet/stream") as live:
                lines = live.iter_lines()
                assert next(lines).startswith("event: ready")
                scrape = http_get(f"{portal}/metrics")[1]
                assert sample(scrape, "dms_sse_clients_open", stream="fleet") == 1
                assert sample(scrape, "dms_sse_clients_open", stream="api") == 0
        scrape = http_get(f"{portal}/metrics")[1]
        assert sample(scrape, "dms_http_requests_total", route="/api/token", status="200") == 1
        assert sample(scrape, "dms_http_requests_total", route="/api/stream", status="200") == 1

        missing = dashboard_metrics() - sample_names(after) - sample_names(scrape)
        assert not missing, f"the dashboard queries metrics no process exports: {sorted(missing)}"
    finally:
        portal_child.stop()
        gateways.close()

    access = [
        line
        for line in (
            json.loads(x) for x in portal_child.log_path.read_text().splitlines() if x.startswith("{")
        )
        if line["logger"] == "dms.access"
    ]
    token_line = next(line for line in access if line["http"]["path"] == "/api/token")
    assert token_line["http"]["status"] == 200 and token_line["http"]["method"] == "POST"
    assert token_line["level"] == "info" and token_line["http"]["ms"] >= 0
