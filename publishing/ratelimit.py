"""Slowing down key guessing: after repeated bad keys from one client, answer 429 for a while.

Kept in the serving process (each worker counts on its own); a guesser spread over many workers
is still slowed by every one of them, and keys have 256 bits, so this is about noise and load
rather than the last line of defence.

A valid key does not clear a client's bad ones: otherwise a guesser holding any one key (its
own agency's) could send it after every four guesses and never be slowed. Failures leave the
count only by growing older than the window.
"""

from __future__ import annotations

import time

from web.requestlimit import RequestLimiter


class TooManyFailures(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class FailureLimiter(RequestLimiter):
    """At most `max_failures` bad keys from one client in any `window` seconds: the request
    limiter's window (web/requestlimit.py), fed with failures only."""

    def __init__(self, max_failures: int = 5, window: float = 60.0, max_clients: int = 10_000,
                 clock=time.monotonic):
        super().__init__(max_failures, window, max_clients, clock)
        self.max_failures = max_failures

    def check(self, client: str) -> None:
        """Raise TooManyFailures when `client` has failed too often within the window."""
        wait = self.wait(client)
        if wait is not None:
            raise TooManyFailures(max(1, int(wait) + 1))

    def failed(self, client: str) -> None:
        self.record(client)
