"""The one interface every vehicle status source offers, and a merge of several sources.

`read(t)` never blocks: live sources (OBD-II, CAN, GPS) collect in a background thread and return
their latest snapshot; a replayed trip computes the snapshot for time `t` (seconds since the run
started). Values use the VSS names of the wire contract (`VehicleSignals`).
"""

from __future__ import annotations

from typing import Any

from dms.contract import VehicleSignals


class VehicleSource:
    """Base class: a context manager with `read(t) -> VehicleSignals` and `close()`."""

    name = "vehicle source"

    def read(self, t: float) -> VehicleSignals:
        raise NotImplementedError

    def close(self) -> None:
        """Release ports, sockets and threads (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ConstantSource(VehicleSource):
    """A fixed speed (the `--speed-kmh` option when no vehicle bus is attached)."""

    name = "constant speed"

    def __init__(self, speed_kmh: float):
        self.signals = VehicleSignals(speed=speed_kmh, is_moving=speed_kmh > 0)

    def read(self, t: float) -> VehicleSignals:
        return self.signals


class MergedSource(VehicleSource):
    """Several sources at once (e.g. OBD-II + GPS): for each signal the first source that has it wins."""

    def __init__(self, sources: list[VehicleSource]):
        self.sources = sources
        self.name = " + ".join(s.name for s in sources)

    def read(self, t: float) -> VehicleSignals:
        merged: dict[str, Any] = {}
        for source in self.sources:
            for key, value in source.read(t).model_dump(exclude_none=True).items():
                merged.setdefault(key, value)
        return VehicleSignals.model_validate(merged)

    def close(self) -> None:
        for source in self.sources:
            source.close()


def signals_from(values: dict[str, Any]) -> VehicleSignals:
    """VehicleSignals from snake_case field values, dropping the ones that are None."""
    return VehicleSignals.model_validate({k: v for k, v in values.items() if v is not None})
