"""`dms config`: check and render device configuration files, list board profiles, update models."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from dms.errors import UserError

DEFAULT_MODELS_ROOT = Path("/var/lib/dms/models")


@click.group("config")
def config() -> None:
    """Check and render device configuration files; install model updates.

    \b
      dms config check /etc/dms/device.yaml [--board pi5]
      dms config render device.yaml --board jetson-orin-nano
      dms config boards
      dms config models install ./models-2026.2 --root /var/lib/dms/models
    """


@config.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", help="Merge the file over this board profile (see 'dms config boards').")
def check(file: Path, board: str | None) -> None:
    """Validate FILE as a device would use it: one line per problem, exit status 1 if any."""
    from firmware_config.check import check_device_config

    result = check_device_config(file, board)
    if not result.ok:
        for line in result.problems:
            click.echo(line, err=True)
        n = len(result.problems)
        raise UserError(f"{file}: {n} problem{'s' if n > 1 else ''}") from None
    click.echo(f"{file}: OK")
    for line in result.summary:
        click.echo(f"  {line}")


@config.command("render")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", help="Merge over this board profile.")
@click.option("--all", "show_all", is_flag=True, help="Show every setting, defaults included.")
def render(file: Path | None, board: str | None, show_all: bool) -> None:
    """Print the effective configuration (FILE over the board profile) as YAML; no FILE: the defaults."""
    from pydantic import ValidationError

    from dms.settings import describe_validation_error
    from edge.config import DeviceConfig
    from firmware_config.check import merged_config_data

    try:
        cfg = DeviceConfig.model_validate(merged_config_data(file, board))
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, str(file or "defaults"))) from None
    # Secrets are never values of the config (only the names of files and variables holding them).
    data = cfg.model_dump(mode="json", exclude_unset=not show_all and file is not None)
    click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@config.command("boards")
def boards() -> None:
    """List the board profiles."""
    from edge.boards import board_names, load_board

    for name in board_names():
        profile = load_board(name)
        click.echo(f"{profile.summary()}\n    {profile.description}")
        for what, text in (("camera", profile.camera), ("illuminator", profile.illuminator)):
            if text:
                click.echo(f"    {what}: {text}")


@config.group("models")
def models() -> None:
    """Install, inspect and roll back the model set the runtime loads."""


_root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MODELS_ROOT,
    show_default=True,
    help="Models root (releases/, current, previous).",
)


@models.command("install")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@_root_option
@click.option(
    "--no-load-check", is_flag=True, help="Skip loading the models (ONNX Runtime, LiteRT) after the switch."
)
def models_install(source: Path, root: Path, no_load_check: bool) -> None:
    """Verify SOURCE (a model set with manifest.json), install it and make it current."""
    from firmware_config.model_update import install_models, models_load

    result = install_models(source, root, health_check=(lambda _: None) if no_load_check else models_load)
    if result.already_installed:
        click.echo(f"model set {result.version} is already current ({result.current})")
        return
    kept = f"; previous {result.previous.name} kept for rollback" if result.previous else ""
    click.echo(
        f"model set {result.version} installed and current{kept}; restart the runtime to load it "
        "(systemctl restart dms-edge)"
    )


@models.command("rollback")
@_root_option
def models_rollback(root: Path) -> None:
    """Make the previous model set current again."""
    from firmware_config.model_update import rollback_models

    result = rollback_models(root)
    click.echo(f"model set {result.version} is current again; restart the runtime to load it")


@models.command("status")
@_root_option
def models_status(root: Path) -> None:
    """Show the current and previous model sets, verified against their manifests."""
    from firmware_config.model_update import current_set, previous_set, verify_model_set

    for label, path in (("current", current_set(root)), ("previous", previous_set(root))):
        if path is None:
            click.echo(f"{label}: none")
            continue
        try:
            verify_model_set(path)
            state = "verified"
        except UserError as exc:
            state = f"DAMAGED: {exc}"
        click.echo(f"{label}: {path.name} ({state})")
