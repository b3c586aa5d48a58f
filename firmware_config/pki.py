"""A small certificate authority for the fleet's broker: CA, broker certificate, per-vehicle client certificates.

Keys are ECDSA P-256 (fast TLS handshakes on a Pi, supported by every OpenSSL Mosquitto links). A
vehicle's certificate names the vehicle id as its common name; the broker can then require a
certificate from the fleet CA before any MQTT byte is read (`require_certificate true`), on top of the
password. Times are passed in (`now`), never read here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dms.errors import UserError

CA_KEY, CA_CERT = "ca.key", "ca.crt"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _builder(subject: str, issuer: x509.Name, key, now: dt.datetime, days: int) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def make_ca(cn: str, now: dt.datetime, days: int = 3650):
    """(key, certificate) of a new self-signed CA that may sign end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        key_cert_sign=True,
        crl_sign=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        _builder(cn, _name(cn), key, now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(
    ca_key,
    ca_cert: x509.Certificate,
    cn: str,
    now: dt.datetime,
    *,
    days: int = 825,
    server_hosts: tuple[str, ...] = (),
):
    """(key, certificate) signed by the CA: a client certificate, or with `server_hosts` a server one."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder(cn, ca_cert.subject, key, now, days).add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    if server_hosts:
        names = []
        for host in server_hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return key, builder.sign(ca_key, hashes.SHA256())


def write_key(path: Path, key) -> None:
    """PEM, unencrypted, created with mode 0600 (never readable by others, not even for an instant)."""
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_ca(directory: Path):
    """(key, certificate) from directory/ca.key and directory/ca.crt."""
    try:
        key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
    except FileNotFoundError as exc:
        raise UserError(f"CA file not found: {exc.filename}") from None
    except (ValueError, TypeError) as exc:
        raise UserError(f"cannot read the CA in {directory}: {exc}") from None
    return key, cert
