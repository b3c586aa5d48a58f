"""The NATS bus setting: URL parsing, subject -> topic mapping and the one-line errors of
`dms gateway run --bus nats://...` (the cluster itself: tests/load/test_nats_cluster.py, slow stage)."""

from __future__ import annotations

import pytest

from dms.errors import UserError
from gateway.jetstream import SUBJECTS, parse_nats_url, subject_to_topic
from tools.cli import main


def test_one_url_names_every_node_with_default_ports_and_hidden_credentials():
    address = parse_nats_url("nats://gw:s3cret@10.0.0.1,10.0.0.2:4333, nats://[::1]")
    assert address.servers == ("nats://10.0.0.1:4222", "nats://10.0.0.2:4333", "nats://[::1]:4222")
    assert (address.username, address.password) == ("gw", "s3cret")
    assert "s3cret" not in str(address) and str(address).startswith("nats://gw@10.0.0.1:4222,")


@pytest.mark.parametrize(
    "url",
    [
        "nats://",
        "mqtt://x",
        "nats://a,,b",
        "nats://a:notaport",
        "nats://a/path",
        "nats://[::1",
        "http://a,nats://b",
    ],
)
def test_bad_nats_urls_are_user_errors(url):
    with pytest.raises(UserError, match="bad bus URL"):
        parse_nats_url(url)


def test_subjects_are_the_mqtt_subscription_in_the_servers_mqtt_store_and_map_back_to_topics():
    assert SUBJECTS == "$MQTT.msgs.dms.v1.*.*"
    assert subject_to_topic("$MQTT.msgs.dms.v1.VAN-7.status") == "dms/v1/VAN-7/status"
    assert subject_to_topic("$MQTT.msgs.dms.v1.VAN//7.event") == "dms/v1/VAN.7/event"  # a '.' in a level


@pytest.mark.parametrize(
    "args, message",
    [
        (["--db", "sqlite:///{tmp}/g.db"], "give the bus once"),
        (
            [
                "--bus",
                "nats://127.0.0.1:1",
                "--mqtt",
                "mqtt://127.0.0.1:1883",
                "--db",
                "sqlite:///{tmp}/g.db",
            ],
            "give the bus once",
        ),
        (["--bus", "nats://a,,b", "--db", "sqlite:///{tmp}/g.db"], "bad bus URL"),
        (
            ["--bus", "nats://127.0.0.1:1,127.0.0.1:2", "--db", "sqlite:///{tmp}/g.db"],
            "cannot connect to the NATS cluster",
        ),
    ],
)
def test_gateway_run_bus_errors_are_one_line(tmp_path, capsys, args, message):
    code = main(["gateway", "run", *[a.replace("{tmp}", str(tmp_path)) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
