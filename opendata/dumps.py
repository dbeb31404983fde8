"""Generating the downloadable dumps of all public data (SPEC §7).

Three files, each the union of every public graph (`registry.bootstrap.is_public_graph`) as
plain triples, without duplicates: `licences.nt.gz` (N-Triples, gzip), `licences.ttl` (Turtle)
and `licences.jsonld` (JSON-LD 1.1, expanded). A licence's old versions are graphs of their own
in the store; in a union of triples their statements stand beside the current ones, so the
dumps are for bulk analysis, and the SPARQL endpoint (or `licence-registry dump`, N-Quads)
keeps the graphs apart.

Generation (`generate`, from any `Repository`):

1. the store is exported as N-Quads (`Repository.export`);
2. the public quads become N-Triples lines, sorted and made unique by `sort -u` (C locale,
   bounded memory, spills to the work directory), so a triple kept in several graphs appears
   once and each subject's statements stand together; steps 1 and 2 are one stream (a pipe),
   so neither the export nor the unsorted triples are stored whole;
3. the sorted file is gzipped (no timestamp in the header: same data, same bytes) and streamed
   through pyoxigraph's Turtle and JSON-LD serialisers;
4. `manifest.json` (size, SHA-256, time, triple count) is written beside them, the work
   directory is renamed to its generation name and `CURRENT` is replaced to point at it: both
   atomic, so a reader sees the old set or the new set, never a mixture.

A file lock (`.lock`) makes generation single-flight across processes. After each commit through
the API, `request_regeneration(app)` marks a rerun (`.pending`) and, unless a generator already
holds the lock, starts one in a low-priority child process (spawned, never forked: RocksDB
does not survive fork). The child reads the store through `registry.store.open_reader` — the
newest read-only checkpoint, or the remote store — so it never opens the embedded store that
the serving process owns. It loops while a rerun is pending.

The pages, `/dumps/` and `/dumps/<file>`, are in `opendata.dumpviews`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import hashlib
import json
import logging
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import pyoxigraph as ox
from flask import Flask, current_app

from registry.bootstrap import is_public_graph
from registry.events import licences_committed
from registry.namespaces import PREFIXES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DumpFormat:
    file: str
    label: str
    media_type: str          # the RDF format inside
    content_type: str        # what /dumps/<file> is served as
    compressed: bool = False


FORMATS = (
    DumpFormat("licences.nt.gz", "N-Triples (gzip)", "application/n-triples", "application/gzip",
               compressed=True),
    DumpFormat("licences.ttl", "Turtle", "text/turtle", "text/turtle; charset=utf-8"),
    DumpFormat("licences.jsonld", "JSON-LD", "application/ld+json", "application/ld+json"),
)

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
LOCK = ".lock"
PENDING = ".pending"
WORK_PREFIX = ".work-"
SORT_MEMORY = "256M"      # `sort -S`: beyond this it spills to the work directory

Progress = Callable[[str], None]
# What `generate` reports to `progress`, in order.
STAGES = ("export", *(f.label for f in FORMATS), "manifest")


def dumps_dir(settings: Mapping[str, Any]) -> Path:
    """DUMPS_DIR, or `{STORE}/dumps` when it is empty."""
    return Path(settings["DUMPS_DIR"] or Path(settings["STORE"]) / "dumps")


# The store's licence state: changes whenever an upload commits (each writes its activity with
# the counts), so a cached figure or a dump made at another state is known to be stale. Cheap:
# it reads only the upload activities.
_STATE_QUERY = """
PREFIX clc: <https://w3id.org/clc/def#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT (COUNT(?upload) AS ?uploads) (SUM(?created) AS ?licences) (MAX(?id) AS ?latest)
WHERE { GRAPH ?g { ?upload clc:created ?created ; dct:identifier ?id } }
"""


def licence_state(repo) -> str:
    """A short text that differs whenever an upload has been committed since."""
    row = repo.one(_STATE_QUERY) or {}
    return ":".join(row[k].value if k in row else "" for k in ("uploads", "licences", "latest"))


# Reading the current generation


def current_manifest(folder: Path) -> dict | None:
    """The manifest of the newest complete generation, with its directory; None before the first."""
    try:
        name = (folder / CURRENT).read_text(encoding="ascii").strip()
        manifest = json.loads((folder / name / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    manifest["directory"] = str(folder / name)
    return manifest


def is_generating(folder: Path) -> bool:
    """Whether a generator holds the lock right now."""
    return not _try_lock(folder)


def _try_lock(folder: Path) -> bool:
    """True when nobody holds the generation lock (taken and released at once)."""
    if not folder.is_dir():
        return True
    with _exclusive(folder / LOCK, wait=False) as got:
        return got


@contextlib.contextmanager
def _exclusive(path: Path, *, wait: bool) -> Iterator[bool]:
    """An inter-process lock (flock): yields whether it was taken; released on exit."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


# Generating


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _public_triples(source: BinaryIO, base: str, sink: IO[bytes]) -> None:
    """The triples of every public named graph in an N-Quads stream, one N-Triples line each
    (the default graph, which the register never writes, is left out with the private graphs)."""
    verdicts: dict[str, bool] = {}

    def public(quad: ox.Quad) -> bool:
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            return False
        if graph.value not in verdicts:
            verdicts[graph.value] = is_public_graph(base, graph.value)
        return verdicts[graph.value]

    ox.serialize((q.triple for q in ox.parse(source, format=ox.RdfFormat.N_QUADS) if public(q)),
                 sink, format=ox.RdfFormat.N_TRIPLES)


def _sorted_public_triples(repo, base: str, out: Path, scratch: Path) -> int:
    """Export → public triples → `sort -u` (C locale: byte order, bounded memory, spilling to
    `scratch`) into `out`, streamed through a pipe so that neither the export nor the unsorted
    triples are ever written out whole; the number of distinct triples."""
    # S603/S607 do not apply: a fixed argument list, and `sort` is the system's own (on PATH).
    sort = subprocess.Popen(["sort", "-u", "-S", SORT_MEMORY, "-T", str(scratch), "-o", str(out)],  # noqa: S603, S607
                            stdin=subprocess.PIPE, env={**os.environ, "LC_ALL": "C"})
    if sort.stdin is None:          # never: stdin=PIPE makes the pipe
        raise RuntimeError("`sort` was started without a pipe to its input")
    read_end, write_end = os.pipe()
    failed: list[BaseException] = []

    def export() -> None:
        try:
            with open(write_end, "wb", buffering=1 << 20) as pipe:
                repo.export(pipe)
        except BaseException as exc:        # noqa: BLE001 — raised again by the caller
            failed.append(exc)

    exporter = threading.Thread(target=export, name="dumps-export", daemon=True)
    exporter.start()
    try:
        with open(read_end, "rb", buffering=1 << 20) as pipe:
            _public_triples(pipe, base, sort.stdin)   # closing the pipe frees a blocked export
        sort.stdin.close()
    except BaseException:
        sort.kill()
        raise
    finally:
        exporter.join()
        sort.wait()
        if failed:                  # the export's own error, not the truncated stream's
            raise failed[0]
    if sort.returncode:
        raise subprocess.CalledProcessError(sort.returncode, "sort")
    with open(out, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _write_formats(triples: Path, work: Path, progress: Progress) -> None:
    for fmt in FORMATS:
        progress(fmt.label)
        target = work / fmt.file
        if fmt.compressed:
            with open(triples, "rb") as source, open(target, "wb") as raw, \
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            continue
        rdf_format = {"text/turtle": ox.RdfFormat.TURTLE,
                      "application/ld+json": ox.RdfFormat.JSON_LD}[fmt.media_type]
        prefixes = {k: str(v) for k, v in PREFIXES.items()} if rdf_format == ox.RdfFormat.TURTLE \
            else None
        with open(triples, "rb") as source, open(target, "wb") as sink:
            ox.serialize(ox.parse(source, format=ox.RdfFormat.N_TRIPLES), sink,
                         format=rdf_format, prefixes=prefixes)


def generate(repo, base: str, folder: Path, *, progress: Progress | None = None,
             now: dt.datetime | None = None) -> dict:
    """Write a new generation of the dumps from `repo` into `folder` and make it current; its
    manifest. The caller holds the lock (see `regenerate`)."""
    progress = progress or (lambda stage: None)
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=folder))
    try:
        state = licence_state(repo)        # before reading: a later commit makes it stale
        progress("export")
        triples = work / "triples.nt"
        count = _sorted_public_triples(repo, base, triples, work)
        _write_formats(triples, work, progress)
        triples.unlink()
        progress("manifest")
        now = now or dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = {
            "generated": stamp, "store_state": state, "triples": count,
            "files": [{"file": f.file, "format": f.label, "media_type": f.media_type,
                       "compression": "gzip" if f.compressed else None,
                       "size": (work / f.file).stat().st_size, "modified": stamp,
                       "sha256": sha256_file(work / f.file)} for f in FORMATS]}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                     encoding="utf-8")
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
        os.rename(work, folder / name)
        pointer = folder / (CURRENT + ".tmp")
        pointer.write_text(name, encoding="ascii")
        os.replace(pointer, folder / CURRENT)
        manifest["directory"] = str(folder / name)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(folder, keep=name)
    return manifest


GENERATION = re.compile(r"[0-9]{8}T[0-9]{12}Z-[0-9a-f]{6}")


def _prune(folder: Path, keep: str) -> None:
    """Remove older generations and work left by a killed generator (the lock is held), and
    nothing else: DUMPS_DIR may be shared. A download still reading an old file keeps it until
    it finishes (POSIX unlink)."""
    for entry in folder.iterdir():
        ours = GENERATION.fullmatch(entry.name) or entry.name.startswith(WORK_PREFIX)
        if ours and entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)


def regenerate(repo, base: str, folder: Path, *, wait: bool = True,
               progress: Progress | None = None) -> dict | None:
    """Generate now under the lock: waits for a running generator first (`wait`), or returns
    None at once when one runs. Clears a pending rerun, since this run covers it."""
    folder.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder / LOCK, wait=wait) as got:
        if not got:
            return None
        (folder / PENDING).unlink(missing_ok=True)
        return generate(repo, base, folder, progress=progress)


def run_pending(settings: Mapping[str, Any], folder: Path) -> None:
    """Regenerate while a rerun is pending and no other generator runs, reading the store
    through `open_reader` (never opening the embedded store itself)."""
    from registry.store.opening import open_reader

    repo = None
    try:
        while (folder / PENDING).exists():
            with _exclusive(folder / LOCK, wait=False) as got:
                if not got:
                    return              # another generator runs; it sees the pending mark
                while (folder / PENDING).exists():
                    (folder / PENDING).unlink(missing_ok=True)
                    repo = repo or open_reader(settings)
                    generate(repo, settings["BASE_IRI"], folder)
            # A mark made while the lock was being released is seen by the outer test.
    finally:
        if repo is not None:
            repo.close()


def _child(settings: dict, folder: str) -> None:
    """The spawned child process: `run_pending` at low priority."""
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        run_pending(settings, Path(folder))
    except Exception:       # noqa: BLE001 — a child has no caller: say why, keep the old dumps
        log.exception("Regenerating the dumps in %s failed", folder)
        print(f"licence-registry: regenerating the dumps in {folder} failed; the previous "
              "ones are still served", file=sys.stderr)
        raise SystemExit(1) from None


_spawning = threading.Lock()


def request_regeneration(app: Flask) -> bool:
    """Ask for new dumps after a commit: mark a rerun and, unless a generator is running, start
    one in a low-priority spawned child process. True when a child was started. Never raises:
    the commit has happened whatever becomes of the dumps."""
    app = getattr(app, "_get_current_object", lambda: app)()
    settings = app.config["REGISTRY"]
    folder = dumps_dir(settings)
    try:
        mark_stale(settings)                # first: a generator finishing now will see it
        if not _try_lock(folder):
            return False
        with _spawning:
            running = app.extensions.get("dumps_process")
            if running is not None and running.is_alive():
                return False
            # The child reads the newest read-only checkpoint: make sure one is published.
            app.extensions["repository"].read_replica()
            process = multiprocessing.get_context("spawn").Process(
                target=_child, args=(dict(settings), str(folder)),
                name="licence-registry-dumps", daemon=True)
            process.start()
            app.extensions["dumps_process"] = process
            return True
    except Exception:       # noqa: BLE001
        log.exception("Could not start regenerating the dumps in %s", folder)
        return False


def _on_licences_committed(sender: Flask | None, *, settings: Mapping[str, Any]) -> None:
    """New licences: the web service starts new dumps now; elsewhere they are marked stale
    and regenerated at the web service's next look at them."""
    if sender is None:
        mark_stale(settings)
    else:
        request_regeneration(sender)


def subscribe() -> None:
    """Follow commits (registry.events.licences_committed). Idempotent."""
    licences_committed.connect(_on_licences_committed)


def mark_stale(settings: Mapping[str, Any]) -> None:
    """Say that public data changed in a way the licence state does not show (link checks, a
    catalogue reloaded, a restore): the web service regenerates the dumps at the next look at
    them. A stat per look, where folding every lastChecked time into the state would scan a
    million documents. Never raises: the change has been committed whatever becomes of this."""
    folder = dumps_dir(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PENDING).touch()
    except OSError:
        log.exception("Could not mark the dumps in %s stale", folder)


STALE_RETRY_SECONDS = 60.0


def refresh_if_stale(manifest: dict | None) -> None:
    """Ask for new dumps when there are none yet, when they were made at another licence state
    (uploads committed by another process or machine, `load` from the command line), or when a
    rerun is pending that no generator is running (`mark_stale`, or a generator that died); at
    most once a minute from one process, so a generator that keeps failing is not restarted on
    every page view."""
    app = current_app._get_current_object()         # type: ignore[attr-defined]
    pending = (dumps_dir(app.config["REGISTRY"]) / PENDING).exists()
    if not pending and manifest is not None and manifest.get("store_state") == licence_state(
            app.extensions["repository"]):
        return
    now = time.monotonic()
    if now - app.extensions.get("dumps_stale_asked", -STALE_RETRY_SECONDS) < STALE_RETRY_SECONDS:
        return
    app.extensions["dumps_stale_asked"] = now
    if not is_generating(dumps_dir(app.config["REGISTRY"])):
        request_regeneration(app)
