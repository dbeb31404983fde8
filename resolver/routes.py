"""Dereferencing licence IRIs (SPEC §6): /id/ → 303, /doc/ negotiated, /file/, /qr/, /resolve,
and the route of /verify (its views: resolver/verify.py).

Redirect targets come only from stored records and must be https (SPEC §6): the resolver can
never be made to send anyone elsewhere, whatever the path or query says.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from registry import identifiers
from registry.credentialissue import MEDIA_TYPE
from registry.errors import BadRequest, LicenceNotFound, NoDocument, NotAcceptable
from registry.settings import Settings
from registry.store import Repository
from registry.validation import is_https_url
from resolver import changes
from resolver import verify as verify_view
from resolver.licence import LicenceView, load_licence, views_for_history
from resolver.lookup import close_matches, licences_by_number
from resolver.lookup import document_type as lookup_document_type
from resolver.related import related_of
from web import conneg
from web.conditional import client_has, conditional
from web.page import page_context, preferred_language
from web.queryparams import int_param
from web.rdfresponse import document_headers, negotiate_request, serialise_triples
from web.state import current_state
from web.state import today as registry_today

bp = Blueprint("resolver", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/resolver")

MAX_VERSION = 1_000_000          # ?version=N beyond this is refused, not looked up
# A licence's signed credential (resolver/credentials.py): `application/vc` (VC 2.0), and the
# name VC 1.1 clients still ask for.
CREDENTIAL_TYPES = (MEDIA_TYPE, "application/vc+ld+json")
RDF_FORMATS = {
    conneg.TURTLE: "ttl", conneg.JSONLD: "jsonld", conneg.NTRIPLES: "nt", conneg.RDFXML: "rdf",
}


def _settings() -> Settings:
    return current_state().settings


def _repo() -> Repository:
    return current_state().repository


def _key_or_404(rest: str) -> identifiers.LicenceKey:
    try:
        return identifiers.parse_licence_path(rest)
    except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError) as exc:
        detail = exc.en if isinstance(exc, identifiers.InvalidNumber) else str(exc)
        raise LicenceNotFound(f"{rest[:200]!r} is not a licence identifier: {detail}") from None


def _canonical_redirect(kind: str, key: identifiers.LicenceKey, rest: str
                        ) -> BaseResponse | None:
    """301 to the canonical form when the path was a variant (Thai digits, dashes, case…)."""
    if rest == key.path:
        return None
    target = identifiers.iri_to_uri(f"/{kind}/licence/{key.path}")
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return document_headers(redirect(target, 301), vary=False)


def licence_path(kind: str):
    """The views of /{kind}/licence/<path>: each is called with the path parsed into a licence
    key (404 if it is none), and only once the path is canonical (else the 301 to it)."""
    def decorate(view: Callable[[identifiers.LicenceKey, str], ResponseReturnValue]):
        @functools.wraps(view)          # the endpoint keeps the view's name
        def parsed(rest: str) -> ResponseReturnValue:
            key = _key_or_404(rest)
            if (moved := _canonical_redirect(kind, key, rest)) is not None:
                return moved
            return view(key, rest)
        return parsed
    return decorate


def _safe_target(url: str) -> str | None:
    """A stored document URL we may redirect to: https (or an allowed test origin) only."""
    allowed = _settings().redirect_allow
    if is_https_url(url):
        return url
    if allowed and any(url.startswith(prefix) for prefix in allowed.split()):
        return url
    return None


def _not_found(key: identifiers.LicenceKey | None, rest: str, wanted: str | None):
    suggestions = close_matches(_repo(), _settings().base_iri, key) if key else []
    lang = preferred_language()
    if wanted == conneg.HTML or wanted is None:
        body = render_template("not_found.html", rest=rest, suggestions=suggestions,
                               **page_context(lang))
        return document_headers(make_response(body, 404))
    raise LicenceNotFound(f"No licence {rest[:200]!r} in the register.",
                          suggestions=[s["iri"] for s in suggestions])


@bp.get("/id/licence/<path:rest>")
@licence_path("id")
def identify(key: identifiers.LicenceKey, rest: str):
    document_type = lookup_document_type(_repo(), _settings().base_iri, key)
    offers: tuple[str, ...] = (*conneg.DOCUMENT_TYPES, *CREDENTIAL_TYPES)
    offers = (*offers, document_type) if document_type else offers
    wanted = negotiate_request(offers)
    if document_type is None:
        return _not_found(key, rest, wanted)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(offers)}.")
    if wanted in CREDENTIAL_TYPES:         # the licence as a signed credential (SPEC §11)
        return document_headers(redirect(credential_location(key, request.query_string), 303))
    if document_type and wanted == document_type:
        licence = load_licence(_repo(), _settings().base_iri, key)
        target = _safe_target(licence.document.target) if licence and licence.document else None
        if target:
            return document_headers(redirect(target, 303))
    return document_headers(redirect(doc_location(key, request.query_string), 303))


def credential_location(key: identifiers.LicenceKey, query_string: bytes) -> str:
    """Where /id/ sends a client asking for a credential: /credential/ (query kept)."""
    target = identifiers.iri_to_uri(f"/credential/licence/{key.path}")
    return target + "?" + query_string.decode("latin-1") if query_string else target


def doc_location(key: identifiers.LicenceKey, query_string: bytes) -> str:
    """Where /id/ sends everyone who does not ask for the file: /doc/ (query kept)."""
    target = identifiers.iri_to_uri(identifiers.doc_path("licence", key.path))
    return target + "?" + query_string.decode("latin-1") if query_string else target


def _version_args() -> tuple[int | None, dt.date | None]:
    version = int_param("version", default=None, minimum=1, maximum=MAX_VERSION)
    at = request.args.get("at")
    try:
        return version, dt.date.fromisoformat(at) if at else None
    except ValueError:
        raise BadRequest("at is a date YYYY-MM-DD.", parameter="at") from None


@bp.get("/doc/licence/<path:rest>")
@licence_path("doc")
def describe(key: identifiers.LicenceKey, rest: str):
    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    version, on = _version_args()
    licence = load_licence(_repo(), _settings().base_iri, key, version=version, on=on)
    if licence is None:
        return _not_found(key, rest, wanted)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(conneg.DOCUMENT_TYPES)}.")
    lang = preferred_language()
    # Whatever the page shows goes into the tag, link checks included (they change mid-day).
    # The newest version too: an old version's page lists the history, which grows.
    today = registry_today()
    newest = licence.history[-1].number if licence.history else licence.version
    # Related licences change status on their own: what the page shows of them goes in the tag.
    related = (related_of(_repo(), _settings().base_iri, licence.iri, licence.requires, today)
               if wanted == conneg.HTML else None)
    # The log index too: `log init` gives an older store's versions theirs without a new version.
    etag = hashlib.sha256(f"{licence.iri}|{licence.version}|{licence.modified}|{wanted}|{lang}|"
                          f"{today}|{on}|{newest}|{licence.document_last_checked}|"
                          f"{licence.log_index}|{related and related.fingerprint}".encode()
                          ).hexdigest()[:32]
    if client_has(etag):
        response = Response()                          # conditional() makes it the 304
    elif wanted == conneg.HTML:
        read = views_for_history(_repo(), licence, changes.numbers_to_read(licence.history))
        response = make_response(render_template(
            "licence.html", licence=licence, today=today, related=related,
            status_day=changes.banner_day(licence.history, licence.version, today, on),
            history=changes.history(licence.history, read, today),
            **page_context(lang, "licence", "history", "credential", "publiclog")))
    else:
        response = Response(_serialise(licence, wanted), mimetype=wanted)
    return conditional(document_headers(response), etag)


def _serialise(licence: LicenceView, media_type: str) -> bytes:
    return serialise_triples(licence.triples, media_type)


@bp.get("/file/licence/<path:rest>")
@licence_path("file")
def file(key: identifiers.LicenceKey, rest: str):
    licence = load_licence(_repo(), _settings().base_iri, key)
    if licence is None:
        return _not_found(key, rest, negotiate_request(conneg.DOCUMENT_TYPES))
    target = _safe_target(licence.document.target) if licence.document else None
    if not target:
        raise NoDocument(
            f"Licence {key.path} is in the register, but its agency has not published a file "
            f"for it. Its record: /doc/licence/{key.path}")
    return document_headers(redirect(target, 303), vary=False)


@bp.get("/qr/licence/<path:rest>")
@licence_path("qr")
def qr(key: identifiers.LicenceKey, rest: str):
    from resolver.qr import qr_response

    if lookup_document_type(_repo(), _settings().base_iri, key) is None:     # exists?
        raise LicenceNotFound(f"No licence {key.path} in the register.")
    return qr_response(identifiers.iri_to_uri(identifiers.licence_iri(_settings().base_iri, key)))


@bp.get("/resolve")
def resolve():
    number = request.args.get("number", "")
    try:
        canonical = identifiers.canonical_number(number)
    except identifiers.InvalidNumber as exc:
        raise BadRequest(exc.en, message={"th": exc.th, "en": exc.en}) from None
    found = licences_by_number(_repo(), _settings().base_iri, canonical)
    if not found:
        raise LicenceNotFound(f"No licence numbered {canonical!r} in the register.")
    if len(found) == 1:
        return document_headers(redirect(identifiers.iri_to_uri(found[0]["iri"]), 303), vary=False)
    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    if wanted == conneg.HTML:
        response = make_response(render_template(
            "choices.html", number=canonical, choices=found,
            **page_context(preferred_language())), 300)
    else:
        from flask import jsonify
        response = jsonify({"number": canonical, "candidates": found})
        response.status_code = 300
    return document_headers(response)


# The page and API of /verify live in resolver/verify.py; the endpoint stays `resolver.verify`.
bp.add_url_rule("/verify", view_func=verify_view.verify, methods=["GET", "POST"])
