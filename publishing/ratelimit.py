"""Slowing down key guessing: after repeated bad keys from one client, answer 429 for a while.

Kept in the serving process (each worker counts on its own); a guesser spread over many workers
is still slowed by every one of them, and keys have 256 bits, so this is about noise and load
rather than the last line of defence.

A valid key does not clear a client's bad ones: otherwise a guesser holding any one key (its
own agency's) could send it after every four guesses and never be slowed. Failures leave the
count only by growing older than the window.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque


class TooManyFailures(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class FailureLimiter:
    def __init__(self, max_failures: int = 5, window: float = 60.0, max_clients: int = 10_000,
                 clock=time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise TooManyFailures when `client` has failed too often within the window."""
        with self._lock:
            recent = self._recent(client)
            if recent is not None and len(recent) >= self.max_failures:
                raise TooManyFailures(max(1, int(recent[0] + self.window - self.clock()) + 1))

    def failed(self, client: str) -> None:
        with self._lock:
            recent = self._recent(client) or deque()
            recent.append(self.clock())
            self._failures[client] = recent
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:     # bounded memory
                self._failures.popitem(last=False)

    def _recent(self, client: str) -> deque[float] | None:
        recent = self._failures.get(client)
        if recent is None:
            return None
        horizon = self.clock() - self.window
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent
