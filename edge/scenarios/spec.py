"""The scenario file format: a clip plus a small JSON of expectations (E-NCAP style).

A scenario file `<name>.json` sits beside its clip:

    {"name": "microsleep_000004_FNN", "clip": "microsleep_000004_FNN.avi", "speed_kmh": 60,
     "expect": [{"state": "microsleep", "onset_s": 4.53, "deadline_s": 1.3}],
     "forbid": ["sleep"], "allow": [], "truth": [[4.53, 6.03, "closed"]], "source": {...}}

`expect`: states that must start no later than `deadline_s` after `onset_s` (the protocol's limit).
`forbid`: states that must not start at all. `allow`: states that may start without counting as false
(a 5 s closure may legitimately end in `unresponsive`). A scenario without expectations is "quiet":
every event on it is false and counts towards false events per hour. `truth` (optional) is the
composer's ground truth as [start_s, end_s, what] spans, drawn on the report's timelines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dms.contract.messages import DriverEventType
from dms.errors import UserError
from dms.settings import describe_validation_error


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    state: DriverEventType = Field(description="The state the policy must raise.")
    onset_s: float = Field(ge=0, description="When the condition begins, seconds from the clip start.")
    deadline_s: float = Field(gt=0, description="The protocol's limit from onset to the event.")
    reason: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None,
        max_length=8,
        description="The reasons the event may give (details.reason, e.g. not_monitoring's "
        "lens_covered, sunglasses, camera_misaimed); None: any.",
    )


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    name: str = Field(min_length=1, description="Scenario name (file stem by default).")
    clip: str = Field(min_length=1, description="Video file, relative to the scenario file.")
    speed_kmh: float | None = Field(60.0, ge=0, le=400, description="Vehicle speed during the clip.")
    speed_profile: list[tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0, le=400)]]] = Field(
        default_factory=list,
        description="[start_s, km/h] steps: from each start on the vehicle goes at that "
        "speed (before the first: speed_kmh); e.g. a stop to change driver.",
    )
    strict: bool = Field(
        False, description="Any state raised besides the expected (or allowed) ones fails it."
    )
    expect: list[Expectation] = Field(default_factory=list, description="States that must be raised in time.")
    forbid: list[DriverEventType] = Field(default_factory=list, description="States that must not be raised.")
    allow: list[DriverEventType] = Field(default_factory=list, description="States that may be raised.")
    truth: list[tuple[float, float, str]] = Field(default_factory=list, description="Ground-truth spans.")
    source: dict = Field(default_factory=dict, description="Where the frames came from (composer record).")

    @property
    def quiet(self) -> bool:
        return not self.expect

    def speed_at(self, t: float) -> float | None:
        """The vehicle's speed at clip time `t`."""
        speed = self.speed_kmh
        for start, kmh in sorted(self.speed_profile):
            if t + 1e-9 < start:
                break
            speed = kmh
        return speed


def load_scenarios(folder: Path) -> list[tuple[Path, Scenario]]:
    """Every scenario file of a folder (JSON files with a `clip`), sorted by name; UserError on a bad one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"scenario folder not found: {folder}")
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or "clip" not in data:
            continue  # a report or a manifest, not a scenario
        data.setdefault("name", path.stem)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise UserError(describe_validation_error(exc, str(path))) from None
        if not (path.parent / scenario.clip).is_file():
            raise UserError(f"{path}: clip not found: {path.parent / scenario.clip}")
        out.append((path, scenario))
    if not out:
        raise UserError(f"no scenario files (*.json with a 'clip') in {folder}")
    return out
