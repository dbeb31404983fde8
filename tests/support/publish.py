"""Publishing licence rows in a test the way an agency publishes them (not a test module): the
rows as one CSV upload through the one publish service (publishing/service.py) that the upload
API, the upload page and `licence-registry load` call. The `publish` fixture (tests/conftest.py)
hands out `Publisher(...)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ops.demo import rows_to_csv
from publishing.pipeline import CommitResult
from publishing.service import Upload, publish
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.errors import RegistryError
from registry.problems import Problem
from registry.records import LicenceRecord
from registry.settings import Settings, load_settings
from registry.store import Repository

from .stores import BASE


@dataclass(frozen=True)
class PublishedRows:
    """The records a batch of rows became (in row order), its warnings, the commit's counts."""

    records: list[LicenceRecord]
    problems: list[Problem]
    result: CommitResult

    @property
    def keys(self) -> list[identifiers.LicenceKey]:
        return [record.key for record in self.records]


@dataclass(frozen=True)
class Publisher:
    """`publish(repo, rows, agency="diw")`: publish `rows` as `agency` into `repo` (which holds
    its catalogue), as `licence-registry load` over that store would. Every row must pass: a
    refusal fails the test with the problems, and nothing is written.

    After the commit the service tells the dumps (registry.events), as for a `load`: the dumps
    of the store (STORE/dumps; for a remote store, a folder under `scratch`) are marked stale,
    so an app over the same store regenerates them at its next look."""

    scratch: Path

    def __call__(self, repo: Repository, rows: Iterable[dict[str, str]], agency: str = "diw"
                 ) -> PublishedRows:
        rows = list(rows)
        upload = Upload("text/csv", rows_to_csv(rows).encode())
        try:
            published = publish(repo, base=BASE, catalogue=lambda: load_catalogue(repo),
                                agency=agency, uploads=upload, sender=None,
                                settings=self.settings_of(repo))
        except RegistryError as refused:        # 403, 415 or 422: the rows do not all pass
            raise AssertionError(f"{refused.detail} {refused.extra.get('problems')}") from None
        report = published.reports[""]
        assert published.result is not None and len(report.records) == len(rows)
        return PublishedRows(report.records, report.problems, published.result)

    def settings_of(self, repo: Repository) -> Settings:
        """The settings of a `licence-registry load` over `repo`."""
        store = getattr(repo, "path", None) or self.scratch      # a remote store has no folder
        return load_settings({"STORE": str(store), "BASE_IRI": BASE}, environ={})


def dumps_made(app) -> None:
    """Wait for the dumps a commit through the app started (a spawned child reading the store),
    so the store is not removed under it at teardown (its traceback would land in other
    tests' output)."""
    from opendata.dumpschedule import DumpsState
    from web.state import state_of

    process = state_of(app).part(DumpsState).process
    if process is not None:
        process.join(60)
