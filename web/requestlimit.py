"""A per-address request limit: at most `limit` requests from one client address in any
`window` seconds (a sliding window), then "retry after N seconds".

Kept in the serving process (each worker counts on its own), thread-safe, with an injectable
clock (tests never sleep) and bounded memory: at most `max_clients` addresses are tracked, the
one seen least recently dropped first (a flood of addresses forgets the quiet ones, not the
busy one). publishing/ratelimit.py's FailureLimiter is this window counting failures only
(`wait` before, `record` after a failure).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RequestLimitExceeded(Exception):
    """Over the limit: try again in `retry_after` seconds (a whole number, at least 1)."""

    def __init__(self, retry_after: int, limit: int, window: float):
        super().__init__(f"more than {limit} requests in {window:g} s; retry after "
                         f"{retry_after} s")
        self.retry_after = retry_after
        self.limit = limit
        self.window = window


class RequestLimiter:
    def __init__(self, limit: int = 60, window: float = 60.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        if limit <= 0 or window <= 0 or max_clients <= 0:
            raise ValueError("limit, window and max_clients must be positive")
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        """Count one request of `client`, or raise RequestLimitExceeded (not counted: a
        refused request does not push the client's window further out)."""
        with self._lock:
            wait = self._wait(client)
            if wait is not None:
                self._seen.move_to_end(client)          # busy, so the last one forgotten
                raise RequestLimitExceeded(max(1, math.ceil(wait)), self.limit, self.window)
            self._record(client)

    def wait(self, client: str) -> float | None:
        """Seconds until `client` may be counted again, or None when it is under the limit
        (nothing counted: publishing/ratelimit.py checks before it knows whether to count)."""
        with self._lock:
            return self._wait(client)

    def record(self, client: str) -> None:
        """Count one event of `client`, whatever the limit says."""
        with self._lock:
            self._record(client)

    def _wait(self, client: str) -> float | None:
        recent = self._seen.get(client)
        if recent is None:
            return None
        now = self.clock()
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) < self.limit:
            return None
        return recent[0] + self.window - now    # the oldest leaves the window then

    def _record(self, client: str) -> None:
        self._seen.setdefault(client, deque()).append(self.clock())
        self._seen.move_to_end(client)
        while len(self._seen) > self.max_clients:       # bounded memory
            self._seen.popitem(last=False)

    def tracked(self) -> int:
        """How many client addresses are remembered now."""
        with self._lock:
            return len(self._seen)
