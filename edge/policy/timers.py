"""Small timing primitives fed with explicit frame times (no clock of their own)."""

from __future__ import annotations

from collections import deque

TIME_EPS_S = 1e-3
"""Frame times are not more precise than a millisecond: 0.3 - 0.2 must compare equal to 0.1."""


class HoldRun:
    """A run of frames where a condition holds, bridging drop-outs of up to `tolerance_s`.

    `start` is the time of the run's first true frame, `last_true` the latest. A drop-out lasts from the
    last true frame to the current false one, so n false frames at period p last n * p: the tolerance is
    in seconds and means the same at 10 and at 30 fps. Once a drop-out lasts longer than `tolerance_s`
    the run ends and `finished` holds (start, last_true) for that frame. Frames flagged `bridging`
    (almost true) keep a started run alive for up to `bridge_s` instead.
    """

    def __init__(self, tolerance_s: float = 0.0, bridge_s: float | None = None):
        self.tolerance_s = tolerance_s
        self.bridge_s = tolerance_s if bridge_s is None else max(bridge_s, tolerance_s)
        self.start: float | None = None
        self.last_true: float | None = None
        self.finished: tuple[float, float] | None = None

    @property
    def active(self) -> bool:
        return self.start is not None

    def update(self, t: float, value: bool, bridging: bool = False) -> None:
        self.finished = None
        if value:
            if self.start is None:
                self.start = t
            self.last_true = t
        elif self.start is not None:
            limit = self.bridge_s if bridging else self.tolerance_s
            if t - self.last_true > limit + TIME_EPS_S:
                self.finished = (self.start, self.last_true)
                self.start = self.last_true = None

    def duration(self, t: float) -> float:
        return 0.0 if self.start is None else t - self.start

    def reset(self) -> None:
        self.start = self.last_true = self.finished = None


class Streak:
    """How long a condition has held without a single break (for 'continuous attention')."""

    def __init__(self) -> None:
        self.since: float | None = None

    def update(self, t: float, value: bool) -> None:
        if not value:
            self.since = None
        elif self.since is None:
            self.since = t

    def duration(self, t: float) -> float:
        return 0.0 if self.since is None else t - self.since

    def reset(self) -> None:
        self.since = None


class WindowSum:
    """Sum of per-frame amounts over the last `window_s` seconds (PERCLOS, VATS off-road time)."""

    def __init__(self, window_s: float):
        self.window_s = window_s
        self._items: deque[tuple[float, float]] = deque()
        self.total = 0.0

    def add(self, t: float, amount: float) -> None:
        if amount:
            self._items.append((t, amount))
            self.total += amount
        self.expire(t)

    def expire(self, t: float) -> None:
        while self._items and self._items[0][0] <= t - self.window_s:
            self.total -= self._items.popleft()[1]
        if not self._items:
            self.total = 0.0  # no float drift once empty

    def count(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self.total = 0.0
