"""Content negotiation for licence IRIs and documents (SPEC §6), as pure functions.

Accept headers are parsed by Werkzeug (q-values, wildcards, specificity); this module decides
what the register offers and how `?format=` overrides the header.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

HTML = "text/html"
JSON = "application/json"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"

# What /doc/… serves, in order of preference when the client likes several equally.
DOCUMENT_TYPES = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
RDF_TYPES = DOCUMENT_TYPES[1:]

FORMATS = {"html": HTML, "ttl": TURTLE, "jsonld": JSONLD, "nt": NTRIPLES, "rdf": RDFXML}
# Names clients use for the same thing.
ALIASES = {"application/xhtml+xml": HTML, "application/x-turtle": TURTLE,
           "application/json": JSONLD, "text/plain": NTRIPLES, "application/xml": RDFXML,
           "text/xml": RDFXML}


class UnknownFormat(ValueError):
    """`?format=` named something the register does not serve."""


def _with_aliases(accept: MIMEAccept, aliases: Mapping[str, str]) -> MIMEAccept:
    values = list(accept)
    values += [(aliases[v], q) for v, q in accept if v in aliases]
    return MIMEAccept(values)


def negotiate(accept_header: str | None, offers: tuple[str, ...] | list[str],
              format_param: str | None = None, *, formats: Mapping[str, str] = FORMATS,
              aliases: Mapping[str, str] = ALIASES) -> str | None:
    """The media type to answer with, or None when nothing offered is acceptable (406).

    `?format=` wins over the header. No Accept header means anything (the first offer).
    Raises UnknownFormat for a `?format=` value that is not in FORMATS.
    """
    if format_param:
        wanted = formats.get(format_param.lower())
        if wanted is None:
            raise UnknownFormat(f"format={format_param!r}; use one of {', '.join(formats)}")
        return wanted if wanted in offers else None
    if not accept_header or not accept_header.strip():
        return offers[0]
    accept = _with_aliases(parse_accept_header(accept_header, MIMEAccept), aliases)
    return accept.best_match(offers)


def prefers_html(accept_header: str | None) -> bool:
    """True when the client ranks an HTML page above JSON: a browser, as far as answers that
    exist in both (errors) are concerned. Decided on the parsed header — q-values, wildcards and
    specificity — as `negotiate` decides: no header, `*/*`, a tie, JSON or only other types
    (RDF, CSV…) is not a browser; XHTML counts as HTML."""
    if not accept_header or not accept_header.strip():
        return False
    return negotiate(accept_header, (JSON, HTML), aliases={"application/xhtml+xml": HTML}) == HTML
