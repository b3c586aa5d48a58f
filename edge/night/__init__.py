"""Night driving: the infrared illuminator, camera health, face-weighted exposure (see README "Night")."""

from edge.night.control import NightControl
from edge.night.health import CameraHealthSettings, PictureHealth
from edge.night.illuminator import (
    GpioIlluminator,
    Illuminator,
    IlluminatorSettings,
    RecordingIlluminator,
    build_illuminator,
)

__all__ = [
    "CameraHealthSettings",
    "GpioIlluminator",
    "Illuminator",
    "IlluminatorSettings",
    "NightControl",
    "PictureHealth",
    "RecordingIlluminator",
    "build_illuminator",
]
