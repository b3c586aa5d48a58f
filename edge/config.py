"""The device configuration file (YAML): everything `dms edge run` needs, one section per concern.

    vehicle_id: van-17
    source: /dev/video0
    vehicle_source: obd:/dev/ttyUSB0,gpsd:127.0.0.1:2947
    mqtt:
      url: mqtts://broker.fleet.example:8883
      username: van-17
      password_file: /etc/dms/mqtt-password      # or the DMS_MQTT_PASSWORD environment variable
      tls: {ca_file: /etc/dms/ca.pem}
    outbox: {path: /var/lib/dms/outbox.sqlite, max_messages: 20000}

Command-line flags override the file (`merge_overrides`). Every section is validated by the settings
class of the part it configures; `board:` names a profile (edge/boards) the file is merged over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from dms.contract.messages import VehicleId
from dms.errors import UserError
from dms.settings import Settings, describe_validation_error, read_yaml_mapping
from edge.audio.settings import AudioSettings
from edge.night.health import CameraHealthSettings
from edge.night.illuminator import IlluminatorSettings
from edge.policy.settings import PolicySettings
from edge.session import DriverSessionSettings
from edge.sources.base import SourceSettings as CaptureSettings
from edge.uplink.settings import MqttSettings, OutboxSettings, TelemetrySettings
from edge.vision.pipeline import VisionSettings
from edge.visual.settings import VisualSettings


class DeviceConfig(Settings):
    """One vehicle's edge device."""

    board: str | None = Field(
        None,
        max_length=64,
        description=(
            "Board profile (edge/boards: pi4, pi5, jetson-orin-nano) this file is merged over: its camera, "
            "illuminator and inference engine, threads and precision, unless this file says otherwise."
        ),
    )
    vehicle_id: VehicleId = "vehicle-1"
    driver_id: str | None = Field(None, max_length=64, description="Driver identifier, when known.")
    source: str | None = None
    """Camera or clip: a file path, /dev/videoN, or gst:PIPELINE."""
    capture: CaptureSettings = Field(
        default_factory=CaptureSettings, description="How frames are read (frame rate, camera resolution)."
    )
    realtime: bool = False
    """Pace a file source at its frame rate (as a camera would deliver it)."""
    loop: bool = False
    """Play a file source again and again until stopped (the demo)."""
    speed_kmh: float | None = Field(
        None,
        ge=0,
        le=400,
        description=(
            "Fixed vehicle speed for the policy; default: the vehicle source's speed (60 km/h without one)."
        ),
    )
    vehicle_source: str | None = None
    """replay:FILE | obd:PORT | can:CHANNEL[:DBC] | gpsd:HOST:PORT | nmea:PORT; ',' merges several."""
    events_out: Path | None = None
    """Write every driver event as one JSON line here (same msg_id as its MQTT message)."""
    audio_out: Path | None = None
    """Render the in-cab alerts to this WAV file on the source timeline."""
    audio_live: bool = False
    """Play the in-cab alerts through the sound card (PortAudio, or aplay), never blocking the frame loop."""
    drain_timeout_s: float = Field(
        10.0,
        ge=0,
        description=(
            "After a file source ends, wait this long for the outbox to drain; the rest goes next run."
        ),
    )
    mqtt: MqttSettings | None = Field(None, description="Broker connection; none: no uplink.")
    outbox: OutboxSettings = Field(default_factory=OutboxSettings, description="The durable outbox.")
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings, description="Sampling rates.")
    policy: PolicySettings = Field(
        default_factory=PolicySettings, description="Driver-state policy thresholds (edge.policy)."
    )
    vision: VisionSettings = Field(
        default_factory=VisionSettings, description="Frame pipeline (edge.vision)."
    )
    sessions: DriverSessionSettings = Field(
        default_factory=DriverSessionSettings,
        description="When the person in the seat counts as a new driver (edge.session).",
    )
    audio: AudioSettings = Field(
        default_factory=AudioSettings, description="In-cab alert sounds (edge.audio)."
    )
    visual: VisualSettings = Field(
        default_factory=VisualSettings, description="In-cab warning lamp beside the sounds (edge.visual)."
    )
    illuminator: IlluminatorSettings = Field(
        default_factory=IlluminatorSettings, description="The camera's infrared illuminator (edge.night)."
    )
    camera_health: CameraHealthSettings = Field(
        default_factory=CameraHealthSettings,
        description="When a picture is too dark or flat to measure (edge.night.health).",
    )


def device_config_data(path: str | Path | None, board: str | None = None) -> dict[str, Any]:
    """The device file's mapping merged over its board profile (`board`, else the file's `board:` key):
    the profile's partial device configuration, and its `inference:` block as the vision models' engine,
    threads and precision. What the file says wins."""
    data = read_yaml_mapping(path) if path is not None else {}
    name = board or data.get("board")
    if not name:
        return data
    if not isinstance(name, str):
        raise UserError(f"{path}: board: expected a profile name, e.g. pi5")
    from edge.boards import load_board, merge

    profile = load_board(name)
    defaults = merge(profile.device, {"vision": {"face_mesh": {"backend": profile.inference.model_dump()}}})
    return {**merge(defaults, data), "board": name}


def load_device_config(path: str | Path | None, board: str | None = None) -> DeviceConfig:
    data = device_config_data(path, board)
    try:
        return DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, str(path or "device configuration"))) from None


def merge_overrides(
    config: DeviceConfig, overrides: dict[str, Any], source: str = "command line"
) -> DeviceConfig:
    """A new config with `overrides` (nested dicts merge into sections; None values are ignored)."""
    data = config.model_dump(exclude_unset=True)
    _deep_merge(data, {k: v for k, v in overrides.items() if v is not None})
    try:
        return DeviceConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, source)) from None


def _deep_merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        elif isinstance(value, dict):
            into[key] = {k: v for k, v in value.items() if v is not None}
        else:
            into[key] = value
