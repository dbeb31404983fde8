"""Repeated bad keys are slowed down (429 with Retry-After), per client, for a window."""

from __future__ import annotations

import pytest

from publishing.ratelimit import FailureLimiter, TooManyFailures


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_blocks_after_max_failures_until_the_window_passes():
    clock = Clock()
    limiter = FailureLimiter(max_failures=3, window=60, clock=clock)
    for _ in range(3):
        limiter.check("a")
        limiter.failed("a")
    with pytest.raises(TooManyFailures) as caught:
        limiter.check("a")
    assert 1 <= caught.value.retry_after <= 61
    limiter.check("b")                       # other clients are not affected
    clock.now += 61
    limiter.check("a")                       # the window has passed


def test_failures_leave_only_by_age_and_memory_is_bounded():
    # No reset on success: a valid key between bad ones must not clear them
    # (tests/test_data_safety.py checks it through the API and the upload page).
    clock = Clock()
    limiter = FailureLimiter(max_failures=2, window=60, max_clients=100, clock=clock)
    assert not hasattr(limiter, "succeeded")
    limiter.failed("a")
    clock.now += 30
    limiter.failed("a")
    with pytest.raises(TooManyFailures):
        limiter.check("a")
    clock.now += 31                          # the first failure is older than the window
    limiter.check("a")
    for n in range(1000):
        limiter.failed(f"client-{n}")
    assert limiter.tracked() == 100
