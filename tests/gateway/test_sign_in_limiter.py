"""The sign-in limiter on its own: a sliding window per address and name, and a wider one per address."""

from __future__ import annotations

from gateway.api.ratelimit import PER_ADDRESS_FACTOR, SignInLimiter


def test_failures_are_forgotten_after_the_window_and_one_address_meets_the_wider_limit():
    now = [0.0]
    limiter = SignInLimiter(3, 60, monotonic=lambda: now[0])
    ada = limiter.keys("10.0.0.1", "Ada ")
    for _ in range(3):
        assert limiter.retry_after(ada) is None
        limiter.failed(ada)
    assert limiter.retry_after(ada) == 60
    assert limiter.retry_after(limiter.keys("10.0.0.2", "ada")) is None  # not locked out elsewhere
    now[0] = 30
    assert limiter.retry_after(ada) == 30
    now[0] = 60.5
    assert limiter.retry_after(ada) is None
    for i in range(3 * PER_ADDRESS_FACTOR):  # spraying names from one address
        limiter.failed(limiter.keys("10.0.0.3", f"user{i}"))
    assert limiter.retry_after(limiter.keys("10.0.0.3", "someone-new")) is not None
