"""What every negotiated document answer shares: the choice of format from the request, the
RDF serialisations, and the caching headers (used by the resolver and the open-data pages)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from flask import request
from werkzeug.wrappers import Response as BaseResponse

from registry.errors import BadRequest
from registry.namespaces import prefix_map
from web import conneg

_FORMATS = {conneg.TURTLE: ox.RdfFormat.TURTLE, conneg.JSONLD: ox.RdfFormat.JSON_LD,
            conneg.NTRIPLES: ox.RdfFormat.N_TRIPLES, conneg.RDFXML: ox.RdfFormat.RDF_XML}


def document_headers(response: BaseResponse, vary: bool = True) -> BaseResponse:
    """Vary on what negotiation read, and a minute's public caching unless already set."""
    if vary:
        response.headers["Vary"] = "Accept, Accept-Language"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def negotiate_request(offers) -> str | None:
    """The media type this request asks for among `offers` (None: 406); a `?format=` the
    register does not know is a 400."""
    try:
        return conneg.negotiate(request.headers.get("Accept"), offers, request.args.get("format"))
    except conneg.UnknownFormat as exc:
        raise BadRequest(str(exc)) from None


def serialise_triples(triples: Iterable[ox.Triple], media_type: str) -> bytes:
    """Triples in one of the RDF media types of conneg.RDF_TYPES (prefixes where they help)."""
    fmt = _FORMATS[media_type]
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=fmt,
                            prefixes=prefix_map()) or b""
    return ox.serialize(triples, format=fmt) or b""
