"""Provision a vehicle (or a back-office service account) on the Mosquitto broker.

For a vehicle: a fresh random secret, its `$7$` hash in the broker's password file under the user name
= vehicle id, the ACL's vehicle patterns ensured (`dms/v1/%u/+` write, `dms/v1/%u/cmd` read: one
pattern serves every vehicle, so the ACL needs no per-vehicle line), and a bundle directory to copy to
the device as /etc/dms:

    device.yaml      the device configuration (merged over a board profile), referring to
    mqtt_password    the secret, mode 0600, never printed or logged
    ca.crt           the CA that signed the broker's certificate (when given)
    client.crt/.key  a client certificate for the vehicle, key mode 0600 (with a client CA)

The broker picks up the new credential on reload (SIGHUP: `systemctl reload mosquitto`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dms.contract.messages import is_valid_vehicle_id
from dms.errors import UserError
from dms.settings import describe_validation_error
from firmware_config import mosquitto_files

log = logging.getLogger(__name__)

SECRET_FILE = "mqtt_password"
CONFIG_FILE = "device.yaml"
CA_FILE = "ca.crt"
CLIENT_CERT, CLIENT_KEY = "client.crt", "client.key"
DEFAULT_DEVICE_DIR = Path("/etc/dms")
DEFAULT_BROKER_URL = "mqtts://mqtt.fleet.example:8883"
DEFAULT_OUTBOX = "/var/lib/dms/outbox.sqlite"


@dataclass(frozen=True)
class BrokerFiles:
    """The broker's password file and ACL file (both edited in place, atomically)."""

    password_file: Path
    acl_file: Path


@dataclass
class ProvisionResult:
    name: str
    out_dir: Path
    secret_file: Path
    config_file: Path | None = None
    rotated: bool = False
    acl_changed: bool = False
    written: list[Path] = field(default_factory=list)


def new_secret() -> str:
    """256 random bits, URL-safe text (no ':' or newline, which the password file could not hold)."""
    return secrets.token_urlsafe(32)


def vehicle_config_data(
    vehicle_id: str,
    *,
    broker_url: str = DEFAULT_BROKER_URL,
    device_dir: Path = DEFAULT_DEVICE_DIR,
    with_ca: bool = False,
    with_client_cert: bool = False,
    board: str | None = None,
) -> dict[str, Any]:
    """The device configuration of a provisioned vehicle, validated (paths as they will be on the device)."""
    from edge.config import DeviceConfig

    mqtt: dict[str, Any] = {
        "url": broker_url,
        "username": vehicle_id,
        "password_file": str(device_dir / SECRET_FILE),
    }
    tls = {}
    if with_ca:
        tls["ca_file"] = str(device_dir / CA_FILE)
    if with_client_cert:
        tls.update(cert_file=str(device_dir / CLIENT_CERT), key_file=str(device_dir / CLIENT_KEY))
    if tls:
        mqtt["tls"] = tls
    data: dict[str, Any] = {"vehicle_id": vehicle_id, "mqtt": mqtt, "outbox": {"path": DEFAULT_OUTBOX}}
    if board is not None:
        from edge.boards import load_board, merge

        data = {"vehicle_id": vehicle_id, **merge(load_board(board).device, data)}
    try:
        DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, f"configuration of {vehicle_id}")) from None
    return data


def _write_private(path: Path, text: str, *, replace: bool) -> None:
    """Create `path` with mode 0600 from the start (no window in which others could read it)."""
    tmp = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    if replace:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never overwrite by accident
        finally:
            tmp.unlink()


def _prepare_out(out_dir: Path, files: list[str], rotate: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    clash = [name for name in files if (out_dir / name).exists()]
    if clash and not rotate:
        raise UserError(f"{out_dir} already holds {', '.join(clash)} (pass --rotate to replace them)")


def _provision(
    name: str,
    out_dir: Path,
    broker: BrokerFiles,
    rotate: bool,
    write_bundle: Callable[[], list[Path]],
    service_role: str | None = None,
    secret_factory: Callable[[], str] = new_secret,
) -> ProvisionResult:
    """Secret file + bundle first, then the password line, then the ACL; undo the files if the broker side fails."""
    if name in mosquitto_files.password_users(broker.password_file) and not rotate:
        raise UserError(
            f"{name!r} already has a credential in {broker.password_file} (pass --rotate to replace it)"
        )
    _prepare_out(out_dir, [SECRET_FILE, CONFIG_FILE, CLIENT_KEY], rotate)
    secret = secret_factory()
    secret_file = out_dir / SECRET_FILE
    _write_private(secret_file, secret + "\n", replace=rotate)
    written = [secret_file]
    try:
        written += write_bundle()
        rotated = mosquitto_files.set_password(broker.password_file, name, secret, replace=rotate)
    except BaseException:
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    acl_changed = mosquitto_files.ensure_acl(
        broker.acl_file, service_user=name if service_role else None, role=service_role or "gateway"
    )
    log.info(
        "provisioned %s (credential %s, ACL %s)",
        name,
        "rotated" if rotated else "added",
        "updated" if acl_changed else "unchanged",
    )
    return ProvisionResult(
        name, out_dir, secret_file, rotated=rotated, acl_changed=acl_changed, written=written
    )


def provision_vehicle(
    vehicle_id: str,
    out_dir: str | Path,
    broker: BrokerFiles,
    *,
    broker_url: str = DEFAULT_BROKER_URL,
    device_dir: str | Path = DEFAULT_DEVICE_DIR,
    ca_file: str | Path | None = None,
    board: str | None = None,
    rotate: bool = False,
    client_ca: str | Path | None = None,
    now: datetime | None = None,
    secret_factory: Callable[[], str] = new_secret,
) -> ProvisionResult:
    """Credential + ACL + device bundle for one vehicle; see the module docstring.

    With `client_ca` (a directory with ca.key and ca.crt) the bundle also gets a client certificate
    (common name = vehicle id, issued at `now`) and its key, for brokers that require one."""
    if not is_valid_vehicle_id(vehicle_id):
        raise UserError(
            f"invalid vehicle id {vehicle_id!r}: 1-64 letters, digits, '_', '-', '.', "
            "starting with a letter or digit"
        )
    out_dir, device_dir = Path(out_dir), Path(device_dir)
    if ca_file is not None and not Path(ca_file).is_file():
        raise UserError(f"CA certificate not found: {ca_file}")
    data = vehicle_config_data(
        vehicle_id,
        broker_url=broker_url,
        device_dir=device_dir,
        with_ca=ca_file is not None,
        with_client_cert=client_ca is not None,
        board=board,
    )
    if client_ca is not None:
        from firmware_config import pki  # needs cryptography (the gateway extra)

        if now is None:
            raise ValueError("issuing a client certificate needs the time (now=)")
        ca_key, ca_cert = pki.load_ca(Path(client_ca))

    def write_bundle() -> list[Path]:
        header = (
            f"# Device configuration of vehicle {vehicle_id}, written by dms provision"
            f"{f' for board {board}' if board else ''}.\n"
            f"# Install this directory as {device_dir}; check it with: dms config check {device_dir / CONFIG_FILE}\n"
        )
        config_file = out_dir / CONFIG_FILE
        config_file.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        written = [config_file]
        if ca_file is not None:
            shutil.copyfile(ca_file, out_dir / CA_FILE)
            written.append(out_dir / CA_FILE)
        if client_ca is not None:
            key, cert = pki.issue(ca_key, ca_cert, vehicle_id, now)
            pki.write_key(out_dir / CLIENT_KEY, key)
            pki.write_cert(out_dir / CLIENT_CERT, cert)
            written += [out_dir / CLIENT_KEY, out_dir / CLIENT_CERT]
        return written

    result = _provision(vehicle_id, out_dir, broker, rotate, write_bundle, secret_factory=secret_factory)
    result.config_file = out_dir / CONFIG_FILE
    return result


def provision_service(
    name: str,
    out_dir: str | Path,
    broker: BrokerFiles,
    *,
    role: str = "gateway",
    rotate: bool = False,
    secret_factory: Callable[[], str] = new_secret,
) -> ProvisionResult:
    """A back-office service account (e.g. `_gateway`): credential + its ACL block; the secret in out_dir."""
    if role not in mosquitto_files.SERVICE_RULES:
        raise UserError(f"unknown service role {role!r}; known: {', '.join(mosquitto_files.SERVICE_RULES)}")
    if not name.startswith("_") or not is_valid_vehicle_id(name[1:]):
        raise UserError(
            f"service account names start with '_' (so that no vehicle id can equal one), "
            f"then letters, digits, '_', '-', '.'; got {name!r}"
        )
    return _provision(
        name, Path(out_dir), broker, rotate, list, service_role=role, secret_factory=secret_factory
    )
