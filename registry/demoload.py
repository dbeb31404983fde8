"""Putting demo licences into a store (for `serve --demo` and the tests)."""

from __future__ import annotations

from collections import defaultdict

from .bootstrap import init_store, is_initialised, load_catalogue
from .demo import demo_rows
from .pipeline import commit
from .store import Repository
from .validation import ValidationContext, check_batch


def load_demo(repo: Repository, base: str, count: int) -> int:
    """Initialise if needed and publish `count` demo licences, each issuer uploading its own."""
    if not is_initialised(repo, base):
        init_store(repo, base)
    catalogue = load_catalogue(repo)
    by_issuer: dict[str, list] = defaultdict(list)
    for number, row in enumerate(demo_rows(catalogue, count), start=2):
        by_issuer[row["issuer"]].append((number, row))
    total = 0
    for issuer, rows in sorted(by_issuer.items()):
        records, problems = check_batch(rows, ValidationContext.for_agency(catalogue, issuer))
        violations = [p for p in problems if p.severity != "Warning"]
        if violations:
            raise AssertionError(f"demo data broke the standard: {violations[:3]}")
        commit(repo, records, base=base, catalogue=catalogue, agency=issuer)
        total += len(records)
    return total


def load_demo_into(settings: dict, count: int) -> None:
    """`serve --demo`: open the settings' store, load demo licences, close (own process)."""
    from .store import open_repository

    repo = open_repository(settings, create=True)
    try:
        loaded = load_demo(repo, settings["BASE_IRI"], count)
    finally:
        repo.close()
    print(f"Demo data: {loaded} licences in the store.", flush=True)
