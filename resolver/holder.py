"""Juristic persons' pages (SPEC §10): `/id/juristic-person/{13 digits}` → 303 → `/doc/…`, in
HTML and every RDF format: the holder, its current licences with effective status and expiry,
its expiry feeds, and a QR code of its IRI (`/qr/juristic-person/…`).

Natural persons get no page (PDPA): their IDs are never stored, and every ID without a page — a
natural person's, a wrong check digit, a juristic person with no current licence — gets the same
404 (HolderNotFound), which never repeats the ID, so the answer tells nothing about anyone.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from registry import identifiers
from registry import recordterms as terms
from registry.errors import HolderNotFound
from resolver.holderqueries import holds_licences, juristic_id, load_holder
from resolver.pagedoc import PAGE_SIZE, Pager, moved, negotiated, see_other, wanted_type
from resolver.qr import qr_response
from web.page import page_context, preferred_language
from web.state import current_state
from web.state import today as registry_today

bp = Blueprint("holder", __name__, template_folder="templates")

KIND = "juristic-person"
NOT_FOUND = ("The register has no page for this ID: it publishes juristic persons that hold a "
             "current licence, and never natural persons.")


def _base() -> str:
    return current_state().settings.base_iri


def _canonical(kind: str, view: Callable[[str], ResponseReturnValue]
               ) -> Callable[[str], ResponseReturnValue]:
    """Call `view` with the canonical ID: 404 for anything that is not a juristic person's ID,
    301 from a variant form (Thai digits, dashes, spaces) to the canonical one."""
    def checked(raw: str) -> ResponseReturnValue:
        found = juristic_id(raw)
        if found is None:
            raise HolderNotFound(NOT_FOUND)
        holder_id, is_canonical = found
        if not is_canonical:
            return moved(f"/{kind}/{KIND}/{holder_id}")
        return view(holder_id)
    checked.__name__ = view.__name__
    return checked


def _identify(holder_id: str) -> ResponseReturnValue:
    if not holds_licences(current_state().repository, _base(), holder_id):
        raise HolderNotFound(NOT_FOUND)
    return see_other(identifiers.doc_path(KIND, holder_id))


def _describe(holder_id: str) -> ResponseReturnValue:
    repo, base = current_state().repository, _base()
    wanted = wanted_type()
    page = Pager.requested()
    holder = load_holder(repo, base, holder_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    if holder is None:
        raise HolderNotFound(NOT_FOUND)
    pager, licences = Pager(page, holder.total), holder.licences

    def triples() -> list[ox.Triple]:
        subject = ox.NamedNode(holder.iri)
        return [*holder.triples,
                *(ox.Triple(ox.NamedNode(held.iri), terms.SUBJECT, subject) for held in licences)]

    def html() -> str:
        lang = preferred_language()
        return render_template("holder.html", holder=holder, licences=licences, pager=pager,
                               today=registry_today(), kind=KIND,
                               **page_context(lang, "licence", "holder"))

    return negotiated(wanted, triples, html, pager)


def _qr(holder_id: str) -> ResponseReturnValue:
    base = _base()
    if not holds_licences(current_state().repository, base, holder_id):
        raise HolderNotFound(NOT_FOUND)
    return qr_response(identifiers.iri_to_uri(identifiers.juristic_person_iri(base, holder_id)))


bp.add_url_rule(f"/id/{KIND}/<raw>", "identify", _canonical("id", _identify))
bp.add_url_rule(f"/doc/{KIND}/<raw>", "describe", _canonical("doc", _describe))
bp.add_url_rule(f"/qr/{KIND}/<raw>", "qr", _canonical("qr", _qr))
