"""`dms provision`: one broker credential + ACL + device bundle per vehicle (or a gateway service account)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from dms.errors import UserError
from firmware_config.mosquitto_files import remove_user
from firmware_config.provision import (
    DEFAULT_BROKER_URL,
    DEFAULT_DEVICE_DIR,
    BrokerFiles,
    provision_service,
    provision_vehicle,
)

_file = click.Path(dir_okay=False, path_type=Path)


@click.command("provision")
@click.argument("name")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Bundle directory to write (device.yaml, mqtt_password 0600, ca.crt); copy it to the device.",
)
@click.option(
    "--password-file", required=True, type=_file, help="The broker's password file (created if absent)."
)
@click.option("--acl-file", type=_file, help="The broker's ACL file (created if absent).")
@click.option(
    "--broker-url",
    default=DEFAULT_BROKER_URL,
    show_default=True,
    help="Broker address the device connects to.",
)
@click.option("--board", help="Board profile to merge the device configuration over (dms config boards).")
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA certificate that signed the broker's certificate; copied into the bundle.",
)
@click.option(
    "--device-dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DEVICE_DIR,
    show_default=True,
    help="Where the bundle will live on the device (paths inside device.yaml).",
)
@click.option(
    "--client-ca",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory with the fleet CA (ca.key, ca.crt): also issue the vehicle a client certificate.",
)
@click.option(
    "--gateway", is_flag=True, help="NAME is a gateway service account ('_gateway'), not a vehicle."
)
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace an existing credential (the old secret stops working at the broker's next reload).",
)
@click.option(
    "--revoke",
    is_flag=True,
    help="Delete NAME's credential (a stolen or retired device); only --password-file is needed.",
)
def provision(
    name: str,
    out_dir: Path | None,
    password_file: Path,
    acl_file: Path | None,
    broker_url: str,
    board: str | None,
    ca_file: Path | None,
    client_ca: Path | None,
    device_dir: Path,
    gateway: bool,
    rotate: bool,
    revoke: bool,
) -> None:
    """Provision vehicle NAME (= its broker user name), or with --gateway a gateway account.

    \b
      dms provision van-17 --out ./van-17 --board pi5 \\
          --password-file /etc/mosquitto/dms/passwd --acl-file /etc/mosquitto/dms/acl \\
          --broker-url mqtts://mqtt.fleet.example:8883 --ca-file /etc/mosquitto/dms/ca.crt
      dms provision _gateway --gateway --out ./gateway --password-file ... --acl-file ...
      dms provision van-17 --revoke --password-file /etc/mosquitto/dms/passwd

    The secret is written only to OUT/mqtt_password (mode 0600): never printed, never logged.
    Then reload the broker: systemctl reload mosquitto.
    """
    if revoke:
        remove_user(password_file, name)
        click.echo(
            f"revoked the broker credential of {name} in {password_file}; "
            "reload the broker to apply: systemctl reload mosquitto"
        )
        return
    if out_dir is None or acl_file is None:
        raise UserError("--out and --acl-file are required (except with --revoke)")
    broker = BrokerFiles(password_file, acl_file)
    if gateway:
        result = provision_service(name, out_dir, broker, rotate=rotate)
    else:
        result = provision_vehicle(
            name,
            out_dir,
            broker,
            broker_url=broker_url,
            device_dir=device_dir,
            ca_file=ca_file,
            board=board,
            rotate=rotate,
            client_ca=client_ca,
            now=datetime.now(UTC),
        )
    click.echo(f"{'rotated' if result.rotated else 'added'} broker credential for {name} in {password_file}")
    click.echo(f"ACL {acl_file}: {'updated' if result.acl_changed else 'already grants it'}")
    click.echo(f"secret: {result.secret_file} (mode 0600)")
    if result.config_file is not None:
        click.echo(f"device configuration: {result.config_file} (install {out_dir} as {device_dir})")
    click.echo("reload the broker to apply: systemctl reload mosquitto")
