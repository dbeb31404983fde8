"""Serving the app with gunicorn.

The embedded store is owned by one process, so it runs one worker with threads; the app (and
the store) is created inside the worker after gunicorn forks, never in the parent.
"""

from __future__ import annotations

from typing import Any, Mapping

from gunicorn.app.base import BaseApplication


class RegistryServer(BaseApplication):
    def __init__(self, settings: Mapping[str, Any], options: Mapping[str, Any]):
        self.settings = dict(settings)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .app import create_app

        return create_app(self.settings)


def run(settings: Mapping[str, Any], *, host: str, port: int, threads: int) -> None:
    workers = 1 if not settings["STORE_URL"] else 2
    RegistryServer(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                              "worker_class": "gthread", "accesslog": "-",
                              "timeout": 120}).run()
