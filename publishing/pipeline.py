"""The upload pipeline: parse → canonicalise → check → map to RDF → commit all or nothing.

The same functions serve `licence-registry validate/load`, the upload API and the upload page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from publishing.uploadformats import read_upload
from registry import identifiers, logleaf, logstore, rdfmap, statscube, statusstore
from registry.model import Catalogue
from registry.namespaces import sparql_prefixes
from registry.problems import WARNING, Problem, ProblemSummary, summarise
from registry.records import LicenceRecord
from registry.store import ChangeSet, Repository
from registry.validation import ValidationContext, check_batch

Progress = Callable[[int], object]        # a meter's update; what it returns is ignored


@dataclass
class Report:
    """What the standard said about a batch (SPEC §5 report)."""

    records: list[LicenceRecord]
    problems: list[Problem]
    rows: int = 0

    @property
    def violations(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != WARNING]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> list[ProblemSummary]:
        """The problems folded into one line per rule and column (registry/problems.py)."""
        return summarise(self.problems)

    def as_json(self) -> dict:
        return {"valid": self.ok, "rows": self.rows, "licences": len(self.records),
                "violations": len(self.violations), "warnings": len(self.warnings),
                "problems": [p.as_json() for p in self.problems],
                "summary": [s.as_json() for s in self.summary()]}


@dataclass
class CommitResult:
    upload_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_json(self) -> dict:
        return {"upload_id": self.upload_id, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged}


def _counted(rows: Iterable, progress: Progress | None) -> Iterator:
    for n, item in enumerate(rows, start=1):
        if progress and n % 1000 == 0:
            progress(1000)
        yield item


def validate_csv(data: bytes, ctx: ValidationContext, progress: Progress | None = None) -> Report:
    """Check a CSV upload against the standard. Raises InvalidCsv for an unreadable file."""
    return validate_upload("text/csv", data, ctx, "", progress)


def validate_upload(media_type: str, data: bytes, ctx: ValidationContext, base: str,
                    progress: Progress | None = None) -> Report:
    """Check an upload of any accepted type. Raises InvalidCsv/InvalidUploadFormat when the
    body cannot be read at all."""
    parsed = read_upload(media_type, data, base)
    counter = {"rows": 0}

    def rows():
        for item in _counted(parsed.rows, progress):
            counter["rows"] += 1
            yield item

    records, problems = check_batch(rows(), ctx)
    # The file's own problems first (encoding, missing columns), then every row's, in order.
    return Report(records, parsed.with_problems_of_rows(problems), counter["rows"])


class PayloadFiles:
    """A change set's N-Quads, written in parts of at most `part_quads` lines (see the embedded
    store: one bulk-load call's memory grows with its size)."""

    def __init__(self, folder: str, part_quads: int = 1_500_000):
        self.folder = folder
        self.part_quads = part_quads
        self.paths: list[Path] = []
        self._handle: TextIO | None = None
        self._in_part = 0

    def add(self, lines: list[str]) -> None:
        handle = self._handle
        if handle is None or self._in_part + len(lines) > self.part_quads:
            handle = self._next_part()
        handle.write("\n".join(lines))
        handle.write("\n")
        self._in_part += len(lines)

    def _next_part(self) -> TextIO:
        self.close()
        fd, name = tempfile.mkstemp(suffix=".nq", dir=self.folder)
        self.paths.append(Path(name))
        self._handle = handle = os.fdopen(fd, "w", encoding="utf-8")
        self._in_part = 0
        return handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        for path in self.paths:
            path.unlink(missing_ok=True)


REPORT = "https://w3id.org/clc/def#report"


def _report_change(base: str, upload_iri: str, upload_id: str, problems: list[Problem],
                   summary: list[ProblemSummary]) -> ChangeSet:
    """The upload's report, a change set for the private store: the first REPORT_LIMIT
    problems, how many more there were, and the summary of them all (quality pages count
    warnings by rule from it)."""
    report = {"problems": [p.as_json() for p in problems[:REPORT_LIMIT]],
              "more_problems": max(0, len(problems) - REPORT_LIMIT),
              "summary": [s.as_json() for s in summary]}
    graph = identifiers.upload_report_graph_iri(base, upload_id)
    quad = ox.Quad(ox.NamedNode(upload_iri), ox.NamedNode(REPORT),
                   ox.Literal(json.dumps(report, ensure_ascii=False)), ox.NamedNode(graph))
    return ChangeSet.from_quads([quad], replace=[graph])


def new_upload_id(now: dt.datetime) -> str:
    """Sortable by time and unguessable: `20261121T193000Z-3f9a1c2e`."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


# The OPTIONAL stays outside the first GRAPH: inside it, pyoxigraph evaluated it over every
# licence's counter for each chunk of graphs (10× the whole query's time at 30,000 licences).
_STATE_QUERY = sparql_prefixes("clc", "adms") + """
SELECT ?g ?licence ?version ?digest ?index ?status ?counter WHERE {
  #VALUES_G#
  GRAPH ?g { ?licence clc:version ?version ; adms:status ?status }
  OPTIONAL { GRAPH ?g { ?licence clc:statusCounter ?counter } }
  OPTIONAL { GRAPH ?g { ?licence clc:logIndex ?index } }
  OPTIONAL { GRAPH ?g { ?licence clc:recordDigest ?digest } }
}"""
_GRAPH_QUERY = "SELECT ?g ?s ?p ?o WHERE { #VALUES_G# GRAPH ?g { ?s ?p ?o } }"


REPORT_LIMIT = 10_000     # problems kept with an upload; the rest are counted


def commit(repo: Repository, records: list[LicenceRecord], *, base: str, catalogue: Catalogue,
           agency: str, now: dt.datetime | None = None, progress: Progress | None = None,
           problems: list[Problem] | None = None,
           summary: list[ProblemSummary] | None = None) -> CommitResult:
    """Write checked records as one atomic change set and return the counts.

    `problems` (the batch's warnings) are kept as the upload's report in a private graph, with
    their `summary` (computed here when the caller has none), for the agency to read back
    (GET /api/v1/uploads/{id}). The report goes to the private store (`repo.private`), as its
    own change set, BEFORE the main change set: a crash between the two leaves an orphan report
    nobody can see (a report is shown only for an upload whose activity is in the main store),
    never an upload whose report is missing.

    A licence already in the register with the same content is left alone (unchanged); with
    different content its current record is kept as an immutable version graph and replaced.
    """
    now = now or dt.datetime.now(dt.UTC)
    timestamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    upload_id = new_upload_id(now)
    upload_iri = identifiers.upload_iri(base, upload_id)
    result = CommitResult(upload_id)
    with repo.writing():
        graphs = [identifiers.licence_graph_iri(base, r.key) for r in records]
        existing = repo.existing_graphs(graphs)
        states = {row["g"].value: row for row in
                  repo.select_graphs(_STATE_QUERY, sorted(existing))} if existing else {}
        fingerprints = _fingerprints(repo, base, states)
        replace: list[str] = []
        book = statusstore.StatusBook(repo, base, timestamp)      # status lists: same change set
        log = logstore.LogBook(repo, base)                        # the Merkle log: likewise
        cube = statscube.CubeBook(repo, base)                     # the statistics: likewise
        logged = _Logger(log, base, timestamp, upload_iri)
        payload = PayloadFiles(repo.scratch_dir())
        try:
            # (record, graph, stored state, content lines, record hash): computed once, here
            updated: list[tuple[LicenceRecord, str, dict, list[str], str]] = []
            for rec, graph in _counted(zip(records, graphs, strict=True), progress):
                public_register = catalogue.types[rec.key.type].public_register
                lines = rdfmap.content_lines(rec, base, public_register)
                record_digest = logleaf.record_hash(lines, graph)
                state = states.get(graph)
                if state is not None and _unchanged(fingerprints.get(graph), record_digest, lines):
                    result.unchanged += 1
                    continue
                if state is not None:
                    updated.append((rec, graph, state, lines, record_digest))
                    continue
                result.created += 1
                replace.append(graph)
                lines.append(logged.version(rec, graph, 1, record_digest))
                lines.extend(rdfmap.version_lines(
                    rec, base, version=1, record_digest=None, timestamp=timestamp,
                    agency=agency, upload_iri=upload_iri, previous_status=None))
                lines.extend(book.licence_lines(rec, None))
                cube.created(rec)
                payload.add(lines)
            for rec, graph, *_ in updated:
                cube.updated(rec, graph)
            _write_updates(repo, payload, updated, base, replace, timestamp, agency, book,
                           logged)
            result.updated = len(updated)
            upload_text = _upload_lines(base, upload_iri, agency, timestamp, result)
            payload.add([upload_text.rstrip("\n")])
            logged.upload(upload_text)
            replace.append(identifiers.upload_graph_iri(base, upload_id))
            for graphs_of, lines_of in (book.change(), log.change(), cube.change()):
                if lines_of:
                    payload.add(lines_of)
                    replace.extend(graphs_of)
            payload.close()
            problems = problems or []
            repo.private.apply(_report_change(
                base, upload_iri, upload_id, problems,
                summarise(problems) if summary is None else summary))
            repo.apply(ChangeSet(replace=replace, payload=[*payload.paths]))
        finally:
            payload.remove()
    return result


def _fingerprints(repo: Repository, base: str, states: dict[str, dict]) -> dict[str, str]:
    """Each stored record's fingerprint by graph: the record hash its log entry holds (what
    the commit writes: `clc:logIndex`, no digest of its own), or for a version stored before
    the log, its `clc:recordDigest`. Log entries are read a bundle at a time."""
    found = {graph: row["digest"].value for graph, row in states.items()
             if row.get("digest") is not None}
    logged = {int(row["index"].value): graph for graph, row in states.items()
              if graph not in found and row.get("index") is not None}
    if logged:
        hashes = logstore.LogReader(repo, base).record_hashes(
            {index: states[graph]["licence"].value for index, graph in logged.items()})
        found.update((logged[index], sha256) for index, sha256 in hashes.items())
    return found


def _unchanged(stored: str | None, record_digest: str, lines: list[str]) -> bool:
    """Whether a stored record's fingerprint is this content's: the record hash, or for a
    version stored before the public log, the digest it was stored with (computed only then).
    No fingerprint at all (a damaged version): changed, so a sound version replaces it."""
    return stored is not None and (stored == record_digest
                                   or stored == rdfmap.legacy_digest(lines))


class _Logger:
    """One commit's leaves: each new version's, then the upload's, appended to its LogBook."""

    def __init__(self, log: logstore.LogBook, base: str, timestamp: str, upload_iri: str):
        self.log = log
        self.base = base
        self.timestamp = timestamp
        self.upload_iri = upload_iri

    def version(self, rec: LicenceRecord, graph: str, version: int, content_sha256: str) -> str:
        """Append the leaf of a new version whose record hashes to `content_sha256`
        (logleaf.record_hash); the line that puts its log index in the version."""
        licence = identifiers.licence_iri(self.base, rec.key)
        index = self.log.append(logleaf.version_leaf_bytes(
            self.log.next_index, licence, version, self.timestamp, self.upload_iri,
            content_sha256))
        return logstore.index_line(licence, graph, index)

    def upload(self, upload_nquads: str) -> None:
        statements = ox.parse(upload_nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        self.log.append(logleaf.leaf_bytes(logleaf.upload_leaf(
            statements, self.upload_iri, self.log.next_index)))


def _write_updates(repo: Repository, payload: PayloadFiles, updated, base: str,
                   replace: list[str], timestamp: str, agency: str,
                   book: statusstore.StatusBook, logged: _Logger) -> None:
    """Keep each replaced record as version N, then write version N+1 as the current one
    (with the licence's status position, taken now if it had none)."""
    if not updated:
        return
    old_rows = repo.select_graphs(_GRAPH_QUERY, [graph for _, graph, *_ in updated])
    old_by_graph: dict[str, list[str]] = {}
    for row in old_rows:
        old_by_graph.setdefault(row["g"].value, []).append(
            f"{row['s']} {row['p']} {row['o']}")
    for rec, graph, state, content, record_digest in updated:
        old_version = int(state["version"].value)
        version_graph = identifiers.licence_version_graph_iri(base, rec.key, old_version)
        replace.extend((graph, version_graph))
        lines = [f"{triple} <{version_graph}> ." for triple in old_by_graph.get(graph, [])]
        lines.append(rdfmap.superseded_line(identifiers.licence_iri(base, rec.key),
                                            old_version + 1, version_graph))
        lines.extend(content)
        lines.append(logged.version(rec, graph, old_version + 1, record_digest))
        lines.extend(rdfmap.version_lines(
            rec, base, version=old_version + 1, record_digest=None,
            timestamp=timestamp, agency=agency, upload_iri=logged.upload_iri,
            previous_status=state["status"].value.rsplit("/", 1)[-1]))
        counter = state.get("counter")
        lines.extend(book.licence_lines(rec, None if counter is None else int(counter.value)))
        payload.add(lines)


def _upload_lines(base: str, upload_iri: str, agency: str, timestamp: str,
                  result: CommitResult) -> str:
    graph = ox.NamedNode(identifiers.upload_graph_iri(base, result.upload_id))
    subject = ox.NamedNode(upload_iri)
    prov = "http://www.w3.org/ns/prov#"
    clc = "https://w3id.org/clc/def#"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    quads = [
        ox.Quad(subject, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(prov + "Activity"), graph),
        ox.Quad(subject, ox.NamedNode(prov + "wasAssociatedWith"),
                ox.NamedNode(identifiers.agency_iri(base, agency)), graph),
        ox.Quad(subject, ox.NamedNode(prov + "endedAtTime"),
                ox.Literal(timestamp, datatype=ox.NamedNode(xsd + "dateTime")), graph),
        ox.Quad(subject, ox.NamedNode("http://purl.org/dc/terms/identifier"),
                ox.Literal(result.upload_id), graph),
    ]
    for name in ("created", "updated", "unchanged"):
        quads.append(ox.Quad(subject, ox.NamedNode(clc + name),
                             ox.Literal(str(getattr(result, name)),
                                        datatype=ox.NamedNode(xsd + "integer")), graph))
    return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode()
