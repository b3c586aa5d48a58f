"""`dms gateway run` over TLS to the shipped broker configuration's gateway listener (8884 in production):
the fleet's own CA, a client certificate, the `_gateway` password from a file or the environment (never
the URL). A throwaway CA made here with `cryptography` (firmware_config/pki.py) stands in for the real one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firmware_config import pki
from tests.support.deploy import connect
from tests.support.factories import status
from tests.support.metrics import http_get, sample
from tests.support.mqtt import free_port
from tools.cli import main as dms
from tools.demo.processes import Child, dms_command, wait_until

pytestmark = pytest.mark.slow
ENV = "DMS_GATEWAY_BUS_PASSWORD"


@pytest.fixture
def tls_broker(shipped_broker, fleet_ca, tmp_path):
    """The shipped broker with its TLS listeners, the gateway listener requiring a client certificate
    from the fleet CA; `_gateway` and vehicle `V1` provisioned; the gateway's certificate in tmp_path/gw."""
    ca_dir, tls = fleet_ca
    broker = shipped_broker(tls, started=False, gateway_require_certificate=True)
    for name, extra in (("_gateway", ["--gateway"]), ("V1", [])):
        out = tmp_path / name
        args = ["provision", name, "--out", str(out), *extra]
        args += ["--password-file", str(broker.password_file), "--acl-file", str(broker.acl_file)]
        assert dms(args) == 0
    ca_key, ca_cert = pki.load_ca(ca_dir)
    key, cert = pki.issue(ca_key, ca_cert, "_gateway", datetime.now(UTC))
    pki.write_key(tmp_path / "_gateway" / "client.key", key)
    pki.write_cert(tmp_path / "_gateway" / "client.crt", cert)
    return broker.start(), ca_dir / pki.CA_CERT


def _gateway_args(broker, db: str, tmp_path, *extra: str, client_cert: bool = True) -> list[str]:
    account = tmp_path / "_gateway"
    cert = ["--cert-file", str(account / "client.crt"), "--key-file", str(account / "client.key")]
    return [
        "gateway",
        "run",
        "--mqtt",
        f"mqtts://_gateway@127.0.0.1:{broker.gateway_port}",
        "--db",
        db,
        "--client-id",
        "gw-tls",
        "--session-expiry",
        "0",
        "--auto-register",
        *(cert if client_cert else []),
        *extra,
    ]


def test_gateway_ingests_over_tls_with_the_fleet_ca_a_client_certificate_and_a_password_file(
    tls_broker, tmp_path, monkeypatch
):
    monkeypatch.delenv(ENV, raising=False)
    broker, ca_file = tls_broker
    health = f"127.0.0.1:{free_port()}"
    args = _gateway_args(broker, f"sqlite:///{tmp_path}/gw.db", tmp_path, "--ca-file", str(ca_file))
    args += ["--password-file", str(tmp_path / "_gateway" / "mqtt_password"), "--http", health]
    gateway = Child("gw", dms_command("-v", *args), tmp_path / "gw.log").start(env={ENV: ""})
    try:
        wait_until(lambda: "gateway: consuming" in gateway.tail(40) or not gateway.running(), 60)
        assert gateway.running(), gateway.tail(20)
        assert "mqtts://_gateway@127.0.0.1" in gateway.tail(40)
        vehicle_password = (tmp_path / "V1" / "mqtt_password").read_text().strip()
        vehicle = connect(broker.vehicle_port, "V1", vehicle_password, ca_file=ca_file)
        try:
            for i in range(3):
                topic, payload = status("V1", datetime(2026, 5, 4, 6, 0, i, tzinfo=UTC), speed=50.0)
                assert vehicle.publish(topic, payload).is_failure is False
        finally:
            vehicle.close()
        wait_until(
            lambda: (
                sample(http_get(f"http://{health}/metrics")[1], "dms_gateway_messages_applied_total") >= 3
            ),
            30,
            what="three statuses applied over TLS",
        )
        assert http_get(f"http://{health}/readyz")[0] == 200
    finally:
        gateway.stop()


def test_the_password_from_the_environment_and_tls_mistakes_are_one_line_each(
    tls_broker, tmp_path, monkeypatch, capsys
):
    broker, ca_file = tls_broker
    db = f"sqlite:///{tmp_path}/gw.db"
    good = (tmp_path / "_gateway" / "mqtt_password").read_text().strip()

    def run(
        *extra: str, password: str | None = good, url: str | None = None, cert: bool = True
    ) -> tuple[int, str]:
        if password is None:
            monkeypatch.delenv(ENV, raising=False)
        else:
            monkeypatch.setenv(ENV, password)
        args = _gateway_args(broker, db, tmp_path, "--http", "off", *extra, client_cert=cert)
        if url is not None:
            args[3] = url
        code = dms(args)
        err = capsys.readouterr().err.strip().splitlines()
        return code, err[-1] if err else ""

    # The system store does not know the fleet CA: one line saying what to set.
    code, err = run()
    assert code == 2 and "not trusted" in err and "mqtt_tls.ca_file" in err, err
    # Wrong password (from the environment): the broker refuses, no retry loop.
    code, err = run("--ca-file", str(ca_file), password="wrong")
    assert code == 2 and "refused" in err.lower(), err
    # No client certificate on a listener that requires one: the handshake fails.
    code, err = run("--ca-file", str(ca_file), cert=False)
    assert code == 2 and "mqtt_tls.cert_file" in err, err
    code, err = run("--ca-file", str(ca_file), "--cert-file", str(ca_file.parent / "missing.crt"))
    assert code == 2 and "TLS file not found" in err, err
    # A password in the URL is refused before anything connects.
    code, err = run(url=f"mqtts://_gateway:{good}@127.0.0.1:{broker.gateway_port}", password=None)
    assert code == 2 and "no password in the bus URL" in err and good not in err, err
