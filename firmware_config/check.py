"""Validate a device configuration file (optionally merged over a board profile) the way a device would use it.

Beyond the schema (unknown keys, types, ranges: `DeviceConfig`), a device must be able to reach its
broker safely: the URL parses, a user name comes with a password source that exists and is private,
credentials never travel in clear to another host, TLS files exist. Every problem is one line; the
summary names where secrets come from and never shows one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from dms.errors import UserError
from dms.settings import validation_error_lines
from edge.config import DeviceConfig, device_config_data

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@dataclass
class CheckResult:
    source: str
    config: DeviceConfig | None = None
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def merged_config_data(path: str | Path | None, board: str | None = None) -> dict[str, Any]:
    """The device file's mapping merged over its board profile, as the device itself loads it."""
    return device_config_data(path, board)


def check_device_config(
    path: str | Path, board: str | None = None, environ: Mapping[str, str] = os.environ
) -> CheckResult:
    result = CheckResult(source=str(path))
    try:
        data = merged_config_data(path, board)
    except UserError as exc:
        result.problems.append(str(exc))
        return result
    try:
        config = DeviceConfig.model_validate(data)
    except ValidationError as exc:
        result.problems += validation_error_lines(exc, str(path))
        return result
    result.config = config
    result.problems += [f"{path}: {line}" for line in _mqtt_problems(config, environ)]
    result.problems += [f"{path}: {line}" for line in _night_problems(config)]
    if result.ok:
        result.summary = _summary(config, board, environ)
    return result


def _file_problem(key: str, value: Path | None, *, private: bool = False) -> str | None:
    if value is None:
        return None
    p = value.expanduser()
    try:
        st = p.stat()
    except OSError:
        return f"{key}: file not found: {p}"
    if not stat.S_ISREG(st.st_mode) or not os.access(p, os.R_OK):
        return f"{key}: not a readable file: {p}"
    # Owner-only, or root:dms 0640 (group read for the service user): no group write, nothing for others.
    if private and st.st_mode & 0o027:
        return f"{key}: {p} is open to other users (mode {st.st_mode & 0o777:o}); chmod 600 or 640 it"
    return None


def _mqtt_problems(config: DeviceConfig, environ: Mapping[str, str]) -> list[str]:
    mqtt = config.mqtt
    if mqtt is None:
        return []
    keys = ["mqtt.url", *(f"mqtt.failover_urls[{i}]" for i in range(len(mqtt.failover_urls)))]
    for key, url in zip(keys, (mqtt.url, *mqtt.failover_urls), strict=True):
        parts = urlsplit(url)
        if parts.username or parts.password:  # said without echoing the URL: it holds a secret
            return [
                f"{key}: carries credentials; set mqtt.username and mqtt.password_file (or the "
                f"{mqtt.password_env} environment variable) instead"
            ]
    try:
        endpoints = mqtt.endpoints()
    except UserError as exc:
        return [f"mqtt.url: {exc}"]
    host, _, use_tls = endpoints[0]
    problems = []
    if mqtt.username is not None:
        if mqtt.username != config.vehicle_id:
            problems.append(
                f"mqtt.username: {mqtt.username!r} differs from vehicle_id {config.vehicle_id!r}; "
                "the broker's ACL lets a vehicle publish only under its own user name"
            )
        if not environ.get(mqtt.password_env) and mqtt.password_file is None:
            problems.append(
                f"mqtt: a user name but no password: set mqtt.password_file or the "
                f"{mqtt.password_env} environment variable"
            )
        problems += [
            f"{key}: the password would cross the network in clear to {h}; use mqtts:// (TLS)"
            for key, (h, _, tls) in zip(keys, endpoints, strict=True)
            if not tls and h not in LOOPBACK_HOSTS
        ]
    if not environ.get(mqtt.password_env):
        problems.append(_file_problem("mqtt.password_file", mqtt.password_file, private=True))
    tls = mqtt.tls
    problems += [
        _file_problem("mqtt.tls.ca_file", tls.ca_file),
        _file_problem("mqtt.tls.cert_file", tls.cert_file),
        _file_problem("mqtt.tls.key_file", tls.key_file, private=True),
    ]
    if (tls.cert_file is None) != (tls.key_file is None):
        problems.append("mqtt.tls: cert_file and key_file go together")
    if use_tls and tls.insecure and host not in LOOPBACK_HOSTS:
        problems.append("mqtt.tls.insecure: the broker's host name would not be checked (test rigs only)")
    return [p for p in problems if p]


def _night_problems(config: DeviceConfig) -> list[str]:
    """An infrared camera sees only what its illuminator lights: at night, without one, nothing."""
    infrared = getattr(config.capture, "infrared", False)
    output = getattr(config.illuminator, "output", "none")
    if infrared and output == "none":
        return [
            (
                "capture.infrared: an infrared camera needs an illuminator; set illuminator.output "
                "(gpio or pwm) and illuminator.gpio_pin"
            )
        ]
    return []


def _summary(config: DeviceConfig, board: str | None, environ: Mapping[str, str]) -> list[str]:
    lines = [f"vehicle {config.vehicle_id}", f"source: {config.source or '(none: give --source)'}"]
    board = board or config.board
    if board is not None:
        from edge.boards import load_board

        lines.append(f"board {load_board(board).summary()}")
    mqtt = config.mqtt
    if mqtt is None:
        lines.append("uplink: none (no mqtt section)")
    else:
        host, port, use_tls = mqtt.endpoint()
        who = f" as {mqtt.username}" if mqtt.username else " anonymously"
        if mqtt.username is None:
            secret = ""
        elif environ.get(mqtt.password_env):
            secret = f", password from ${mqtt.password_env}"
        else:
            secret = f", password from {mqtt.password_file}"
        lines.append(f"uplink: {host}:{port} ({'TLS' if use_tls else 'no TLS'}){who}{secret}")
    lines.append(f"outbox: {config.outbox.path} (at most {config.outbox.max_messages} messages)")
    customised = [
        name for name in ("policy", "vision", "audio", "telemetry") if name in config.model_fields_set
    ]
    lines.append(f"customised sections: {', '.join(customised) or 'none (defaults)'}")
    return lines
