"""The gateway service: batching, MQTT protocol fallback, and one-line errors of `dms gateway run`."""
from __future__ import annotations

import queue

import pytest

from dms.cli import main
from gateway.mqtt import Delivery, MqttReceiver, parse_broker_url
from gateway.service import take_batch
from gateway.settings import GatewaySettings


def test_take_batch_drains_what_is_there_up_to_the_limit():
    q: queue.Queue = queue.Queue()
    for i in range(7):
        q.put(Delivery("t", b"", i, 1, 1))
    batch = take_batch(q, Delivery("t", b"", 99, 1, 1), limit=5, wait_s=0.0)
    assert [d.mid for d in batch] == [99, 0, 1, 2, 3] and q.qsize() == 3


@pytest.mark.parametrize("args, message", [
    (["--mqtt", "ftp://x", "--db", "sqlite:///{tmp}/g.db"], "bad broker URL"),
    (["--mqtt", "mqtt://127.0.0.1:1883", "--db", "oracle://x"], "unsupported database"),
    (["--mqtt", "mqtt://127.0.0.1:1883", "--db", "postgresql://nobody@127.0.0.1:1/x"], "cannot connect to database"),
    (["--mqtt", "mqtt://127.0.0.1:1", "--db", "sqlite:///{tmp}/g.db"], "cannot connect to the MQTT broker"),
    (["--mqtt", "mqtt://127.0.0.1:1883", "--db", "sqlite:///{tmp}/g.db", "--group", "bad group!"], "group"),
])
def test_gateway_run_errors_are_one_line(tmp_path, capsys, args, message):
    code = main(["gateway", "run", *[a.replace("{tmp}", str(tmp_path)) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_users_and_vehicles_commands(tmp_path, capsys, monkeypatch):
    import io
    db = f"sqlite:///{tmp_path}/admin.db"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["users", "add", "ann", "--role", "technician", "--dealer", "D9", "--db", db]) == 0
    assert main(["vehicles", "add", "VAN-7", "--vin", "1hgcm82633a004352", "--model", "Van", "--dealer", "D9",
                 "--purchase-date", "2024-05-01", "--db", db]) == 0
    assert main(["vehicles", "add", "VAN-7", "--db", db]) == 2
    capsys.readouterr()
    assert main(["vehicles", "list", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:5] == ["VAN-7", "Van", "-", "1HGCM82633A004352", "D9"]


@pytest.mark.slow
def test_falls_back_to_mqtt_311_on_amqtt():
    from dms.demo.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        receiver = MqttReceiver(parse_broker_url(broker.url), GatewaySettings(), "fallback-test")
        receiver.start()
        try:
            assert (receiver.protocol, receiver.subscription) == ("3.1.1", "dms/v1/+/+")
            from gateway.loadgen import connect
            pub = connect(broker.url, v5=False)
            pub.publish("dms/v1/V1/status", b"{}", qos=1).wait_for_publish(10)
            pub.disconnect()
            delivery = receiver.deliveries.get(timeout=10)
            assert delivery.topic == "dms/v1/V1/status"
            assert receiver.ack([delivery]) == 1
        finally:
            receiver.stop()
