"""Health, readiness, metrics, access log and JSON logs of the portal/API app; the Grafana dashboard's
queries against the metric names the processes export. (The gateway's port: tests/gateway/test_service.py;
both running for real: tests/gateway/test_metrics_e2e.py.)"""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from dms.errors import UserError
from dms.logs import JsonFormatter
from gateway.api import create_app
from gateway.observability import GatewayMetrics, exposition
from gateway.settings import GatewaySettings
from tests.support.metrics import dashboard_metrics, sample, sample_names

SETTINGS = GatewaySettings(jwt_secret="a test secret that is long enough!!")


@pytest.fixture
def local_client(db_url):
    """The API as seen from loopback (where /metrics answers by default)."""
    return TestClient(create_app(db_url, SETTINGS), client=("127.0.0.1", 40000))


def test_health_and_readiness_without_sign_in(local_client):
    assert local_client.get("/healthz").json() == {"status": "ok"}
    ready = local_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}


def test_readiness_fails_when_the_database_is_gone():
    url = "postgresql://postgres@127.0.0.1:1/nothing"  # nobody listens on port 1
    ready = TestClient(create_app(url, SETTINGS)).get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"
    assert "127.0.0.1" in ready.json()["checks"]["database"]


def test_requests_are_counted_by_route_template_and_logged(local_client, caplog):
    with caplog.at_level(logging.INFO, logger="dms.access"):
        local_client.get("/api/vehicles/V1")  # 401: not signed in
        local_client.get("/no/such/page")
    scrape = local_client.get("/metrics").text
    labels = {"method": "GET", "route": "/api/vehicles/{vehicle_id}", "status": "401"}
    assert sample(scrape, "dms_http_requests_total", **labels) == 1
    assert sample(scrape, "dms_http_requests_total", route="unmatched", status="404") == 1
    assert sample(scrape, "dms_http_request_seconds_count", route="/api/vehicles/{vehicle_id}") == 1
    assert sample(scrape, "dms_sse_clients_open") == 0
    assert sample(scrape, "process_resident_memory_bytes") > 0
    lines = [r for r in caplog.records if r.name == "dms.access"]
    assert [(r.http["path"], r.http["status"]) for r in lines] == [
        ("/api/vehicles/V1", 401),
        ("/no/such/page", 404),
    ]
    assert lines[0].getMessage().startswith("127.0.0.1 GET /api/vehicles/V1 401 ")


def test_metrics_only_for_allowed_networks(db_url):
    assert TestClient(create_app(db_url, SETTINGS), client=("10.1.2.3", 1)).get("/metrics").status_code == 404
    allowed = SETTINGS.with_overrides(metrics_allow=("10.0.0.0/8",))
    answer = TestClient(create_app(db_url, allowed), client=("10.1.2.3", 1)).get("/metrics")
    assert answer.status_code == 200 and "dms_http_requests_total" in answer.text
    with pytest.raises(UserError, match="metrics_allow"):
        SETTINGS.with_overrides(metrics_allow=("10.0.0.1/8",))  # host bits set: not a network


def test_every_metric_the_dashboard_queries_is_exported(local_client):
    local_client.get("/healthz")
    exported = sample_names(local_client.get("/metrics").text) | sample_names(
        exposition(GatewayMetrics().registry)[0].decode()
    )
    wanted = dashboard_metrics()
    assert {"dms_gateway_messages_applied_total", "dms_sse_clients_open"} <= wanted
    assert wanted <= exported, sorted(wanted - exported)


def test_json_log_lines_carry_the_extra_fields():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("dms.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("disk %s", "full", extra={"http": {"status": 503}})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{"))
    assert first["msg"] == "disk full" and first["level"] == "warning" and first["http"] == {"status": 503}
    assert first["logger"] == "dms.test.json" and first["ts"].endswith("+00:00")
    assert second["msg"] == "failed" and "ValueError: boom" in second["exc"]
