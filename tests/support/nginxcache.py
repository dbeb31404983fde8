"""nginx as the caching front of docs/deployment.md ("nginx: caching /doc/ and /id/ by ETag"),
on loopback, with its purge listener (Debian packages `nginx-light` and
`libnginx-mod-http-lua`). Not a test module: tests/test_cache_purge.py uses it.

The cache key is the snippet's (CACHE_KEY: the test checks the document still says it) and the
Lua code is taken from the document itself (`snippet_blocks`). Everything nginx writes (pid,
logs, cache, temp files) is in the folder given.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .stores import free_port

MODULES = (Path("/usr/lib/nginx/modules/ndk_http_module.so"),
           Path("/usr/lib/nginx/modules/ngx_http_lua_module.so"))
PACKAGES = "nginx-light libnginx-mod-http-lua"
CACHE_KEY = '"$uri|$args|$http_accept|$http_accept_language|$clc_generation"'
STARTUP_SECONDS = 20


def snippet_blocks(markdown: str) -> dict[str, str]:
    """The Lua blocks of docs/deployment.md's nginx snippet, by directive
    (`init_by_lua_block`, `set_by_lua_block $clc_generation`, `content_by_lua_block`): the test
    runs nginx with the document's own code, so the document cannot drift from what works."""
    blocks = {}
    for directive in ("init_by_lua_block", "set_by_lua_block $clc_generation",
                      "content_by_lua_block"):
        start = markdown.index(directive + " {")
        depth, end = 0, start
        for end in range(start, len(markdown)):
            if markdown[end] == "{":
                depth += 1
            elif markdown[end] == "}":
                depth -= 1
                if depth == 0:
                    break
        blocks[directive] = markdown[start:end + 1]
    return blocks


_CONFIG = """\
load_module {ndk};
load_module {lua};
{user}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 128; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    proxy_cache_path {folder}/cache levels=1:2 keys_zone=clc:10m max_size=100m
                     inactive=1h use_temp_path=off;
    lua_shared_dict clc_purged 10m;
    {init}
    upstream licence_registry {{ server 127.0.0.1:{upstream}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{front};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host {host};       # the register's BASE_IRI host (its trusted host)
        location ~ ^/(doc|id)/licence/ {{
            proxy_pass http://licence_registry;
            proxy_cache clc;
            {generation}
            proxy_cache_key {cache_key};
            proxy_cache_valid 200 303 60s;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
            add_header X-Cache $upstream_cache_status always;
        }}
        location / {{ proxy_pass http://licence_registry; }}
    }}
    server {{
        listen 127.0.0.1:{purge};
        allow 127.0.0.1;
        deny all;
        location ~ ^/purge(/.*)$ {{
            {content}
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"]))


def missing() -> str | None:
    """Why nginx with the purge module cannot run here (None: it can)."""
    if nginx_binary() is None:
        return f"nginx is not installed (apt-get install {PACKAGES})"
    for module in MODULES:
        if not module.exists():
            return f"{module} is missing (apt-get install {PACKAGES})"
    return None


@dataclass(frozen=True)
class NginxFront:
    url: str                # the caching front
    purge_url: str          # the purge listener (for CACHE_PURGE_URLS)
    folder: Path

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(encoding="utf-8", errors="replace")


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@contextlib.contextmanager
def caching_front(folder: Path, upstream_port: int, host: str,
                  lua: dict[str, str]) -> Iterator[NginxFront]:
    """nginx (not a daemon) in front of 127.0.0.1:`upstream_port`, sending Host `host`, with
    the Lua blocks `lua` (snippet_blocks of the deployment document)."""
    binary = nginx_binary()
    assert binary is not None, missing()
    folder.mkdir(parents=True, exist_ok=True)
    front, purge = free_port(), free_port()
    # As root nginx's workers would run as nobody, who cannot write the test's 0700 folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    config.write_text(_CONFIG.format(
        ndk=MODULES[0], lua=MODULES[1], user=user, folder=folder, upstream=upstream_port,
        front=front, purge=purge, host=host, cache_key=CACHE_KEY,
        init=lua["init_by_lua_block"], generation=lua["set_by_lua_block $clc_generation"],
        content=lua["content_by_lua_block"]), encoding="utf-8")
    with open(folder / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config),
             "-g", "daemon off;"], stdout=stderr, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (_listening(front) and _listening(purge)):
            if process.poll() is not None or time.monotonic() > deadline:
                output = (folder / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"nginx did not start: {output}")
            time.sleep(0.05)
        yield NginxFront(f"http://127.0.0.1:{front}", f"http://127.0.0.1:{purge}", folder)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
