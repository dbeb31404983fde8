"""A licence as the resolver shows it: read from its graph (current or a past version).

One place turns the stored triples (docs/data-model.md) back into what a page, a redirect or a
verification answer needs, so views never read the store or the triples themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry import identifiers
from registry.history import Version, version_at, versions
from registry.linkchecks import LinkCheck, link_check_of
from registry.provinces import find_province
from registry.status import effective_status
from registry.store import Repository

_SCHEMA = "https://schema.org/"
_DCT = "http://purl.org/dc/terms/"
_CLC = "https://w3id.org/clc/def#"


@dataclass
class Document:
    url: str = ""
    media_type: str = ""
    sha256: str = ""
    access: str = "public"
    login_url: str = ""

    @property
    def target(self) -> str:
        """Where a client asking for the file is sent: the file, or the agency's login page."""
        return self.login_url if self.access == "restricted" and self.login_url else self.url


@dataclass
class LicenceView:
    iri: str
    key: identifiers.LicenceKey
    printed_number: str = ""
    status: str = "active"                # as stored
    status_reason: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    holder_type: str = ""                 # juristic | natural
    holder_id: str = ""                   # juristic persons only
    holder_names: dict[str, str] = field(default_factory=dict)     # language → name
    premises: str = ""
    province: str = ""
    conditions: str = ""
    requires: list[str] = field(default_factory=list)     # IRIs of licences it requires
    document: Document | None = None
    version: int = 1
    modified: str = ""
    # Its entry in the public Merkle log (clc:logIndex); None in a store from before `log init`.
    log_index: int | None = None
    history: list[Version] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list, repr=False)
    # The last link check of the document (`check-links`): read with one query, only when a
    # page asks, so redirects (/id/, /file/) cost no extra query.
    link_check_loader: Callable[[], LinkCheck] | None = field(default=None, repr=False,
                                                              compare=False)
    _link_check: LinkCheck | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def link_check(self) -> LinkCheck:
        if self._link_check is None:
            self._link_check = self.link_check_loader() if self.link_check_loader else LinkCheck()
        return self._link_check

    @property
    def document_last_reachable(self) -> dt.datetime | None:
        return self.link_check.reachable

    @property
    def document_last_checked(self) -> dt.datetime | None:
        return self.link_check.checked

    @property
    def document_link_status(self) -> str:
        return self.link_check.status

    def province_in(self, lang: str) -> str:
        """The province as the page's language names it: the stored official Thai name, with
        its English name after it on English pages (the address before it stays Thai, as the
        agency wrote it). Anything but an official name exactly (stored before provinces were
        checked, or holding a hidden character the page must flag) is shown as stored."""
        found = find_province(self.province) if lang == "en" and self.province else None
        if found is None or found.name_th != self.province:
            return self.province
        return f"{found.name_th} ({found.name_en})"

    def effective_status(self, today: dt.date) -> str:
        return effective_status(self.status, self.valid_until, today)

    @property
    def is_current(self) -> bool:
        return not self.history or self.version == self.history[-1].number


# What a licence graph's triples can have as object: it holds no quoted (RDF-star) triples.
_Object = ox.NamedNode | ox.BlankNode | ox.Literal


def _date(literal: _Object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(literal.value)
    except ValueError:
        return None


def view_from_triples(iri: str, key: identifiers.LicenceKey, triples: list[ox.Triple]
                      ) -> LicenceView:
    view = LicenceView(iri=iri, key=key, triples=triples)
    by_subject: dict[str, list[ox.Triple]] = {}
    for t in triples:
        if isinstance(t.subject, ox.Triple):
            continue   # a quoted triple as subject: never written to a licence graph
        by_subject.setdefault(t.subject.value, []).append(t)
    for t in by_subject.get(iri, []):
        p, o = t.predicate.value, t.object
        if isinstance(o, ox.Triple):
            continue   # likewise as object
        if p == _SCHEMA + "validFrom":
            view.valid_from = _date(o)
        elif p == _SCHEMA + "validUntil":
            view.valid_until = _date(o)
        elif p == "http://www.w3.org/ns/adms#status":
            view.status = o.value.rsplit("/", 1)[-1]
        elif p == _CLC + "statusReason":
            view.status_reason = o.value
        elif p == _CLC + "conditions":
            view.conditions = o.value
        elif p == _DCT + "requires":
            view.requires.append(o.value)
        elif p == _CLC + "version":
            view.version = int(o.value)
        elif p == _CLC + "logIndex":
            view.log_index = int(o.value)
        elif p == _DCT + "modified":
            view.modified = o.value
        elif p == _DCT + "subject":
            _holder(view, o.value, by_subject.get(o.value, []))
        elif p == "http://www.w3.org/ns/locn#address":
            for a in by_subject.get(o.value, []):
                if isinstance(a.object, ox.Triple):
                    continue
                if a.predicate.value.endswith("#fullAddress"):
                    view.premises = a.object.value
                elif a.predicate.value.endswith("#adminUnitL1"):
                    view.province = a.object.value
        elif p == _CLC + "document":
            view.document = _document(by_subject.get(o.value, []), by_subject)
    for t in by_subject.get(identifiers.licence_part_iri(iri, "identifier"), []):
        if t.predicate.value.endswith("#notation") and not isinstance(t.object, ox.Triple):
            view.printed_number = t.object.value
    return view


def _holder(view: LicenceView, holder: str, triples: list[ox.Triple]) -> None:
    view.holder_type = "natural" if holder.endswith("#holder") else "juristic"
    for t in triples:
        o = t.object
        if isinstance(o, ox.Triple):
            continue
        if t.predicate.value in ("http://www.w3.org/ns/legal#legalName",
                                 "http://xmlns.com/foaf/0.1/name"):
            language = o.language if isinstance(o, ox.Literal) else None
            view.holder_names[language or "th"] = o.value
        elif t.predicate.value == _DCT + "identifier" and view.holder_type == "juristic":
            view.holder_id = o.value


def _document(triples: list[ox.Triple], by_subject: dict[str, list[ox.Triple]]) -> Document:
    document = Document()
    for t in triples:
        p, o = t.predicate.value, t.object
        if isinstance(o, ox.Triple):
            continue
        if p == _SCHEMA + "url":
            document.url = o.value
        elif p == _DCT + "format":
            document.media_type = o.value
        elif p == _DCT + "accessRights":
            document.access = o.value.rsplit("/", 1)[-1]
        elif p == _CLC + "loginPage":
            document.login_url = o.value
        elif p == "http://spdx.org/rdf/terms#checksum":
            for c in by_subject.get(o.value, []):
                if c.predicate.value.endswith("#checksumValue") and not isinstance(
                        c.object, ox.Triple):
                    document.sha256 = c.object.value
    return document


def load_licence(repo: Repository, base: str, key: identifiers.LicenceKey, *,
                 version: int | None = None, on: dt.date | None = None) -> LicenceView | None:
    """The licence as it is now, or at a version, or as the register held it on a date.

    None when the register has no such licence (or not at that version or date).
    """
    iri = identifiers.licence_iri(base, key)
    history = versions(repo, base, key)
    chosen = version_at(history, number=version, on=on)
    if chosen is None:
        return None
    view = view_from_triples(iri, key, repo.graph_triples(chosen.graph))
    view.history = history
    if view.document is not None and view.is_current:
        view.link_check_loader = lambda: link_check_of(repo, base, key)
    return view


def views_for_history(repo: Repository, licence: LicenceView, numbers: list[int]
                      ) -> dict[int, LicenceView]:
    """The records of the licence's versions `numbers` (resolver/changes.py `numbers_to_read`),
    one graph read each; the version already loaded is not read again."""
    wanted = set(numbers)
    views = {licence.version: licence} if licence.version in wanted else {}
    for version in licence.history:
        if version.number in wanted and version.number not in views:
            views[version.number] = view_from_triples(licence.iri, licence.key,
                                                      repo.graph_triples(version.graph))
    return views
