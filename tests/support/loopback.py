"""A loopback TCP listener that records every connection it is offered (not a test module).

The SERVICE tests point queries at it: a connection seen is a query that reached the network.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def recording_listener() -> Iterator[tuple[int, list[tuple]]]:
    """(port on 127.0.0.1, the peers that connected so far); closed on exit."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    seen: list[tuple] = []

    def accept() -> None:
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                return
            seen.append(peer)
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1], seen
    finally:
        server.close()
