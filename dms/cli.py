"""The `dms` command.

Subcommands live beside the code they drive (edge/, gateway/, dealer_portal/, ...) and are imported
only when invoked, so `dms --help` and the gateway host never load the vision stack.

Every user mistake ends as one line on stderr and a non-zero exit; a traceback is shown only for a
real bug, and only with DMS_DEBUG=1.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from dms import __version__
from dms.errors import UserError

# name -> (module, attribute, one-line help). The help is here so that `dms --help` imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("dms.demo", "demo", "Run the whole chain on one machine: edge -> MQTT -> gateway -> portal."),
    "edge": ("edge.cli", "edge", "The in-vehicle runtime (camera, driver monitoring, alerts, uplink)."),
    "evaluate": ("edge.evaluate_cli", "evaluate",
                 "Score the system on recorded clips (labelled blink sets, E-NCAP style scenarios)."),
    "gateway": ("gateway.cli", "gateway", "The back-office MQTT ingest service."),
    "portal": ("dealer_portal.cli", "portal", "The web portal and REST API for dispatchers and dealers."),
    "users": ("gateway.admin_cli", "users", "Manage portal users."),
    "vehicles": ("gateway.admin_cli", "vehicles", "Register and list vehicles."),
    "config": ("firmware_config.cli", "config", "Check and render device configuration files."),
    "provision": ("firmware_config.provision_cli", "provision",
                  "Provision a vehicle: broker credential, ACL entry and device config."),
    "simulate": ("gateway.simulator", "simulate",
                 "Drive N simulated vehicles through broker, gateway and database."),
    "bench": ("benchmarks.cli", "bench", "Benchmark the frame pipeline, gateway and latency side by side."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module_name, attr, short = spec
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            missing = exc.name or str(exc)
            return _unavailable(name, short, missing)
        return getattr(module, attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _unavailable(name: str, short: str, missing: str) -> click.Command:
    """A stand-in for a subcommand whose optional dependencies are not installed."""

    @click.command(name, help=short, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def stub(**_):
        raise UserError(f"'dms {name}' needs the Python module {missing!r}, which is not installed",
                        hint="install the matching extra, e.g. pip install 'dms-fleet[edge,gateway]'")

    return stub


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="dms")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Driver monitoring for vehicle fleets and the dealers who service them.

    \b
    Quick tour:
      dms demo                      the whole chain on this machine, portal URL printed
      dms edge run --source CLIP    monitor a recorded clip or a camera
      dms evaluate DATASET --out D  score eye closure and blinks on labelled clips
      dms gateway run --mqtt URL --db URL
      dms portal run --db URL --http 127.0.0.1:8080
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


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
    except Exception as exc:  # noqa: BLE001 - anything else is our bug, said plainly
        if os.environ.get("DMS_DEBUG"):
            raise
        click.echo(f"dms: internal error: {type(exc).__name__}: {exc} "
                   "(this is a bug; rerun with DMS_DEBUG=1 for the traceback)", err=True)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
