"""Purging nginx's cache of /doc/licence/… and /id/licence/… after each commit (issue 17).

nginx keeps those pages for the 60 s the register allows (docs/deployment.md, "nginx: caching
/doc/ and /id/ by ETag"), under the cache key `$uri|$args|$http_accept|$http_accept_language`.
After a commit this module sends, to every listener in CACHE_PURGE_URLS,

    PURGE {listener}/purge/doc/licence/{issuer}/{type}/{number}|
    PURGE {listener}/purge/id/licence/{issuer}/{type}/{number}|

and the listener (ngx_cache_purge ≥ 2.3: `proxy_cache_purge clc "$1*"`) drops every key that
starts with `/doc/licence/…|`: each query string, `Accept` and `Accept-Language`. nginx matches
the purge location against its DECODED `$uri`, as it made the cache key from the decoded `$uri`
of the page request, so the path is sent percent-encoded as UTF-8 (Thai letters, spaces, `|`)
and nginx decodes it to exactly the bytes of the stored key. `/` stays as it is: the numbers'
slashes are path separators in the page's `$uri` too.

What is purged: the committed licences, and the licences whose page shows one of them (SPEC §13:
the licences a committed one requires, in any of its versions, and the current licences that
require it), when the signal says which repository was committed to. More than
PREFIX_THRESHOLD licences in one commit: one purge per issuer prefix (`…/licence/{issuer}/`)
instead, without the related licences. A listener that fails is logged (warning) and never fails
the upload; without a purge, the 60 s bound and the ETag still hold.

The purges run in a background thread. An answer to an upload waits for it up to PURGE_WAIT
seconds, so in the usual case the agency's next look already misses the cache; a listener that
refuses costs nothing, one that hangs costs at most PURGE_WAIT. Commits from `licence-registry
load` (sender None) purge before the command ends, with the same short timeouts.
"""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.events import licences_committed
from registry.namespaces import sparql_prefixes
from registry.settings import Settings
from registry.store import Repository, StoreError

log = logging.getLogger(__name__)

# Where the purge listener's location starts, and the two cached kinds of licence path.
PURGE_KINDS = ("/purge/doc/licence/", "/purge/id/licence/")
# More licences than this in one commit: purge per issuer prefix, not per licence.
PREFIX_THRESHOLD = 1000
CONNECT_TIMEOUT = 1.0           # seconds, per listener connection
READ_TIMEOUT = 2.0              # seconds, per purge answer
PURGE_WAIT = 1.0                # seconds an upload's answer waits for its purges

# The licences whose pages show a committed licence: those it requires (in any of its
# versions, so that a dropped requirement is purged too) and the current records that require it.
_SHOWN_WITH = sparql_prefixes("adms", "dct") + f"""
SELECT DISTINCT ?other WHERE {{ #VALUES_G#
  GRAPH ?g {{ ?l adms:status ?status }}
  {{ GRAPH ?any {{ ?l dct:requires ?other }} }}
  UNION
  {{ GRAPH ?h {{ ?other dct:requires ?l }}
    FILTER NOT EXISTS {{ GRAPH ?h {{ ?other {terms.SUPERSEDED_BY_VERSION} ?next }} }} }}
}}"""


def listeners_of(settings: Settings) -> list[str]:
    """The purge listeners' base URLs (CACHE_PURGE_URLS), without a trailing slash."""
    return [url.rstrip("/") for url in settings.cache_purge_urls.split()]


def purge_paths(keys: Iterable[identifiers.LicenceKey]) -> list[str]:
    """The request paths (percent-encoded) that drop every cached variant of `keys`' /doc/ and
    /id/ pages: per licence (`…/{path}|`: the `|` ends the $uri part of the key, so
    …/12/2567 does not purge …/12/25678), or per issuer (`…/{issuer}/`) past the threshold."""
    unique = sorted(set(keys), key=lambda k: k.path)
    if len(unique) > PREFIX_THRESHOLD:
        tails = sorted({f"{key.issuer}/" for key in unique})
    else:
        tails = [f"{key.path}|" for key in unique]
    return [quote(kind + tail, safe="/") for tail in tails for kind in PURGE_KINDS]


def shown_with(repo: Repository, base: str,
               keys: Sequence[identifiers.LicenceKey]) -> set[identifiers.LicenceKey]:
    """The licences whose pages show one of `keys` (SPEC §13 related licences)."""
    graphs = sorted({identifiers.licence_graph_iri(base, key) for key in keys})
    found = set()
    for row in repo.select_graphs(_SHOWN_WITH, graphs):
        other = row["other"]
        if not isinstance(other, ox.NamedNode):
            continue
        try:
            found.add(identifiers.parse_licence_iri(base, other.value))
        except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError):
            continue            # a reference outside the register: no page of ours
    return found


def send_purges(listener: str, paths: Sequence[str]) -> int:
    """PURGE each of `paths` at `listener` over one connection; how many were answered 200
    (purged) or 404 (nothing cached). Raises OSError or http.client.HTTPException when the
    listener cannot be reached or answers something else."""
    parts = urlsplit(listener)
    connection_type = (http.client.HTTPSConnection if parts.scheme == "https"
                       else http.client.HTTPConnection)
    connection = connection_type(parts.netloc, timeout=CONNECT_TIMEOUT)
    done = 0
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(READ_TIMEOUT)
        for path in paths:
            connection.request("PURGE", parts.path + path)
            answer = connection.getresponse()
            answer.read()
            if answer.status not in (200, 404):
                raise http.client.HTTPException(f"PURGE {path} answered {answer.status}")
            done += 1
    finally:
        connection.close()
    return done


def purge(listeners: Sequence[str], keys: Sequence[identifiers.LicenceKey],
          repo: Repository | None = None, base: str = "") -> None:
    """Purge `keys` (and, given the repository, the licences shown with them) at every
    listener. Never raises for a listener or store failure: each is logged."""
    wanted = set(keys)
    if repo is not None and len(wanted) <= PREFIX_THRESHOLD:
        try:
            wanted |= shown_with(repo, base, sorted(wanted, key=lambda k: k.path))
        except StoreError as exc:       # the committed licences are still purged
            log.warning("Related licences not purged from the cache: %s", exc)
    paths = purge_paths(wanted)
    for listener in listeners:
        try:
            send_purges(listener, paths)
        except (OSError, http.client.HTTPException) as exc:
            log.warning("Cache purge at %s failed (pages stay cached up to 60 s): %s",
                        listener, exc)


def after_commit(sender: object, settings: Settings | None = None,
               keys: Sequence[identifiers.LicenceKey] | None = None,
               repository: Repository | None = None, **_: object) -> None:
    """The receiver of `licences_committed`: purge `keys` (in the background for an app's
    commit, at once for the CLI's)."""
    if settings is None or not keys or not settings.cache_purge_urls:
        return
    args = (listeners_of(settings), list(keys), repository, settings.base_iri)
    if sender is None:          # `licence-registry load`: the process ends right after
        purge(*args)
        return
    worker = threading.Thread(target=purge, args=args, daemon=True, name="cache-purge")
    worker.start()
    worker.join(PURGE_WAIT)


def follow_commits() -> None:
    """Purge after every commit of this process (idempotent: blinker keeps one receiver)."""
    licences_committed.connect(after_commit)
