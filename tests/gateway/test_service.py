"""The gateway service: batching, MQTT protocol fallback, and one-line errors of `dms gateway run`."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time

import pytest

from dms.errors import UserError
from gateway.cli import with_credentials
from gateway.ingest import BatchResult, Ingestor
from gateway.mqtt import Delivery, MqttReceiver, parse_broker_url
from gateway.observability import GatewayMetrics, HealthServer
from gateway.service import GatewayService, OrderedAcks, take_batch
from gateway.settings import GatewaySettings
from tests.support.db import T0
from tests.support.metrics import http_get, sample
from tools.cli import main


def test_take_batch_drains_what_is_there_up_to_the_limit():
    q: queue.Queue = queue.Queue()
    for i in range(7):
        q.put(Delivery("t", b"", i, 1, 1))
    batch = take_batch(q, Delivery("t", b"", 99, 1, 1), limit=5, wait_s=0.0)
    assert [d.mid for d in batch] == [99, 0, 1, 2, 3] and q.qsize() == 3


def test_ordered_acks_wait_for_earlier_batches_and_skip_uncommitted_ones():
    acked = []
    acks = OrderedAcks(lambda batch, result: acked.append(batch) if result is not None else None)
    tickets = [acks.ticket() for _ in range(4)]
    acks.finished(tickets[2], ["c"], BatchResult())
    acks.finished(tickets[0], ["a"], BatchResult())
    assert acked == [["a"]]
    acks.finished(tickets[1], ["b"], None)  # not committed (stopped): the broker redelivers it
    assert acked == [["a"], ["c"]]
    acks.finished(tickets[3], ["d"], BatchResult())
    assert acked == [["a"], ["c"], ["d"]]


class _Receiver:
    def __init__(self, log: list):
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.log = log
        self.connected = True

    def ack(self, batch: list[Delivery]) -> int:
        self.log.append(("ack", [d.payload for d in batch]))
        return len(batch)


class _Ingestor(Ingestor):
    """Records commits; the batch holding payload b"0" takes longest, `fail` makes one batch fail."""

    def __init__(self, sessions, log: list, fail: bytes | None = None):
        super().__init__(sessions)
        self.log, self.fail = log, fail

    def single_writer(self) -> bool:
        return False

    def apply(self, batch):
        payloads = [p for _, p in batch]
        if self.fail in payloads:
            raise RuntimeError("a bug")
        if b"0" in payloads:
            time.sleep(0.3)
        self.log.append(("commit", payloads))
        return BatchResult(applied=len(batch))


def _run_service(sessions, log: list, fail: bytes | None = None, wait_for_acks: int = 3) -> GatewayService:
    receiver = _Receiver(log)
    for i in range(6):
        receiver.deliveries.put(Delivery("dms/v1/V1/status", str(i).encode(), i + 1, 1, 1))
    settings = GatewaySettings(batch_max=2, batch_wait_ms=0, ingest_workers=2)
    service = GatewayService(receiver, _Ingestor(sessions, log, fail), settings, clock=lambda: T0)
    errors = []
    thread = threading.Thread(target=lambda: _catch(service.run, errors))
    thread.start()
    deadline = time.monotonic() + 10
    while sum(1 for kind, _ in log if kind == "ack") < wait_for_acks and time.monotonic() < deadline:
        time.sleep(0.02)
    service.stop()
    thread.join(10)
    service.errors = errors
    return service


def _catch(run, errors: list) -> None:
    try:
        run()
    except Exception as exc:
        errors.append(exc)


def test_two_workers_commit_in_parallel_and_ack_in_arrival_order_each_after_its_commit(sessions):
    log: list = []
    service = _run_service(sessions, log)
    acks = [batch for kind, batch in log if kind == "ack"]
    commits = [batch for kind, batch in log if kind == "commit"]
    assert acks == [[b"0", b"1"], [b"2", b"3"], [b"4", b"5"]] and not service.errors
    assert commits.index([b"2", b"3"]) < commits.index([b"0", b"1"])  # the second batch did not wait
    for batch in acks:
        assert log.index(("commit", batch)) < log.index(("ack", batch))
    assert (service.counters.acked, service.counters.totals.applied) == (6, 6)


def test_a_failing_batch_stops_the_gateway_with_its_error_and_is_not_acknowledged(sessions):
    log: list = []
    service = _run_service(sessions, log, fail=b"2", wait_for_acks=1)
    assert [type(e) for e in service.errors] == [RuntimeError]
    assert [b"2", b"3"] not in [batch for kind, batch in log if kind == "ack"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mqtt", "ftp://x", "--db", "sqlite:///{tmp}/g.db"], "bad broker URL"),
        (["--mqtt", "mqtt://127.0.0.1:1883", "--db", "oracle://x"], "unsupported database"),
        (
            ["--mqtt", "mqtt://127.0.0.1:1883", "--db", "postgresql://nobody@127.0.0.1:1/x"],
            "cannot connect to database",
        ),
        (
            ["--mqtt", "mqtt://127.0.0.1:1", "--db", "sqlite:///{tmp}/g.db"],
            "cannot connect to the MQTT broker",
        ),
        (
            ["--mqtt", "mqtt://127.0.0.1:1883", "--db", "sqlite:///{tmp}/g.db", "--group", "bad group!"],
            "group",
        ),
    ],
)
def test_gateway_run_errors_are_one_line(tmp_path, capsys, args, message):
    code = main(["gateway", "run", *[a.replace("{tmp}", str(tmp_path)) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_users_and_vehicles_commands(tmp_path, capsys, monkeypatch):
    import io

    db = f"sqlite:///{tmp_path}/admin.db"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["users", "add", "ann", "--role", "technician", "--dealer", "D9", "--db", db]) == 0
    assert (
        main(
            [
                "vehicles",
                "add",
                "VAN-7",
                "--vin",
                "1hgcm82633a004352",
                "--model",
                "Van",
                "--dealer",
                "D9",
                "--purchase-date",
                "2024-05-01",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert main(["vehicles", "add", "VAN-7", "--db", db]) == 2
    capsys.readouterr()
    assert main(["vehicles", "list", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:5] == ["VAN-7", "Van", "-", "1HGCM82633A004352", "D9"]


@pytest.mark.slow
def test_falls_back_to_mqtt_311_on_amqtt():
    from tools.demo.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        receiver = MqttReceiver(parse_broker_url(broker.url), GatewaySettings(), "fallback-test")
        receiver.start()
        try:
            assert (receiver.protocol, receiver.subscription) == ("3.1.1", "dms/v1/+/+")
            from tools.load.loadgen import connect

            pub = connect(broker.url, v5=False)
            pub.publish("dms/v1/V1/status", b"{}", qos=1).wait_for_publish(10)
            pub.disconnect()
            delivery = receiver.deliveries.get(timeout=10)
            assert delivery.topic == "dms/v1/V1/status"
            assert receiver.ack([delivery]) == 1
        finally:
            receiver.stop()


def test_metrics_count_what_the_loop_did_and_the_health_port_serves_them(sessions):
    log: list = []
    service = _run_service(sessions, log, wait_for_acks=3)
    server = HealthServer(("127.0.0.1", 0), service.metrics, service.live, service.ready).start()
    try:
        scrape = http_get(f"{server.url}/metrics")[1]
        assert sample(scrape, "dms_gateway_messages_received_total") == 6
        assert sample(scrape, "dms_gateway_messages_applied_total") == 6
        assert sample(scrape, "dms_gateway_messages_acked_total") == 6
        assert sample(scrape, "dms_gateway_batches_total") == 3
        assert sample(scrape, "dms_gateway_batch_seconds_count") == 3
        assert sample(scrape, "dms_gateway_ack_lag_seconds") >= 0
        assert sample(scrape, "dms_gateway_bus_connected") == 1
        # stopped: no longer live; the database (SQLite here) answers, the bus is connected
        assert http_get(f"{server.url}/healthz")[0] == 503
        status, body = http_get(f"{server.url}/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "bus": "connected"}
        service.receiver.connected = False
        assert http_get(f"{server.url}/readyz")[0] == 503
        assert http_get(f"{server.url}/nothing")[0] == 404
    finally:
        server.close()


def test_health_port_taken_is_one_user_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UserError, match="cannot listen on 127.0.0.1"):
            HealthServer(taken.getsockname(), GatewayMetrics(), lambda: True, dict)


@pytest.mark.parametrize("bad", ["9464", "host:port", ":9464", "a b:1", "127.0.0.1:70000"])
def test_health_address_is_validated(bad):
    with pytest.raises(UserError, match="http"):
        GatewaySettings().with_overrides(http=bad)
    assert GatewaySettings().with_overrides(http="[::1]:0").http == "[::1]:0"


def test_bus_credentials_come_from_the_environment_or_a_file_never_the_url(tmp_path, monkeypatch):
    secret = tmp_path / "mqtt_password"
    secret.write_text("from-file\n")
    settings = GatewaySettings(bus_password_file=secret, bus_username="_gateway")
    monkeypatch.delenv("DMS_GATEWAY_BUS_PASSWORD", raising=False)
    address = with_credentials(parse_broker_url("mqtts://broker:8884"), settings)
    assert (address.username, address.password, address.tls) == ("_gateway", "from-file", True)
    assert "from-file" not in str(address)
    monkeypatch.setenv("DMS_GATEWAY_BUS_PASSWORD", "from-env")
    assert with_credentials(parse_broker_url("mqtt://gw@broker"), settings).password == "from-env"
    with pytest.raises(UserError, match="no password in the bus URL"):
        with_credentials(parse_broker_url("mqtt://gw:pw@broker"), settings)
    with pytest.raises(UserError, match="no user name"):
        with_credentials(parse_broker_url("mqtt://broker"), GatewaySettings())
    off = GatewaySettings(mqtt_tls={"enabled": False})
    monkeypatch.delenv("DMS_GATEWAY_BUS_PASSWORD")
    assert with_credentials(parse_broker_url("mqtts://broker"), off).tls is False


def test_worker_deaths_and_database_outages_are_counted(sessions):
    from sqlalchemy.exc import OperationalError

    from gateway.ingest.processes import IngestWorkerDied

    failures = [IngestWorkerDied("died"), OperationalError("SELECT 1", {}, Exception("down"))]

    class Flaky(Ingestor):
        def apply(self, batch):
            if failures:
                raise failures.pop(0)
            return BatchResult(applied=len(batch))

    settings = GatewaySettings(retry_after_s=0.01)
    service = GatewayService(_Receiver([]), Flaky(sessions, settings, lambda: T0), settings, clock=lambda: T0)
    assert service._commit([Delivery("dms/v1/V1/status", b"x", 1, 1, 1)]).applied == 1
    value = service.metrics.registry.get_sample_value
    assert value("dms_gateway_worker_restarts_total") == 1 and value("dms_gateway_batch_retries_total") == 1
    assert service.counters.retries == 1 and value("dms_gateway_batch_seconds_count") == 1
