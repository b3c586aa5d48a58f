"""`dms gateway run --bus URL --db URL` (or `--mqtt URL`): the back-office ingest service."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
from pathlib import Path

import click

from dms.settings import load_yaml_settings

log = logging.getLogger("gateway")


@click.group("gateway")
def gateway() -> None:
    """The back-office MQTT ingest service."""


@gateway.command("run")
@click.option("--mqtt", "mqtt_url", default=None, metavar="URL", help="Broker, e.g. mqtt://127.0.0.1:1883.")
@click.option(
    "--bus",
    "bus_url",
    default=None,
    metavar="URL",
    help="The bus instead of --mqtt: mqtt://HOST[:PORT] (Mosquitto), or a NATS JetStream cluster "
    "nats://HOST[:PORT][,HOST[:PORT]...] (gateway/jetstream.py).",
)
@click.option(
    "--db",
    "db_url",
    required=True,
    metavar="URL",
    help="sqlite:///PATH (embedded default) or postgresql://USER@HOST/DB.",
)
@click.option(
    "--group",
    default=None,
    metavar="NAME",
    help="Shared-subscription group (MQTT 5) or shared durable consumer (NATS): gateways in one "
    "group split the messages.",
)
@click.option(
    "--client-id",
    default=None,
    metavar="ID",
    help="MQTT client id; keep it fixed across restarts (default: GROUP-HOSTNAME). "
    "Each gateway process needs its own.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of gateway settings (see gateway/settings.py).",
)
@click.option(
    "--protocol",
    "mqtt_protocol",
    type=click.Choice(["auto", "5", "3.1.1"]),
    default=None,
    help="MQTT protocol (default auto: 5 with a shared subscription when the broker speaks it).",
)
@click.option(
    "--session-expiry",
    "session_expiry_s",
    type=click.IntRange(min=0),
    default=None,
    metavar="SECONDS",
    help="How long the broker keeps this gateway's session while it is down (default 7 days; "
    "tests and one-off runs: a few seconds, so no session is left behind).",
)
@click.option(
    "--auto-register",
    is_flag=True,
    default=None,
    help="Register unknown vehicles on their first valid message instead of dead-lettering them.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding the bus password (first line); or env DMS_GATEWAY_BUS_PASSWORD. Never put it in "
    "the URL.",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="mqtts://: the CA that signed the broker's certificate (default: the system store).",
)
@click.option(
    "--cert-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="mqtts://: client certificate (PEM).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="mqtts://: the client certificate's private key (PEM).",
)
@click.option(
    "--http",
    "http",
    default=None,
    metavar="HOST:PORT|off",
    help="Health and metrics port: /healthz, /readyz, /metrics (default 127.0.0.1:9464; port 0: any "
    "free port; off: none).",
)
def run(
    mqtt_url,
    bus_url,
    db_url,
    group,
    client_id,
    config_path,
    mqtt_protocol,
    session_expiry_s,
    auto_register,
    password_file,
    ca_file,
    cert_file,
    key_file,
    http,
):
    """Subscribe to every vehicle's messages and apply them to the database until stopped."""
    from dms.errors import UserError
    from gateway.db.migrate import upgrade
    from gateway.ingest.processes import relax_gc
    from gateway.jetstream import NatsReceiver, parse_nats_url
    from gateway.mqtt import MqttReceiver, default_client_id, parse_broker_url
    from gateway.observability import HealthServer
    from gateway.service import GatewayService
    from gateway.settings import GatewaySettings, split_host_port

    if (mqtt_url is None) == (bus_url is None):
        raise UserError("give the bus once: --bus URL (mqtt://... or nats://...) or --mqtt URL")
    url = bus_url or mqtt_url

    settings = load_yaml_settings(GatewaySettings, config_path) if config_path else GatewaySettings()
    overrides = {
        k: v
        for k, v in (
            ("group", group),
            ("client_id", client_id),
            ("mqtt_protocol", mqtt_protocol),
            ("session_expiry_s", session_expiry_s),
            ("auto_register_unknown", auto_register),
        )
        if v is not None
    }
    if http is not None:
        overrides["http"] = None if http == "off" else http
    if password_file is not None:
        overrides["bus_password_file"] = password_file
    tls_files = {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}
    if any(v is not None for v in tls_files.values()):
        tls = settings.mqtt_tls.model_dump()
        overrides["mqtt_tls"] = {**tls, **{k: v for k, v in tls_files.items() if v is not None}}
    settings = settings.with_overrides(**overrides)
    nats = url.startswith("nats://")
    address = with_credentials(parse_nats_url(url) if nats else parse_broker_url(url), settings)
    upgrade(db_url)
    receiver = (NatsReceiver if nats else MqttReceiver)(
        address, settings, settings.client_id or default_client_id(settings.group)
    )
    service = GatewayService.create(receiver, db_url, settings)
    health = None
    try:
        receiver.start()
        if settings.http is not None:
            health = HealthServer(
                split_host_port(settings.http), service.metrics, service.live, service.ready
            ).start()
    except BaseException:
        receiver.stop()
        service.ingestor.close()  # the worker processes
        raise
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: service.stop())
    if health is not None:
        click.echo(f"gateway: health and metrics on {health.url}/metrics", err=True)
    click.echo(
        f"gateway: consuming {receiver.subscription} on {address} "
        f"({receiver.protocol if nats else f'MQTT {receiver.protocol}'}) "
        f"as {receiver.client_id}",
        err=True,
    )
    sys.stderr.flush()
    relax_gc()  # the receiving process makes a few objects per message too (gateway/ingest/processes.py)
    try:
        service.run()
    finally:
        receiver.stop()
        if health is not None:
            health.close()
        c = service.counters
        click.echo(
            f"gateway: stopped after {c.batches} batches: {c.totals.applied} applied, "
            f"{c.totals.duplicates} duplicates, {c.totals.dead_lettered} dead letters",
            err=True,
        )


def with_credentials(address, settings):
    """The bus address with the user name and password of the settings (the password from its variable
    or file); UserError for a password in the URL, where `ps` shows it to every local user."""
    from dms.broker_tls import read_password
    from dms.errors import UserError

    if address.password:
        raise UserError(
            "put no password in the bus URL (every local user can read a command line): give it in "
            f"the file of --password-file (bus_password_file) or in ${settings.bus_password_env}"
        )
    password = read_password(settings.bus_password_env, settings.bus_password_file)
    username = settings.bus_username or address.username
    if password and not username:
        raise UserError(
            "a bus password but no user name: set bus_username (e.g. _gateway) or USER@ in the URL"
        )
    tls = getattr(address, "tls", None)
    if tls is not None and settings.mqtt_tls.enabled is not None:
        tls = settings.mqtt_tls.enabled
    changes = {"username": username, "password": password} | ({"tls": tls} if tls is not None else {})
    return dataclasses.replace(address, **changes)


@gateway.command("prune")
@click.option(
    "--db", "db_url", required=True, metavar="URL", help="sqlite:///PATH or postgresql://USER@HOST/DB."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of gateway settings (retention: processed_retention_days, raw_*, history_*).",
)
def prune(db_url, config_path):
    """Delete expired de-duplication keys and history past `raw_retention_days` (raw status rows, thinned
    odometer readings) and `history_retention_days` (per-minute rows); on PostgreSQL create the coming
    day and month partitions and drop whole expired ones. A running gateway does the same every
    `calendar_check_s` in small steps; this works off a large backlog at once, or runs from a timer."""
    from dms.contract.messages import utc_now
    from gateway.db.migrate import upgrade
    from gateway.db.retention import housekeeping
    from gateway.db.session import make_engine
    from gateway.settings import GatewaySettings

    settings = load_yaml_settings(GatewaySettings, config_path) if config_path else GatewaySettings()
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        result = housekeeping(engine, settings, utc_now())
    finally:
        engine.dispose()
    click.echo(f"gateway prune: {result.summary()}")
