"""Stores the tests share (not a test module): a copy of an initialised store, and the resolver
tests' licences, so that a module whose tests only read can make them once (tests/conftest.py:
module_repo, module_licences)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ops.demo import demo_rows
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.store import Repository
from registry.store.embedded import EmbeddedRepository

ResolverLicences = tuple[dict[str, identifiers.LicenceKey], dict[str, dict[str, str]]]


def copy_of_store(template: Path, path: Path) -> EmbeddedRepository:
    """A store of its own at `path`, holding what the closed store at `template` holds (a copy
    and an open take a fifth of the time of a new store and init_store)."""
    shutil.copytree(template, path)
    return EmbeddedRepository(path)


def resolver_licences(repo: Repository, publish: Callable[..., Any]) -> ResolverLicences:
    """Publish, as `diw`, a public-document licence, a restricted one, a revoked one, one
    without a document, one with a Thai number, and two sharing a number: (keys by name, the
    rows of public, restricted, revoked and twin)."""
    catalogue = load_catalogue(repo)
    rows = list(demo_rows(catalogue, 400, agency="diw"))

    def pick(wanted):
        return next(r for r in rows if wanted(r))

    public = pick(lambda r: r["document_access"] == "public" and r["document_url"]
                  and r["status"] == "active" and "/" in r["licence_number"])
    restricted = pick(lambda r: r["document_access"] == "restricted")
    revoked = dict(pick(lambda r: r is not public and r is not restricted and r["document_url"]),
                   status="revoked", status_reason="ฝ่าฝืนเงื่อนไขใบอนุญาต")
    bare = dict(pick(lambda r: r not in (public, restricted)
                     and r["licence_number"] != revoked["licence_number"]),
                document_url="", document_sha256="", document_media_type="",
                document_access="", document_login_url="")
    thai_type = catalogue.types["factory-operation"]
    thai = dict(public, licence_type="factory-operation", licence_number="จ3-106-12/2560",
                issuer="diw")
    assert thai_type.pattern.fullmatch("จ3-106-12/2560")
    number = identifiers.canonical_number(public["licence_number"])
    twin_type = next(t.code for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                     if t.code != public["licence_type"] and public["issuer"] in t.authorities
                     and t.pattern.fullmatch(number))
    twin = dict(public, licence_type=twin_type)       # the same number on another licence type
    published = publish(repo, [public, restricted, revoked, bare, thai, twin], "diw")
    names = ["public", "restricted", "revoked", "bare", "thai", "twin"]
    keys = dict(zip(names, published.keys, strict=True))
    return keys, {"public": public, "restricted": restricted, "revoked": revoked, "twin": twin}
