"""The `dms` command.

Subcommands live beside the code they drive (edge/, gateway/, dealer_portal/, tools/, ...) and are
imported only when invoked, so `dms --help` and the gateway host never load the vision stack.

Every user mistake ends as one line on stderr and a non-zero exit; a traceback is shown only for a
real bug, and only with DMS_DEBUG=1.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

import click

from dms import __version__
from dms.errors import UserError
from dms.logs import configure as configure_logging

# Each command is loaded by a function with a plain import in it, run only when the command is used:
# `dms --help` imports nothing, and the import graph still shows what the tool depends on.


def _demo() -> click.Command:
    from tools.demo import demo

    return demo


def _edge() -> click.Command:
    from edge.cli import edge

    return edge


def _evaluate() -> click.Command:
    from edge.evaluate_cli import evaluate

    return evaluate


def _gateway() -> click.Command:
    from gateway.cli import gateway

    return gateway


def _portal() -> click.Command:
    from dealer_portal.cli import portal

    return portal


def _dealer() -> click.Command:
    from dealer_portal.exchange.cli import dealer

    return dealer


def _users() -> click.Command:
    from gateway.admin_cli import users

    return users


def _vehicles() -> click.Command:
    from gateway.admin_cli import vehicles

    return vehicles


def _config() -> click.Command:
    from firmware_config.cli import config

    return config


def _provision() -> click.Command:
    from firmware_config.provision_cli import provision

    return provision


def _simulate() -> click.Command:
    from tools.load.simulator import simulate

    return simulate


def _decode() -> click.Command:
    from tools.wire import decode

    return decode


def _bench() -> click.Command:
    from benchmarks.cli import bench

    return bench


# name -> (loader, one-line help). The help is here so that `dms --help` imports nothing.
COMMANDS: dict[str, tuple[Callable[[], click.Command], str]] = {
    "demo": (_demo, "Run the whole chain on one machine: edge -> MQTT -> gateway -> portal."),
    "edge": (_edge, "The in-vehicle runtime (camera, driver monitoring, alerts, uplink)."),
    "evaluate": (
        _evaluate,
        "Score the system on recorded clips (labelled blink sets, E-NCAP style scenarios).",
    ),
    "gateway": (_gateway, "The back-office MQTT ingest service."),
    "portal": (_portal, "The web portal and REST API for dispatchers and dealers."),
    "dealer": (_dealer, "Dealer back office: the manufacturer exchange file (export, import)."),
    "users": (_users, "Manage portal users."),
    "vehicles": (_vehicles, "Register and list vehicles."),
    "config": (_config, "Check and render device configuration files."),
    "provision": (_provision, "Provision a vehicle: broker credential, ACL entry and device config."),
    "simulate": (_simulate, "Drive N simulated vehicles through broker, gateway and database."),
    "decode": (_decode, "Show a captured MQTT message (JSON or compact CBOR, one or a batch) as JSON."),
    "bench": (_bench, "Benchmark the frame pipeline, gateway and latency side by side."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        load, short = spec
        try:
            return load()
        except ImportError as exc:
            missing = exc.name or str(exc)
            return _unavailable(name, short, missing)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


EXTRAS_HINT = (
    "install the matching extra (deploy/README.md lists them), e.g. pip install 'dms-fleet[edge]' for "
    "edge/evaluate, '[gateway]' for gateway/portal, '[bench]' for simulate/bench"
)
FIRST_PARTY = {
    "dms",
    "edge",
    "gateway",
    "dealer_portal",
    "tools",
    "models",
    "native",
    "firmware_config",
    "benchmarks",
}


def _unavailable(name: str, short: str, missing: str) -> click.Command:
    """A stand-in for a subcommand whose optional dependencies are not installed."""

    @click.command(
        name, help=short, context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
    )
    def stub(**_):
        raise UserError(
            f"'dms {name}' needs the Python module {missing!r}, which is not installed", hint=EXTRAS_HINT
        )

    return stub


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.version_option(__version__, prog_name="dms")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="DMS_LOG_FORMAT",
    show_default=True,
    help="Log lines as text or one JSON object per line (env DMS_LOG_FORMAT).",
)
def cli(verbose: int, log_format: str) -> None:
    """Driver monitoring for vehicle fleets and the dealers who service them.

    \b
    Quick tour:
      dms demo                      the whole chain on this machine, portal URL printed
      dms edge run --source CLIP    monitor a recorded clip or a camera
      dms evaluate DATASET --out D  score eye closure and blinks on labelled clips
      dms gateway run --mqtt URL --db URL
      dms portal run --db URL --http 127.0.0.1:8080
    """
    configure_logging(logging.WARNING - 10 * min(verbose, 2), log_format)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turn user errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="dms", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # bad option, missing argument, bad value
        click.echo(f"dms: error: {exc.format_message()}", err=True)
        click.echo("Try 'dms --help' or 'dms COMMAND --help'.", err=True)
        return exc.exit_code
    except click.Abort:
        click.echo("dms: aborted", err=True)
        return 130
    except UserError as exc:
        click.echo(f"dms: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("dms: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the machine refused (disk full, permissions): not a bug, one line all the same
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"dms: error: {exc.strerror or exc}{where}", err=True)
        return 74  # EX_IOERR
    except Exception as exc:
        if os.environ.get("DMS_DEBUG"):
            raise
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if missing and missing.split(".")[0] not in FIRST_PARTY:  # a lazy import its extra would bring
            click.echo(
                f"dms: error: the Python module {missing!r} is not installed ({EXTRAS_HINT})", err=True
            )
            return 2
        click.echo(
            f"dms: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug; rerun with DMS_DEBUG=1 for the traceback)",
            err=True,
        )
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
