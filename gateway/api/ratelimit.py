"""Failed sign-ins per client address and user name, and per client address, in a sliding window.

Every attempt costs a bcrypt hash (~0.2 s of a core at the default rounds): without a limit a few
clients can occupy the server and guess passwords at leisure. Only failures count, so people who type
their password right are never held up; the check comes before the hash. A user name is limited per
address, not everywhere: a guesser elsewhere must not be able to lock its owner out. One address
trying many names meets the wider per-address limit. Per process (each process counts its own).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# One address may fail this many times more often than one address with one user name (a shared
# proxy, an office NAT: many people behind one address).
PER_ADDRESS_FACTOR = 10


class SignInLimiter:
    def __init__(self, max_failures: int, window_s: float, monotonic: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self._monotonic = monotonic
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(client: str | None, username: str) -> tuple[str, str]:
        address = client or "?"
        return f"ip:{address}", f"ip-user:{address}:{username.strip().lower()[:200]}"

    def _limit(self, key: str) -> int:
        return self.max_failures * (PER_ADDRESS_FACTOR if key.startswith("ip:") else 1)

    def retry_after(self, keys: tuple[str, ...]) -> int | None:
        """Seconds until another attempt is allowed, or None when one is allowed now."""
        now = self._monotonic()
        waits = []
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self._limit(key):
                    waits.append(times[0] + self.window_s - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, keys: tuple[str, ...]) -> None:
        now = self._monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # a flood of distinct names: forget the idle ones
                for key in [k for k, t in self._failures.items() if not t or t[-1] < now - self.window_s]:
                    del self._failures[key]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
