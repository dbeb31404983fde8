"""Serving the app: gunicorn's worker processes, each reading requests with waitress.

Every worker reads the embedded store — the main one and the private one (`{STORE}/private`)
— through read-only checkpoints and writes by taking a store's lock for a commit
(registry/store/shared.py), so several worker processes use every core. The app (and its
store handles) is created inside each worker after gunicorn forks. A remote main store needs
PRIVATE_STORE_URL too (checked with the settings, before anything starts).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

from registry.settings import Settings


class RegistryServer(BaseApplication):
    def __init__(self, settings: Settings, options: Mapping[str, Any]):
        self.settings = settings
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from registry.store.opening import open_for_workers
        from web.app import create_app

        app = create_app(self.settings, repository=open_for_workers(self.settings))
        # Start the SPARQL query processes now, not on the first query (they take ~1 s).
        from opendata.sparql import executor

        executor(app)
        return app


def in_fresh_process(function, *args) -> None:
    """Run `function(*args)` in a new (spawned, not forked) process and wait for it.

    RocksDB's background threads do not survive fork(): once the gunicorn master has opened the
    store, a forked worker opening it read-write waits for ever on a lock held by a thread that
    does not exist in it. So the master never opens the store itself.
    """
    import multiprocessing

    process = multiprocessing.get_context("spawn").Process(target=function, args=args)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"preparing the store failed (exit {process.exitcode})")


# Each worker process serves its connections with waitress, which reads whole requests before a
# request thread sees them (ops/frontworker.py: slow clients must not hold the threads).
FRONT_WORKER = "ops.frontworker.FrontWorker"
# gunicorn's own threaded worker, which the register used before: kept for bench/slowclients.py
# to show the difference, never for serving.
GTHREAD_WORKER = "gthread"


def run(settings: Settings, *, host: str, port: int, workers: int, threads: int,
        access_log: bool = True, worker_class: str = FRONT_WORKER) -> None:
    from registry.store.opening import prepare_for_workers

    in_fresh_process(prepare_for_workers, settings)
    RegistryServer(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                              "worker_class": worker_class,
                              "accesslog": "-" if access_log else None,
                              "timeout": 300, **_heartbeat_dir()}).run()


def _heartbeat_dir() -> dict[str, str]:
    """gunicorn's workers touch a file on every turn of their loop (the heartbeat the master
    watches); on a disk file system that costs ~0.1 ms a request, on memory (tmpfs) next to
    nothing — gunicorn's own docs advise /dev/shm. Left to gunicorn where there is none."""
    # S108 does not apply: a fixed system directory, where gunicorn makes its files by mkstemp.
    memory = "/dev/shm"  # noqa: S108
    return {"worker_tmp_dir": memory} if os.path.isdir(memory) else {}
