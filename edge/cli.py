"""`dms edge ...`: run the in-vehicle runtime, look into an outbox."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from dms.errors import UserError
from edge.vehicle import SPEC_HELP


@click.group("edge")
def edge() -> None:
    """The in-vehicle runtime (camera, driver monitoring, alerts, uplink)."""


@edge.command("run")
@click.option("--source", help="Video file, image folder, camera (/dev/video0 or 0), or gst:PIPELINE.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Device config (YAML); the flags below override it.",
)
@click.option(
    "--board",
    help="Board profile to merge the config over (pi4, pi5, jetson-orin-nano): its camera, "
    "illuminator and inference engine; default: the config's board: key.",
)
@click.option(
    "--speed-kmh", type=float, help="Fixed vehicle speed for the policy (default: the vehicle source's)."
)
@click.option(
    "--events-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every driver event as a JSON line (same msg_id as its MQTT message).",
)
@click.option(
    "--audio-out", type=click.Path(dir_okay=False, path_type=Path), help="Render in-cab alerts to a WAV."
)
@click.option(
    "--audio-live/--no-audio-live",
    default=None,
    help="Play in-cab alerts through the sound card (PortAudio or aplay) as they are decided.",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    metavar="URL[,URL...]",
    help="Broker, mqtt://HOST:PORT or mqtts://HOST:PORT; several (comma-separated): the nodes of one "
    "cluster, the next one used when the connection to one is lost (mqtt.failover_urls).",
)
@click.option("--vehicle-id", help="This vehicle's id (topic level and broker user).")
@click.option(
    "--outbox",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file of the durable outbox (what a run leaves is sent by the next).",
)
@click.option("--vehicle-source", metavar="SPEC", help=SPEC_HELP)
@click.option("--drain-timeout", type=float, help="Seconds to wait for the outbox to drain when a file ends.")
@click.option("--realtime/--no-realtime", default=None, help="Pace a file source at its frame rate.")
@click.option(
    "--loop/--no-loop", default=None, help="Play a file source again and again (until interrupted)."
)
def run(
    source,
    config_path,
    board,
    speed_kmh,
    events_out,
    audio_out,
    audio_live,
    mqtt_url,
    vehicle_id,
    outbox,
    vehicle_source,
    drain_timeout,
    realtime,
    loop,
) -> None:
    """Monitor the driver on a clip or camera; alerts go to the cab, the events file and the broker."""
    from edge.config import load_device_config, merge_overrides
    from edge.runtime import EdgeRuntime, looped

    config = merge_overrides(
        load_device_config(config_path, board),
        {
            "source": source,
            "speed_kmh": speed_kmh,
            "events_out": events_out,
            "audio_out": audio_out,
            "audio_live": audio_live,
            "mqtt": _mqtt_urls(mqtt_url) if mqtt_url else None,
            "vehicle_id": vehicle_id,
            "outbox": {"path": outbox} if outbox else None,
            "vehicle_source": vehicle_source,
            "drain_timeout_s": drain_timeout,
            "realtime": realtime,
            "loop": loop,
        },
        source="dms edge run",
    )
    if not config.source:
        raise UserError(
            "no frame source: give --source (a clip, a folder of images, /dev/video0) "
            "or 'source:' in the --config file"
        )
    try:
        from edge.sources import open_source
    except ImportError as exc:
        raise UserError(f"frame sources are not available in this install ({exc})") from None

    capture = config.capture if not isinstance(config.capture, dict) else None
    runtime = EdgeRuntime(config)  # vehicle source, outbox and broker settings fail here, before the camera
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # systemd and the demo stop us with SIGTERM: end like a finished clip (bounded drain, goodbye).
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        source = open_source(config.source, capture)  # opened up front: a bad source fails at once
        frames = looped(lambda: open_source(config.source, capture)) if config.loop else source
        runtime.night.attach_camera(source)  # face-weighted exposure, where the camera takes it
        with source:
            report = runtime.run(frames, realtime=config.realtime, stop=stop)
    except KeyboardInterrupt:
        click.echo("dms edge: interrupted; waiting briefly for the outbox", err=True)
        report = runtime.finish(drain_timeout=min(config.drain_timeout_s, 3.0))
    finally:
        runtime.close()
    click.echo(report.summary())


@edge.command("outbox")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def outbox_cmd(path: Path) -> None:
    """Count the messages waiting in an outbox file, per kind."""
    from edge.uplink.outbox import Outbox

    if not path.is_file():
        raise UserError(f"outbox not found: {path}")
    with Outbox(path) as box:
        if box.moved_aside is not None:
            raise UserError(f"{path} was corrupt and has been moved aside to {box.moved_aside}")
        counts = {kind: box.count(kind) for kind in ("event", "state", "status")}
    click.echo(f"{path}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + " waiting")


def _mqtt_urls(value: str) -> dict:
    """`--mqtt A,B,C`: the first address and the ones to fail over to."""
    first, *rest = (part.strip() for part in value.split(","))
    return {"url": first, "failover_urls": rest} if rest else {"url": first}
