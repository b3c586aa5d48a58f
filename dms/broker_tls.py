"""TLS and credentials of an MQTT connection, shared by the vehicle's uplink (edge/uplink) and the
gateway (gateway/mqtt.py): which CA to trust, the client certificate, where the password comes from.

A password is never a settings value or part of a URL on a command line (every local user reads those
in `ps`): it is read at start from an environment variable or a file named in the settings.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Mapping
from pathlib import Path

import paho.mqtt.client as paho

from dms.errors import UserError
from dms.settings import Settings


class TlsSettings(Settings):
    enabled: bool | None = None
    """Use TLS. None: decided by the URL scheme (mqtts:// means TLS)."""
    ca_file: Path | None = None
    """CA bundle that signed the broker's certificate (the fleet's own CA); None uses the system store."""
    cert_file: Path | None = None
    """Client certificate (PEM) for certificate authentication."""
    key_file: Path | None = None
    """Private key (PEM) of the client certificate."""
    insecure: bool = False
    """Skip the broker host name check (test rigs only)."""


def read_password(env: str | None, file: Path | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The variable `env` when set and not empty, else the first line of `file`, else None."""
    value = environ.get(env) if env else None
    if value:
        return value
    if file is None:
        return None
    try:
        return file.read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        raise UserError(f"cannot read the MQTT password from {file}") from None


def configure_tls(client: paho.Client, tls: TlsSettings) -> None:
    """TLS on a paho client: certificate checked against `ca_file` (or the system store), host name
    checked unless `insecure`, client certificate when given. UserError for a missing or bad file."""
    for path in (tls.ca_file, tls.cert_file, tls.key_file):
        if path is not None and not path.is_file():
            raise UserError(f"TLS file not found: {path}")
    try:
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise UserError(f"cannot set up TLS for the broker connection: {exc}") from None
    client.tls_insecure_set(tls.insecure)


def tls_problem(host: str, port: int, tls: TlsSettings, setting: str, timeout: float = 3.0) -> str | None:
    """Why a TLS connection to the broker cannot work (untrusted certificate, client certificate
    refused, ...), or None when TLS is fine or the broker is simply unreachable (worth retrying).
    `setting`: where the TLS settings are, for the message ("mqtt.tls", "mqtt_tls").

    paho only says "connection failed" and retries for ever; a TLS mistake never heals by retrying."""
    try:
        ctx = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
        ctx.check_hostname = not tls.insecure
        if tls.cert_file:
            ctx.load_cert_chain(str(tls.cert_file), str(tls.key_file) if tls.key_file else None)
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as conn:
                try:
                    conn.recv(1)  # TLS 1.3: a refused client certificate shows up as an alert here
                except TimeoutError:
                    pass
    except ssl.SSLCertVerificationError as exc:
        return (
            f"the TLS certificate of MQTT broker {host}:{port} is not trusted ({exc.verify_message}); "
            f"check {setting}.ca_file"
        )
    except ssl.SSLError as exc:
        return (
            f"TLS with MQTT broker {host}:{port} failed ({exc.reason or exc}); check the client "
            f"certificate ({setting}.cert_file / key_file) and the broker's TLS settings"
        )
    except OSError:
        return None
    return None
