"""Health, readiness and Prometheus metrics of the gateway and of the portal/API.

- `GatewayMetrics`: what `dms gateway run` counts (messages in, applied, duplicates, dead letters,
  retries, batch latency, acknowledgement lag, queue depth, bus connection, worker restarts), served with
  `/healthz` and `/readyz` by `HealthServer` on the gateway's small HTTP port (`GatewaySettings.http`).
- `ApiMetrics` + `observe_requests`: requests, their latency and the open server-sent-event clients of
  the portal/API app, with an access log line per request (logger `dms.access`); `/healthz`,
  `/readyz` and `/metrics` are routes of that app (gateway/api/routes_health.py).

Each service has a registry of its own (no global state: tests run many in one process). Metric names
are the contract of `deploy/grafana/dms-back-office.json`; a test checks every name it queries exists.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy import text

from dms.errors import UserError

access_log = logging.getLogger("dms.access")
log = logging.getLogger(__name__)

# Seconds: a batch commit takes milliseconds on a quiet database and seconds when it is busy.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SSE_STREAMS = ("api", "fleet")
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
# The ingest loop turns at least every 0.4 s when idle; a loop silent this long is stuck.
LOOP_STALE_S = 60.0


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
    PlatformCollector(registry=registry)
    return registry


def database_reachable(sessions) -> tuple[bool, str]:
    """SELECT 1 on a connection of `sessions`: (True, "ok") or (False, the first line of the error)."""
    try:
        with sessions() as db:
            db.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any failure means not ready; the reason is reported, not raised
        return False, (str(exc).splitlines() or [type(exc).__name__])[0][:200]


class GatewayMetrics:
    """The counters of one `dms gateway run` process."""

    def __init__(self) -> None:
        self.registry = r = _registry()
        self.messages_in = Counter(
            "dms_gateway_messages_received", "Messages taken from the bus into a batch.", registry=r
        )
        self.applied = Counter(
            "dms_gateway_messages_applied", "Messages applied to the database.", registry=r
        )
        self.duplicates = Counter(
            "dms_gateway_messages_duplicate", "Re-deliveries recognised by msg_id (not applied).", registry=r
        )
        self.dead_lettered = Counter(
            "dms_gateway_messages_dead_lettered", "Messages refused into the dead letters.", registry=r
        )
        self.acked = Counter("dms_gateway_messages_acked", "Messages acknowledged to the bus.", registry=r)
        self.batches = Counter("dms_gateway_batches", "Batches committed and acknowledged.", registry=r)
        self.retries = Counter(
            "dms_gateway_batch_retries", "Batch attempts that found the database unavailable.", registry=r
        )
        self.worker_restarts = Counter(
            "dms_gateway_worker_restarts", "Ingest worker pools restarted after a worker died.", registry=r
        )
        self.batch_seconds = Histogram(
            "dms_gateway_batch_seconds",
            "Time to apply and commit one batch (retries included).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "dms_gateway_batch_messages", "Messages per batch.", buckets=BATCH_SIZE_BUCKETS, registry=r
        )
        self.lag = Gauge(
            "dms_gateway_ack_lag_seconds",
            "Receipt to acknowledgement of the oldest message of the last acknowledged batch.",
            registry=r,
        )
        self.queue_depth = Gauge(
            "dms_gateway_queue_depth", "Messages received and not yet taken into a batch.", registry=r
        )
        self.bus_connected = Gauge(
            "dms_gateway_bus_connected", "1 while the gateway is connected to its bus.", registry=r
        )
        self.database_up = Gauge(
            "dms_gateway_database_up", "1 when the last readiness check reached the database.", registry=r
        )

    def bind(self, queue_depth: Callable[[], float], bus_connected: Callable[[], bool]) -> None:
        """Gauges read at scrape time from the running receiver."""
        self.queue_depth.set_function(queue_depth)
        self.bus_connected.set_function(lambda: 1.0 if bus_connected() else 0.0)


class ApiMetrics:
    """The counters of one portal/API app."""

    def __init__(self) -> None:
        self.registry = r = _registry()
        self.requests = Counter(
            "dms_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "dms_http_request_seconds",
            "Time to answer (server-sent events: the whole stream).",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sse_clients = Gauge(
            "dms_sse_clients_open",
            "Open server-sent-event streams: api (/api/stream), fleet (the portal's fleet board).",
            ["stream"],
            registry=r,
        )
        for stream in SSE_STREAMS:
            self.sse_clients.labels(stream)  # exported (as 0) before the first client
        self.database_up = Gauge(
            "dms_http_database_up", "1 when the last readiness check reached the database.", registry=r
        )


@contextmanager
def sse_client(metrics: ApiMetrics, stream: str) -> Iterator[None]:
    """Counts one open server-sent-event stream for as long as the block runs."""
    gauge = metrics.sse_clients.labels(stream)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus' text format and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _route_of(scope) -> str:
    """The route's template (/api/vehicles/{vehicle_id}), never the raw path: bounded label values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    return "static" if scope.get("path", "").startswith("/static/") else "unmatched"


def observe_requests(app, metrics: ApiMetrics, clock: Callable[[], float] = time.perf_counter):
    """Wrap an ASGI app: count and time every HTTP request and write one access-log line for it.

    Pure ASGI (not BaseHTTPMiddleware): a server-sent-event stream passes through untouched."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start, status = clock(), [500]

        async def send_and_watch(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_watch)
        finally:
            elapsed = clock() - start
            route, method = _route_of(scope), scope["method"]
            metrics.requests.labels(method, route, str(status[0])).inc()
            metrics.request_seconds.labels(method, route).observe(elapsed)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %d %.1fms",
                client[0] if client else "-",
                method,
                scope.get("path", ""),
                status[0],
                elapsed * 1000,
                extra={
                    "http": {
                        "client": client[0] if client else None,
                        "method": method,
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status[0],
                        "ms": round(elapsed * 1000, 1),
                    }
                },
            )

    return wrapped


class HealthServer:
    """The gateway's HTTP port: GET /healthz, /readyz, /metrics on a thread of its own.

    `live()`: the ingest loop is turning; `ready()`: {check: (ok, detail)} (database, bus)."""

    def __init__(
        self,
        address: tuple[str, int],
        metrics: GatewayMetrics,
        live: Callable[[], bool],
        ready: Callable[[], dict[str, tuple[bool, str]]],
    ):
        handler = _handler(metrics, live, ready)
        try:
            self._server = ThreadingHTTPServer(address, handler)
        except OSError as exc:
            raise UserError(
                f"gateway: cannot listen on {address[0]}:{address[1]} for health and metrics: "
                f"{exc.strerror or exc} (set another address with --http, or --http off)"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="health-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(metrics: GatewayMetrics, live, ready) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dms-gateway"

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                body, content_type = exposition(metrics.registry)
                self._answer(200, body, content_type)
            elif path == "/healthz":
                ok = live()
                self._json(200 if ok else 503, {"status": "ok" if ok else "ingest loop stalled"})
            elif path == "/readyz":
                checks = ready()
                ok = all(passed for passed, _ in checks.values())
                self._json(
                    200 if ok else 503,
                    {
                        "status": "ready" if ok else "not ready",
                        "checks": {k: v[1] for k, v in checks.items()},
                    },
                )
            else:
                self._json(404, {"detail": "not found: /healthz, /readyz, /metrics"})

        def _json(self, status: int, body: dict) -> None:
            self._answer(status, json.dumps(body).encode(), "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # scrapes every few seconds: debug, not the journal
            log.debug("health http: " + format, *args)

    return Handler
