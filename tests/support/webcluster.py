"""A small register as docs/deployment.md lays it out for the country, on loopback (not a test
module): one remote main store and its private store (`oxigraph serve`), initialised with
`licence-registry init`, and several `licence-registry serve` processes in front of them, each
in a folder of its own as if on a machine of its own (its own search index and dumps), sharing
only the stores and the key files (as every machine that signs shares them).

tests/test_two_web_processes.py uses it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .realserver import RealServer
from .stores import BASE, serve_oxigraph

ROOT = Path(__file__).parents[2]


@dataclass
class WebCluster:
    """The stores' URLs, the settings every process shares and the running web processes."""

    folder: Path
    store_url: str
    private_url: str
    env: dict[str, str]
    servers: list[RealServer] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        """`licence-registry --store-url … --base-iri BASE ARGS` as an operator runs it (in the
        cluster's folder, with the shared settings); its output. Fails on a non-zero exit."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith("LICENCE_REGISTRY_")}
        done = subprocess.run(
            [sys.executable, "-m", "ops.cli", "--store-url", self.store_url, "--base-iri",
             BASE, *args], cwd=self.folder, capture_output=True, text=True, check=False,
            env={**environ, "PYTHONPATH": str(ROOT), **self.env})
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start_web(self, name: str, *serve_args: str, **settings: str) -> RealServer:
        """One more web process, in a folder `name` of its own: its own search index (and
        dumps), the shared stores and keys. `settings` are LICENCE_REGISTRY_* values
        (without the prefix) for this process only."""
        machine = self.folder / name
        machine.mkdir()
        own = {"LICENCE_REGISTRY_SEARCH_INDEX": str(machine / "search" / "licences.sqlite"),
               **{f"LICENCE_REGISTRY_{k}": v for k, v in settings.items()}}
        server = RealServer(machine, ["--store-url", self.store_url, "--base-iri", BASE],
                            list(serve_args), env={**self.env, **own})
        self.servers.append(server)
        return server


def started_cluster(folder: Path, stack: ExitStack) -> WebCluster:
    """The two stores started (stopped when `stack` closes) and initialised with
    `licence-registry init`, which also makes the signing and log key files (shared)."""
    started = []
    for name in ("main-store", "private-store"):
        url, process = serve_oxigraph(folder / name)
        stack.callback(_stop, process)
        started.append(url)
    keys = folder / "keys"
    env = {"LICENCE_REGISTRY_PRIVATE_STORE_URL": started[1],
           "LICENCE_REGISTRY_SIGNING_KEYS": str(keys / "signing-keys.json"),
           "LICENCE_REGISTRY_LOG_KEYS": str(keys / "log-keys.json"),
           # The operator's commands keep their index here, not in the system's temporary
           # directory (the default for a remote store); each web process has its own.
           "LICENCE_REGISTRY_SEARCH_INDEX": str(folder / "ops-host" / "licences.sqlite")}
    cluster = WebCluster(folder, started[0], started[1], env)
    stack.callback(_stop_servers, cluster)
    cluster.cli("init")
    return cluster


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_servers(cluster: WebCluster) -> None:
    for server in cluster.servers:
        server.stop()
