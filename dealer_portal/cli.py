"""`dms portal run --db URL --http HOST:PORT`: serve the portal and the REST API."""

from __future__ import annotations

from pathlib import Path

import click

from dms.errors import UserError
from dms.settings import load_yaml_settings


def parse_http(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8080), got {address!r}")
    return host or "127.0.0.1", int(port)


@click.group("portal")
def portal() -> None:
    """The web portal and REST API for dispatchers and dealers."""


@portal.command("run")
@click.option(
    "--db",
    "db_url",
    required=True,
    metavar="URL",
    help="sqlite:///PATH (the gateway's database) or postgresql://USER@HOST/DB.",
)
@click.option(
    "--http",
    "http",
    default="127.0.0.1:8080",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to listen.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of portal settings (see dealer_portal/settings.py).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One log line per request (logger dms.access: client, method, path, status, milliseconds).",
)
def run(db_url: str, http: str, config_path: Path | None, access_log: bool) -> None:
    """Migrate the database if needed, then serve pages and API until stopped (Ctrl-C).

    /healthz, /readyz (the database answers) and /metrics (Prometheus; loopback clients by default, see
    `gateway.metrics_allow`) are served beside the pages."""
    import logging

    import uvicorn

    from dealer_portal.app import create_app
    from dealer_portal.migrate import upgrade
    from dealer_portal.settings import PortalSettings

    host, port = parse_http(http)
    settings = load_yaml_settings(PortalSettings, config_path) if config_path else PortalSettings()
    upgrade(db_url)
    app = create_app(db_url, settings)
    if settings.notify.enabled:  # e-mail and webhook deliveries, in a thread of their own
        _start_notifications(db_url, settings)
    click.echo(f"portal: http://{host}:{port}/ (API under /api)", err=True)
    logging.getLogger("dms.access").setLevel(logging.INFO if access_log else logging.WARNING)
    # log_config=None: uvicorn's own lines go through the `dms` log handler (text or --log-format json);
    # its access log is replaced by ours (with the duration and the route).
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def _notification_worker(db_url: str, settings):
    from dealer_portal.notify.worker import NotificationWorker
    from dms.contract.messages import utc_now
    from gateway.db.session import make_engine, make_sessionmaker

    return NotificationWorker(make_sessionmaker(make_engine(db_url)), settings.notify, utc_now)


def _start_notifications(db_url: str, settings) -> None:
    from dealer_portal.notify.worker import start_in_thread

    start_in_thread(_notification_worker(db_url, settings))


@portal.command("notify")
@click.option("--db", "db_url", required=True, metavar="URL", help="The portal's database.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of portal settings (its `notify` block: SMTP server, retries).",
)
@click.option("--once", is_flag=True, help="One pass (queue new events, send what is due), then exit.")
def notify(db_url: str, config_path: Path | None, once: bool) -> None:
    """Send e-mail and webhook notifications on their own (when `notify.enabled` is off in `portal run`)."""
    import threading

    from dealer_portal.settings import PortalSettings

    settings = load_yaml_settings(PortalSettings, config_path) if config_path else PortalSettings()
    worker = _notification_worker(db_url, settings)
    if once:
        result = worker.run_once()
        click.echo(
            f"{result.queued} queued, {result.sent} sent, {result.retried} to retry, {result.failed} failed"
        )
        return
    stop = threading.Event()
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()
