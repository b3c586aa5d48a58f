"""`dms demo`: the whole chain on one machine, on embedded defaults.

    broker (in this process, unless --mqtt) <- edge runtime on the sample clip (a child process)
                                            -> gateway (child) -> SQLite (unless --db) <- portal (child)

Every part is the real program a deployment runs; the demo only starts them, seeds a dealer, a
vehicle, users and a maintenance rule, and tells the user where to look.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import click

from dms.errors import UserError
from tools.demo.processes import Child, dms_command, wait_until

DEMO_VEHICLE = "DEMO-001"
DEMO_DEALER = "D1"
ADMIN = "ada"


def _check_url(ctx, param, value):
    if value is None:
        return value
    parsed = urllib.parse.urlparse(value)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parsed.hostname:
        raise click.BadParameter("expected mqtt://HOST:PORT (or mqtts://)")
    return value


def _check_http(ctx, param, value):
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


@click.command("demo")
@click.option(
    "--mqtt",
    "mqtt_url",
    callback=_check_url,
    metavar="URL",
    help="Use this MQTT broker (mqtt://HOST:PORT) instead of starting one inside the demo.",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (sqlite:///PATH or postgresql://USER@HOST/DB). Default: SQLite in --workdir.",
)
@click.option(
    "--source",
    metavar="PATH|DEVICE",
    help="Video file, image folder or camera (/dev/video0) for the edge runtime. "
    "Default: the generated sample clip, played in a loop.",
)
@click.option(
    "--http",
    "http",
    default="127.0.0.1:8080",
    show_default=True,
    callback=_check_http,
    metavar="HOST:PORT",
    help="Where the portal listens.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help="Where the demo keeps its database, outbox, logs, events and audio.",
)
@click.option(
    "--exit-after",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Stop everything after this many seconds (for scripted runs). Default: run until Ctrl-C.",
)
def demo(mqtt_url, db_url, source, http, workdir, exit_after):
    """Run broker, gateway, portal and the in-vehicle runtime together, and print the portal URL.

    The sample driver closes her eyes (a microsleep at 10 s and a sleep episode at 20 s of each
    loop); the alerts cross the MQTT broker and the database and appear on the portal's fleet board.
    Logs of every part are written to WORKDIR/logs.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{(workdir / 'demo.db').resolve()}"
    http_host, http_port = http
    portal_url = f"http://{http_host}:{http_port}"
    children: list[Child] = []
    broker = fleet = None
    started = time.monotonic()
    try:
        if mqtt_url is None:
            from tools.demo.broker import EmbeddedBroker

            broker = EmbeddedBroker().start()
            mqtt_url = broker.url
            _say(f"MQTT broker (embedded, MQTT 3.1.1) on {mqtt_url}")
        else:
            _say(f"MQTT broker: {mqtt_url}")

        accounts = _seed(db_url)
        _say(f"database {db_url}")

        logs = workdir / "logs"
        gateway = Child(
            "gateway", dms_command("gateway", "run", "--mqtt", mqtt_url, "--db", db_url), logs / "gateway.log"
        ).start()
        portal = Child(
            "portal",
            dms_command("portal", "run", "--db", db_url, "--http", f"{http_host}:{http_port}"),
            logs / "portal.log",
        ).start()
        children += [gateway, portal]
        wait_until(
            lambda: _http_ok(f"{portal_url}/api/openapi.json") or _died(children), 60, what="the portal"
        )
        _raise_if_died(children)

        fleet = _start_fleet(mqtt_url)
        clip = Path(source) if source else _sample_clip()
        edge = _edge_child(clip, mqtt_url, workdir, loop=source is None)
        children.append(edge.start())
        _say(f"edge runtime on {clip}")
        click.echo(f"\n  Portal: {portal_url}/")
        for user, password, role in accounts[:3]:
            click.echo(f"  login {user} / {password}  ({role})")
        click.echo("")
        admin_password = next(pw for user, pw, _ in accounts if user == ADMIN)
        seen = _watch(children, edge, portal_url, admin_password, started, exit_after)
        if seen:
            _say(f"{seen} driver alert(s) crossed MQTT and the database and are shown in the portal")
    finally:
        if fleet is not None:
            fleet.stop()
        for child in reversed(children):
            child.stop()
        if broker is not None:
            broker.stop()


def _say(message: str) -> None:
    click.echo(f"[demo] {message}")


def _start_fleet(mqtt_url: str):
    from dealer_portal.sample_data import VANS
    from tools.demo.fleet import FleetSimulator

    vans = [(v[0], v[6], v[7], float(v[10]), v[8]) for v in VANS]
    return FleetSimulator(mqtt_url, vans).start()


def _sample_clip() -> Path:
    from tools.demo.sample_clip import sample_clip

    return sample_clip(progress=True)


def _edge_child(clip: Path, mqtt_url: str, workdir: Path, loop: bool) -> Child:
    from edge.vehicle import sample_trip_path

    # the demo shows every driver state, phone use included (off in a bare device configuration)
    device = workdir / "device.yaml"
    device.write_text("vision:\n  hands:\n    enabled: true\n", encoding="utf-8")
    args = [
        "edge",
        "run",
        "--config",
        str(device),
        "--source",
        str(clip),
        "--realtime",
        "--mqtt",
        mqtt_url,
        "--vehicle-id",
        DEMO_VEHICLE,
        "--outbox",
        str(workdir / "outbox.sqlite"),
        "--vehicle-source",
        f"replay:{sample_trip_path()}",
        "--events-out",
        str(workdir / "events.jsonl"),
        "--audio-out",
        str(workdir / "alerts.wav"),
    ]
    if loop:
        args.append("--loop")
    return Child("edge", dms_command(*args), workdir / "logs" / "edge.log")


def _seed(db_url: str) -> list[tuple[str, str, str]]:
    from tools.demo.seed import seed_demo

    return seed_demo(db_url, vehicle_id=DEMO_VEHICLE, dealer_code=DEMO_DEALER)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _died(children: list[Child]) -> bool:
    return any(not c.running() for c in children)


def _raise_if_died(children: list[Child]) -> None:
    for child in children:
        if not child.running():
            raise UserError(
                f"the {child.name} stopped (exit {child.proc.returncode}); last log lines:\n{child.tail()}"
            )


def _api_events(portal_url: str, password: str) -> list[dict]:
    form = urllib.parse.urlencode({"username": ADMIN, "password": password}).encode()
    try:
        with urllib.request.urlopen(f"{portal_url}/api/token", data=form, timeout=5) as r:
            token = json.load(r)["access_token"]
        request = urllib.request.Request(
            f"{portal_url}/api/vehicles/{DEMO_VEHICLE}/events", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            body = json.load(r)
    except (OSError, ValueError, KeyError):
        return []
    return body["items"] if isinstance(body, dict) else body


def _watch(children, edge, portal_url, password, started, exit_after) -> int:
    """Report alerts as they reach the portal; end at --exit-after or Ctrl-C."""
    reported: set[str] = set()
    try:
        while exit_after is None or time.monotonic() - started < exit_after:
            # The edge runtime may finish a user's clip; any other ending is a failure.
            _raise_if_died([c for c in children if c is not edge or c.proc.returncode])
            for event in _api_events(portal_url, password):
                key = event.get("msg_id") or json.dumps(event, sort_keys=True)
                if key not in reported and event.get("phase", "start") == "start":
                    reported.add(key)
                    _say(
                        f"alert in the portal: {event.get('type')} (level {event.get('level')}) "
                        f"at t={event.get('t', 0):.1f} s of the clip"
                    )
            time.sleep(1.0)
    except KeyboardInterrupt:
        _say("stopping")
    return len(reported)
