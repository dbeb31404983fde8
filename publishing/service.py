"""Publishing a batch: the one check-then-commit that the upload API, the upload page and
`licence-registry load` share (SPEC §5). No Flask here: each caller passes its store, base IRI,
catalogue and settings, and builds its own answer (JSON body, page, CLI lines) from `Published`.

All or nothing: any violation refuses the whole batch and nothing is written. Refusals are the
errors the API answers (registry/errors.py), each carrying the problems in the API's JSON shape:
UnsupportedMediaType (415), OutOfScope (403), InvalidUpload (422) and its two kinds below,
UnreadableUpload and DuplicateAcrossUploads. After a real commit, `registry.events.
licences_committed` is sent once, with the caller's `sender` (the Flask app in the web
service, None from the CLI), `settings=`, `keys=` (the records committed) and `repository=`;
opendata/dumpschedule.py, web/searchindex.py and web/cachepurge.py follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from publishing.csvinput import InvalidCsv
from publishing.pipeline import CommitResult, Report, commit, validate_upload
from publishing.uploadformats import ACCEPTED_TYPES
from registry import identifiers, relatedlicences
from registry.errors import InvalidUpload, OutOfScope, UnsupportedMediaType
from registry.events import licences_committed
from registry.model import Catalogue
from registry.problems import VIOLATION, Problem, ProblemSummary, headline, summarise
from registry.records import LicenceRecord
from registry.settings import Settings
from registry.store import Repository
from registry.validation import ValidationContext


@dataclass(frozen=True)
class Upload:
    """One body of a batch: a request's body, or one file given to `licence-registry load`."""

    media_type: str                         # one of uploadformats.ACCEPTED_TYPES, else 415
    body: bytes | Callable[[], bytes]       # a callable is called only once the type is accepted
    name: str = ""                          # the file's name (keys `Published.reports`); "" for
                                            # a request body


class Meter(Protocol):
    """A progress meter (tqdm's bar is one)."""

    def update(self, n: int = 1) -> object: ...


# Opens a meter: (total or None, what is being done, unit) → a context manager giving the meter.
# The CLI passes ops.clibase.progress_bar; nobody else shows progress.
Meters = Callable[[int | None, str, str], AbstractContextManager[Meter]]


class UnreadableUpload(InvalidUpload):
    """An upload that cannot be read as its media type at all (422, one problem): `name` is the
    upload's, `en`/`th` say what to fix."""

    name = en = th = ""

    @classmethod
    def of(cls, name: str, cause: InvalidCsv) -> UnreadableUpload:
        """The error for upload `name` that the reader refused with `cause`. (A constructor of
        its own: every RegistryError keeps the one `__init__(detail, headers=, **extra)`.)"""
        problem = Problem(cause.row, cause.field or "", "csv", VIOLATION, cause.th, cause.en)
        error = cls(cause.en, problems=[problem.as_json()],
                    summary=[s.as_json() for s in summarise([problem])])
        error.name, error.en, error.th = name, cause.en, cause.th
        return error


class DuplicateAcrossUploads(InvalidUpload):
    """The same licence in two uploads of one batch (SPEC §4.10; only the CLI sends several)."""


@dataclass(frozen=True)
class Published:
    """What a checked (and, unless a dry run, committed) batch came to."""

    dry_run: bool
    reports: dict[str, Report]              # by Upload.name, in the order given
    result: CommitResult | None             # the commit's counts; None for a dry run
    summary: list[ProblemSummary]           # every report's problems folded, made once

    @property
    def rows(self) -> int:
        return sum(report.rows for report in self.reports.values())

    @property
    def licences(self) -> int:
        return sum(len(report.records) for report in self.reports.values())

    @property
    def problems(self) -> list[dict]:
        """Every problem (warnings only, once checked) in the API's JSON shape."""
        return [p.as_json() for report in self.reports.values() for p in report.problems]

    def as_json(self) -> dict:
        """The API's 200 body (SPEC §5)."""
        summary = [s.as_json() for s in self.summary]
        if self.result is None:
            return {"dry_run": True, "valid": True, "rows": self.rows,
                    "licences": self.licences, "problems": self.problems, "summary": summary}
        return {"dry_run": False, **self.result.as_json(), "rows": self.rows,
                "problems": self.problems, "summary": summary}


def publish(repo: Repository, *, base: str, catalogue: Catalogue | Callable[[], Catalogue],
            agency: str, uploads: Upload | Sequence[Upload], dry_run: bool = False,
            sender: object, settings: Settings, meters: Meters | None = None,
            on_checked: Callable[[dict[str, Report]], None] | None = None) -> Published:
    """Check `uploads` as one batch of `agency` and, unless `dry_run`, commit it to `repo`.

    `catalogue` may be a function that loads it (called only once every media type is
    accepted). `on_checked` sees the reports before any refusal or commit (the CLI prints them).
    Raises UnsupportedMediaType, UnreadableUpload, OutOfScope, InvalidUpload or
    DuplicateAcrossUploads; writes nothing then. After a commit sends `licences_committed`
    (sender=`sender`, settings=`settings`): both are required, since a receiver reads the
    settings (opendata/dumpschedule.py marks the dumps of `settings` stale when the sender is
    None).
    """
    batch = [uploads] if isinstance(uploads, Upload) else list(uploads)
    accept_media_types(batch)
    if callable(catalogue):
        catalogue = catalogue()
    reports = check(batch, ValidationContext.for_agency(catalogue, agency, base), meters)
    check_related(repo, reports, base)
    if on_checked is not None:
        on_checked(reports)
    refuse_violations(reports, catalogue, agency)
    problems = [p for report in reports.values() for p in report.problems]
    summary = summarise(problems)       # once: the answer and the stored report both show it
    if dry_run:
        return Published(True, reports, None, summary)
    records = [rec for report in reports.values() for rec in report.records]
    refuse_duplicates_across(records)
    with _meter(meters, len(records), "publishing", "licence") as meter:
        result = commit(repo, records, base=base, catalogue=catalogue, agency=agency,
                        progress=meter.update, problems=problems, summary=summary)
    # keys: every record committed (CommitResult counts created/updated/unchanged but does
    # not name them); repository: where, for receivers that look up more (web/cachepurge.py)
    licences_committed.send(sender, settings=settings, keys=[rec.key for rec in records],
                            repository=repo)
    return Published(False, reports, result, summary)


def accept_media_types(batch: Sequence[Upload]) -> None:
    """Refuse (415) a batch with an upload of a type no reader takes, before any body is read."""
    for upload in batch:
        if upload.media_type not in ACCEPTED_TYPES:
            raise UnsupportedMediaType(
                f"Content-Type {upload.media_type or '(none)'} is not accepted; send one of "
                f"{', '.join(ACCEPTED_TYPES)}.", accepted=list(ACCEPTED_TYPES))


def check(batch: Sequence[Upload], ctx: ValidationContext,
          meters: Meters | None = None) -> dict[str, Report]:
    """Each upload's report against the standard, by name (`licence-registry validate` and
    `publish`). Raises UnreadableUpload for a body that cannot be read at all."""
    reports = {}
    for upload in batch:
        data = upload.body() if callable(upload.body) else upload.body
        with _meter(meters, None, f"checking {PurePath(upload.name).name}", "row") as meter:
            try:
                reports[upload.name] = validate_upload(upload.media_type, data, ctx, ctx.base,
                                                       progress=meter.update)
            except InvalidCsv as exc:       # InvalidUploadFormat too: the readers' one error
                raise UnreadableUpload.of(upload.name, exc) from exc
    return reports


def check_related(repo: Repository, reports: dict[str, Report], base: str) -> None:
    """SPEC §13: each licence a record requires (`related_licences`) is in the batch or among
    the register's current licences. One lookup for the batch's targets; each missing one is a
    `related-licence-exists` violation of the row naming it, in that upload's report."""
    every = [rec for report in reports.values() for rec in report.records]
    targets = relatedlicences.missing_targets(every)
    if not targets:
        return
    graphs = {identifiers.licence_graph_iri(base, key): key for key in targets}
    existing = repo.existing_graphs(sorted(graphs))
    missing = {key for graph, key in graphs.items() if graph not in existing}
    if missing:
        for report in reports.values():
            report.problems.extend(relatedlicences.missing_problems(report.records, missing, base))


def refuse_violations(reports: dict[str, Report], catalogue: Catalogue, agency: str) -> None:
    """OutOfScope (403) when an issuer is outside the agency's scope, else InvalidUpload (422)
    for any violation; both with every problem (`problems`), their summary (`summary`, one line
    per rule and column) and a detail naming every kind of violation, out-of-scope rows among
    the rest: "12 problem(s) in 9 row(s): 3 × Issuer within the uploader's scope in issuer
    (issuer-scope; rows 2, 5, 9); 4 × …"."""
    violations = [(name, p) for name, report in reports.items() for p in report.violations]
    if not violations:
        return
    every = [p for report in reports.values() for p in report.problems]
    summaries = summarise(every)
    _, kinds = headline(summaries, len({(name, p.row) for name, p in violations}))
    problems = [p.as_json() for p in every]
    summary = [s.as_json() for s in summaries]
    if any(p.rule == "issuer-scope" for _, p in violations):
        raise OutOfScope(f"Agency {agency!r} may publish only for "
                         f"{', '.join(sorted(catalogue.scope_of(agency)))}; nothing was written. "
                         f"{kinds}", problems=problems, summary=summary)
    raise InvalidUpload(kinds, problems=problems, summary=summary)


def refuse_duplicates_across(records: Sequence[LicenceRecord]) -> None:
    """SPEC §4.10 across the uploads of one batch (within one, validation finds duplicates).
    Looked at only before a commit, as `load` always has: a dry run does not."""
    seen = set()
    for rec in records:
        if rec.key in seen:
            raise DuplicateAcrossUploads(
                f"Licence {rec.key.path} appears in more than one file.", problems=[],
                summary=[])
        seen.add(rec.key)


class _NoMeter:
    def update(self, n: int = 1) -> None:
        return None


def _meter(meters: Meters | None, total: int | None, doing: str,
           unit: str) -> AbstractContextManager[Meter]:
    return nullcontext(_NoMeter()) if meters is None else meters(total, doing, unit)
