"""The uplink over TLS against Mosquitto: password + CA, client certificates, and TLS mistakes that
end in one clear error instead of paho's endless "connection failed, retrying"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dms.contract import DriverEvent
from edge.uplink import MqttSettings, MqttUplink, Outbox
from tests.support.mqtt import wait_for

pytestmark = pytest.mark.slow
pki = pytest.importorskip("firmware_config.pki")


@pytest.fixture
def certs(tmp_path):
    """A throwaway CA, the broker's certificate for 127.0.0.1, a client certificate for van-1."""
    now = datetime.now(UTC)  # OpenSSL checks validity against the real clock
    ca_key, ca_cert = pki.make_ca("uplink test CA", now)
    pki.write_cert(tmp_path / "ca.crt", ca_cert)
    for name, host in (("server", "127.0.0.1"), ("client", None)):
        key, cert = pki.issue(ca_key, ca_cert, host or "van-1", now, server_hosts=(host,) if host else ())
        pki.write_key(tmp_path / f"{name}.key", key)
        pki.write_cert(tmp_path / f"{name}.crt", cert)
    _, other = pki.make_ca("someone else", now)
    pki.write_cert(tmp_path / "other.crt", other)
    return tmp_path


def tls_listener(certs, *extra):
    return [
        f"cafile {certs / 'ca.crt'}",
        f"certfile {certs / 'server.crt'}",
        f"keyfile {certs / 'server.key'}",
        *extra,
    ]


def send_one(tmp_path, settings, vehicle_id="van-1"):
    # Nobody subscribes on these brokers (the tests are about TLS): an MQTT 5 "no matching subscribers"
    # PUBACK counts as delivered here, else the outbox would keep the message (hold_unrouted).
    settings = settings.model_copy(update={"hold_unrouted": False})
    box = Outbox(tmp_path / f"o-{len(list(tmp_path.glob('o-*')))}.sqlite")
    uplink = MqttUplink(settings, box, vehicle_id).start()
    uplink.submit(DriverEvent(vehicle_id=vehicle_id, type="sleep", level=3, episode_id="e1", t=1.0))
    return uplink, box


def test_tls_with_a_password(tmp_path, certs, private_broker, monkeypatch):
    broker = private_broker(users={"van-1": "pw"}, listener_options=tls_listener(certs)).start()
    monkeypatch.setenv("TEST_DMS_PW", "pw")
    url = f"mqtts://127.0.0.1:{broker.port}"
    uplink, box = send_one(
        tmp_path,
        MqttSettings(
            url=url, username="van-1", password_env="TEST_DMS_PW", tls={"ca_file": certs / "ca.crt"}
        ),
    )
    assert uplink.wait_drained(15), uplink.failed
    uplink.close()
    # The same broker presenting a certificate from a CA we do not trust: one clear error.
    uplink, box = send_one(
        tmp_path,
        MqttSettings(
            url=url, username="van-1", password_env="TEST_DMS_PW", tls={"ca_file": certs / "other.crt"}
        ),
    )
    wait_for(lambda: uplink.failed, 15, "the TLS error")
    assert "certificate of MQTT broker" in uplink.failed and "not trusted" in uplink.failed
    uplink.close()
    assert box.count("event") == 1


def test_client_certificate_authentication(tmp_path, certs, private_broker):
    broker = private_broker(
        listener_options=tls_listener(certs, "require_certificate true", "use_identity_as_username true")
    ).start()
    url = f"mqtts://127.0.0.1:{broker.port}"
    uplink, _ = send_one(
        tmp_path,
        MqttSettings(
            url=url,
            tls={
                "ca_file": certs / "ca.crt",
                "cert_file": certs / "client.crt",
                "key_file": certs / "client.key",
            },
        ),
    )
    assert uplink.wait_drained(15), uplink.failed
    uplink.close()
    uplink, box = send_one(tmp_path, MqttSettings(url=url, tls={"ca_file": certs / "ca.crt"}))
    wait_for(lambda: uplink.failed, 15, "the TLS error")
    assert "client certificate" in uplink.failed
    uplink.close()
    assert box.count("event") == 1
