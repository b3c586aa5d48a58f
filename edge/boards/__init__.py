"""Board profiles: what a Raspberry Pi 4, Pi 5 or Jetson Orin Nano brings to a device configuration.

A profile (`<name>.yaml` beside this file) holds a partial device configuration (`device:`: the camera
source, its capture mode, the illuminator) and the inference engine, threads and precision that suit the
board (`inference:`). A device file that names its board (`board: pi5`) is merged over both
(`edge.config.load_device_config`); what the file says wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from dms.errors import UserError
from dms.settings import Settings, load_yaml_settings
from edge.sources.base import SourceSettings
from edge.vision.backends import BackendSettings

BOARDS_DIR = Path(__file__).resolve().parent


class BoardProfile(Settings):
    """One supported board."""

    name: str = Field(description="Profile name, as given to --board.")
    description: str = Field("", description="The hardware, in a line.")
    camera: str = Field("", description="The driver camera fitted, in a line.")
    illuminator: str = Field(
        "", description="The infrared illuminator fitted and how it is switched, in a line."
    )
    device: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Partial device configuration (same keys as the device file); the vehicle's file overrides it."
        ),
    )
    inference: BackendSettings = Field(
        default_factory=BackendSettings, description="Inference engine, threads, precision."
    )

    def summary(self) -> str:
        c, i = SourceSettings.model_validate(self.device.get("capture", {})), self.inference
        mode = f"{c.width or '?'}x{c.height or '?'} at {c.camera_fps or c.fps:g} fps"
        threads = f"{i.threads} thread{'s' if i.threads > 1 else ''}"
        kind = (
            "infrared, grey"
            if c.infrared and c.grey
            else "infrared"
            if c.infrared
            else "grey"
            if c.grey
            else "colour"
        )
        pin = self.device.get("illuminator", {})
        light = (
            f"illuminator {pin.get('output', 'none')} pin {pin.get('gpio_pin', '?')}"
            if pin
            else "no illuminator"
        )
        return f"{self.name}: {mode} {kind}, {light}, {i.backend} with {threads}, precision {i.precision}"


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.yaml"))


def load_board(name: str) -> BoardProfile:
    path = BOARDS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise UserError(f"unknown board {name!r}; known: {', '.join(board_names())}")
    profile = load_yaml_settings(BoardProfile, path)
    if profile.name != name:
        raise UserError(f"{path}: name {profile.name!r} differs from the file name {name!r}")
    return profile


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`: nested mappings merge key by key, anything else in `top` wins."""
    out = dict(base)
    for key, value in top.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out
