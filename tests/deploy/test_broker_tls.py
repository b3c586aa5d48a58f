"""The shipped broker configuration WITH its TLS listeners (a throwaway CA stands in for the real one)."""
from __future__ import annotations

import ssl

import pytest

from dms.cli import main as dms
from firmware_config.device import load_device_config
from tests.deploy.conftest import TlsFiles, connect
from tests.deploy.pki import issue_server_cert, make_ca

pytestmark = pytest.mark.slow


def test_provisioned_vehicle_connects_over_tls_and_nothing_else_does(shipped_broker, tmp_path, monkeypatch):
    monkeypatch.delenv("DMS_MQTT_PASSWORD", raising=False)
    ca_key, ca_cert = make_ca(tmp_path / "ca")
    server_key, server_cert = issue_server_cert(tmp_path / "server", ca_key, ca_cert)
    broker = shipped_broker(TlsFiles(cafile=tmp_path / "ca.crt", certfile=server_cert, keyfile=server_key),
                            started=False)
    out = tmp_path / "A"
    assert dms(["provision", "A", "--out", str(out), "--password-file", str(broker.password_file),
                "--acl-file", str(broker.acl_file), "--broker-url", f"mqtts://127.0.0.1:{broker.vehicle_port}",
                "--ca-file", str(tmp_path / "ca.crt"), "--device-dir", str(out)]) == 0
    assert dms(["config", "check", str(out / "device.yaml")]) == 0
    broker.start()

    settings = load_device_config(out / "device.yaml").mqtt
    host, port, use_tls = settings.endpoint()
    assert use_tls and settings.tls.ca_file == out / "ca.crt"
    a = connect(port, settings.username, settings.password(), ca_file=settings.tls.ca_file)
    try:
        assert a.connack.value == 0
        assert a.publish("dms/v1/A/event").is_failure is False
        assert a.publish("dms/v1/B/event").value == 0x87  # the same ACL behind TLS
    finally:
        a.close()

    # Plain MQTT to the TLS port: the TLS handshake fails and the broker drops the connection, no CONNACK.
    plain = connect(port, settings.username, settings.password())
    plain.close()
    assert plain.connack is None and plain.disconnected.is_set()
    # A broker certificate from another CA is refused by the vehicle.
    make_ca(tmp_path / "other", "someone else")
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(port, settings.username, settings.password(), ca_file=tmp_path / "other.crt")
