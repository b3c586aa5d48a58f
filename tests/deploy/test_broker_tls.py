"""The shipped broker configuration WITH its TLS listeners (a throwaway CA stands in for the real one)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from edge.config import load_device_config
from firmware_config import pki
from tests.support.deploy import connect
from tools.cli import main as dms

pytestmark = pytest.mark.slow


def provision_over_tls(broker, out, ca_dir, *extra: str):
    assert (
        dms(
            [
                "provision",
                out.name,
                "--out",
                str(out),
                "--password-file",
                str(broker.password_file),
                "--acl-file",
                str(broker.acl_file),
                "--broker-url",
                f"mqtts://127.0.0.1:{broker.vehicle_port}",
                "--ca-file",
                str(ca_dir / pki.CA_CERT),
                "--device-dir",
                str(out),
                *extra,
            ]
        )
        == 0
    )
    assert dms(["config", "check", str(out / "device.yaml")]) == 0
    return load_device_config(out / "device.yaml").mqtt


def test_provisioned_vehicle_connects_over_tls_and_nothing_else_does(
    shipped_broker, fleet_ca, tmp_path, monkeypatch
):
    monkeypatch.delenv("DMS_MQTT_PASSWORD", raising=False)
    ca_dir, tls = fleet_ca
    broker = shipped_broker(tls, started=False)
    settings = provision_over_tls(broker, tmp_path / "A", ca_dir)
    broker.start()

    _host, port, use_tls = settings.endpoint()
    assert use_tls and settings.tls.ca_file == tmp_path / "A" / "ca.crt"
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
    _, other = pki.make_ca("someone else", datetime.now(UTC))
    pki.write_cert(tmp_path / "other.crt", other)
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(port, settings.username, settings.password(), ca_file=tmp_path / "other.crt")


def test_with_client_certificates_required_a_password_alone_is_not_enough(
    shipped_broker, fleet_ca, tmp_path, monkeypatch
):
    monkeypatch.delenv("DMS_MQTT_PASSWORD", raising=False)
    ca_dir, tls = fleet_ca
    broker = shipped_broker(tls, started=False, require_certificate=True)
    settings = provision_over_tls(broker, tmp_path / "A", ca_dir, "--client-ca", str(ca_dir))
    assert settings.tls.cert_file == tmp_path / "A" / "client.crt"
    assert (tmp_path / "A" / "client.key").stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(settings.tls.cert_file.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "A"
    broker.start()
    _, port, _ = settings.endpoint()

    a = connect(
        port,
        settings.username,
        settings.password(),
        ca_file=settings.tls.ca_file,
        cert_file=settings.tls.cert_file,
        key_file=settings.tls.key_file,
    )
    try:
        assert a.connack.value == 0 and a.publish("dms/v1/A/event").is_failure is False
    finally:
        a.close()
    # The right password without a certificate: the TLS handshake is refused, no MQTT at all.
    bare = connect(port, settings.username, settings.password(), ca_file=settings.tls.ca_file)
    bare.close()
    assert bare.connack is None and bare.disconnected.is_set()
