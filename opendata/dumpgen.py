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

A file lock (`.lock`) makes generation single-flight across processes; `regenerate` takes it,
so it lives here beside the folder's other names. When new dumps are asked for and who makes
them (the pending mark, the spawned child) is `opendata.dumpschedule`; the pages, `/dumps/` and
`/dumps/<file>`, are `opendata.dumpviews`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

import pyoxigraph as ox

from registry.bootstrap import is_public_graph
from registry.namespaces import prefix_map, sparql_prefixes
from registry.settings import Settings


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
PENDING = ".pending"      # a rerun was asked for (opendata.dumpschedule)
WORK_PREFIX = ".work-"
SORT_MEMORY = "256M"      # `sort -S`: beyond this it spills to the work directory

Progress = Callable[[str], None]
# What `generate` reports to `progress`, in order.
STAGES = ("export", *(f.label for f in FORMATS), "manifest")


def dumps_dir(settings: Settings) -> Path:
    """DUMPS_DIR, or `{STORE}/dumps` when it is empty."""
    return Path(settings.dumps_dir or Path(settings.store) / "dumps")


# The store's licence state: changes whenever an upload commits (each writes its activity with
# the counts), so a cached figure or a dump made at another state is known to be stale. Cheap:
# it reads only the upload activities.
_STATE_QUERY = sparql_prefixes("clc", "dct") + """
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
    """Whether a generator holds the lock right now (taken and released at once to tell)."""
    if not folder.is_dir():
        return False
    with generation_lock(folder, wait=False) as got:
        return not got


@contextlib.contextmanager
def generation_lock(folder: Path, *, wait: bool) -> Iterator[bool]:
    """The folder's generation lock, between processes (flock on `.lock`): yields whether it
    was taken (`wait`: after any running generator); released on exit."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
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
        prefixes = prefix_map() if rdf_format == ox.RdfFormat.TURTLE else None
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
    with generation_lock(folder, wait=wait) as got:
        if not got:
            return None
        (folder / PENDING).unlink(missing_ok=True)
        return generate(repo, base, folder, progress=progress)
