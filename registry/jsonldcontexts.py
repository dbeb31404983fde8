"""JSON-LD contexts the register knows, and a pyld document loader that fetches nothing.

Contexts are bundled, never fetched (SPEC §11): a verifier that fetched `@context` URLs would
let the owner of any URL change what a signed credential means, and would make every check a
network call. The loader serves only:

- the W3C contexts pyld itself ships (`pyld.documentloader.frozen.BUNDLED_CONTEXTS`:
  `https://www.w3.org/ns/credentials/v2`, which also defines `DataIntegrityProof`, and the
  DID, security and VC 1.1 contexts) — served from pyld's vendored files, read once;
- the register's own context, vocab/context.jsonld, under `{BASE}/contexts/licence.jsonld`;
- the register's credential context, vocab/credential-context.jsonld, under
  `{BASE}/contexts/credentials/v1.jsonld` (`credential_context_url`): the register serves it
  there, so a verifier that knows only the W3C contexts can take it from the register itself;
- whatever the caller passes in `extra` (tests pass the W3C examples context of the vectors).

Every other URL raises `ContextRefused`, which pyld wraps; `refused_url` finds it again in the
exception chain so callers can name the URL in a clear error.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from registry.paths import CREDENTIAL_CONTEXT, JSONLD_CONTEXT

CONTEXT_ROUTE = "/contexts/licence.jsonld"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
# Versioned and never changed once published: a changed context would change what signed
# credentials say. It defines no term the credentials v2 context defines (registry/credential.py).
CREDENTIAL_CONTEXT_ROUTE = "/contexts/credentials/v1.jsonld"

DocumentLoader = Callable[..., dict]


class ContextRefused(Exception):
    """A JSON-LD context URL that is not bundled (nothing is ever fetched)."""

    def __init__(self, url: str):
        super().__init__(f"the JSON-LD context {url!r} is not bundled with the register and "
                         "contexts are never fetched")
        self.url = url


@lru_cache(maxsize=1)
def project_context() -> dict:
    """The value of `@context` in vocab/context.jsonld (what `/contexts/licence.jsonld` serves)."""
    return json.loads(JSONLD_CONTEXT.read_text(encoding="utf-8"))["@context"]


@lru_cache(maxsize=1)
def credential_context() -> dict:
    """The whole document vocab/credential-context.jsonld (served at CREDENTIAL_CONTEXT_ROUTE)."""
    return json.loads(CREDENTIAL_CONTEXT.read_text(encoding="utf-8"))


def context_url(base: str) -> str:
    """The URL the register serves its own context under."""
    return base + CONTEXT_ROUTE


def credential_context_url(base: str) -> str:
    """The URL the register serves its credential context under (credentials name it)."""
    return base + CREDENTIAL_CONTEXT_ROUTE


@cache
def _w3c_context(url: str) -> dict | None:
    from pyld.documentloader.frozen import BUNDLED_CONTEXTS

    path = BUNDLED_CONTEXTS.get(url)
    if path is None:
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def w3c_context_urls() -> frozenset[str]:
    """The W3C/W3ID context URLs pyld ships (and this loader serves)."""
    from pyld.documentloader.frozen import BUNDLED_CONTEXTS

    return frozenset(BUNDLED_CONTEXTS)


def document_loader(documents: Mapping[str, dict]) -> DocumentLoader:
    """A pyld document loader serving exactly `documents` (URL → whole JSON-LD document, with
    its `@context`), each as a fresh copy (pyld may change what it is given); every other URL
    raises `ContextRefused`."""
    def load(requested: str, options: Any = None) -> dict:
        document = documents.get(requested)
        if document is None:
            raise ContextRefused(requested)
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": requested, "document": copy.deepcopy(document)}
    return load


def bundled_loader(base: str | None = None,
                   extra: Mapping[str, dict] | None = None) -> DocumentLoader:
    """The loader for credentials: pyld's W3C contexts; when `base` is given, the register's
    credential context and its own context under that base; and `extra`; nothing else."""
    documents: dict[str, dict] = {}
    for url in w3c_context_urls():
        context = _w3c_context(url)
        if context is not None:
            documents[url] = context
    if base is not None:
        documents[credential_context_url(base)] = credential_context()
        documents[context_url(base)] = {"@context": project_context()}
    documents.update(extra or {})
    return document_loader(documents)


def pyld_options(loader: DocumentLoader, **more: Any) -> dict:
    """pyld options using `loader`, with a context resolver of its own: pyld's shared cache is
    global, and ours must only ever hold what our loader gave it."""
    from pyld.context_resolver import ContextResolver

    return {"documentLoader": loader, "contextResolver": ContextResolver({}, loader), **more}


def refused_url(exc: BaseException | None) -> str | None:
    """The URL of a `ContextRefused` somewhere in the chain of `exc` (pyld wraps loader errors),
    or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ContextRefused):
            return exc.url
        exc = exc.__cause__ or exc.__context__
    return None
