"""Repeated bad keys are slowed down (429 with Retry-After), per client, for a window."""

from __future__ import annotations

import pytest

from registry.ratelimit import FailureLimiter, TooManyFailures


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


def test_success_resets_and_memory_is_bounded():
    limiter = FailureLimiter(max_failures=2, window=60, max_clients=100, clock=Clock())
    limiter.failed("a")
    limiter.succeeded("a")
    limiter.failed("a")
    limiter.check("a")
    for n in range(1000):
        limiter.failed(f"client-{n}")
    assert len(limiter._failures) == 100
