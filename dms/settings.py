"""Base class for every settings object: unknown keys are rejected, every field is described."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from dms.errors import UserError

T = TypeVar("T", bound="Settings")


class Settings(BaseModel):
    """A validated, immutable group of settings for one concern."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, use_attribute_docstrings=True
    )


def describe_validation_error(exc: ValidationError, source: str) -> str:
    """All problems on one line, `; `-separated (see `validation_error_lines`)."""
    return "; ".join(validation_error_lines(exc, source))


def _visible(key: object) -> str:
    text = str(key)
    return text if text and text.isprintable() else repr(key)


def validation_error_lines(exc: ValidationError, source: str) -> list[str]:
    """One readable line per problem: `source: a.b.c: message (got ...)`."""
    lines = []
    for err in exc.errors():
        # repr() for keys a user cannot see (empty, newline, control characters): the message stays one line
        where = ".".join(_visible(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        got = err.get("input")
        shown = (
            ""
            if err["type"] in ("missing", "extra_forbidden") or isinstance(got, dict)
            else f" (got {got!r})"
        )
        lines.append(f"{source}: {where}: {msg}{shown}")
    return lines


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML (or JSON) file; UserError when missing or not a mapping."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"config file not found: {p}")
    try:
        data: Any = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise UserError(
            f"{p}: not a settings file: its lists or mappings nest thousands of levels deep"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{p}: expected a mapping of settings at the top level")
    return data


def load_yaml_settings(model: type[T], path: str | Path) -> T:
    """Read a YAML (or JSON) file into `model`, turning every failure into one UserError."""
    p = Path(path)
    data = read_yaml_mapping(p)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, str(p))) from None
