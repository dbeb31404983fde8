"""Putting demo licences into a store (for `serve --demo` and the tests).

`serve --demo` loads them only into a store that holds no licence at all: demo rows share keys
with real ones (same issuers, types and number patterns), so loading them over an agency's
upload would rewrite its records. Having loaded them, it makes the signing key file when it is
absent (outside the store, as `init` does), so the demo's credential routes can sign; a used
store was initialised by `init`, which made its key file.
"""

from __future__ import annotations

from collections import defaultdict

from ops.demo import demo_rows
from ops.keyfiles import ensure_keys
from publishing.pipeline import commit
from registry.bootstrap import init_store, is_initialised, load_catalogue
from registry.namespaces import sparql_prefixes
from registry.settings import Settings
from registry.signingkeys import SigningKeyError
from registry.store import Repository
from registry.validation import ValidationContext, check_batch

# Any licence, under any base and in any graph (old versions included): one index lookup.
_ANY_LICENCE = sparql_prefixes("schema") + """
ASK { GRAPH ?g { ?licence a schema:GovernmentPermit } }"""
_LICENCES = sparql_prefixes("schema") + """
SELECT (COUNT(DISTINCT ?licence) AS ?n) WHERE { GRAPH ?g { ?licence a schema:GovernmentPermit } }"""


def load_demo(repo: Repository, base: str, count: int) -> int:
    """Initialise if needed and publish `count` demo licences, each issuer uploading its own.
    Writes over whatever licences share their keys: for stores the caller made for the
    purpose; `serve --demo` goes through `load_demo_into`, which leaves a used store alone."""
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


def load_demo_into(settings: Settings, count: int) -> None:
    """`serve --demo`: open the settings' store and, when it holds no licence, load demo
    licences; else say so in one line and change nothing. Closes the store (own process)."""
    from registry.baseiri import where as store_named
    from registry.store.opening import open_repository

    where = store_named(settings)
    repo = open_repository(settings, create=True)
    try:
        if repo.ask(_ANY_LICENCE):
            counted = repo.one(_LICENCES)          # a COUNT always gives its one row
            held = int(counted["n"].value) if counted else 0
            print(f"Demo data not loaded: the store ({where}) already holds {held} "
                  f"licence{'' if held == 1 else 's'}; serving them as they are.", flush=True)
            return
        loaded = load_demo(repo, settings.base_iri, count)
    finally:
        repo.close()
    print(f"Demo data: {loaded} licences loaded into the empty store ({where}).", flush=True)
    print(ensure_signing_keys(settings), flush=True)


def ensure_signing_keys(settings: Settings) -> str:
    """Make the settings' signing key file if it is absent (what `init` does); one line saying
    what was done. A file that cannot be read or made does not stop the demo: the credential
    routes then answer 503 naming what the operator runs, and the line says why."""
    try:
        return "\n".join(ensure_keys(settings))
    except (SigningKeyError, OSError) as exc:
        return f"Credentials or log checkpoints will not be signed: {exc}"
