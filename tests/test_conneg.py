"""Content negotiation, table-driven (browser-style headers, q-values, wildcards, ?format=)."""

from __future__ import annotations

import pytest

from web.conneg import (
    DOCUMENT_TYPES,
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    UnknownFormat,
    negotiate,
)

CHROME = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
          "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SAFARI = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CURL = "*/*"
RDFLIB = ("application/rdf+xml, text/n3, text/turtle, application/n-triples, "
          "application/ld+json;q=0.9")


@pytest.mark.parametrize("accept, fmt, expected", [
    (None, None, HTML),
    ("", None, HTML),
    (CHROME, None, HTML),
    (FIREFOX, None, HTML),
    (SAFARI, None, HTML),
    (CURL, None, HTML),
    ("text/turtle", None, TURTLE),
    ("application/ld+json", None, JSONLD),
    ("application/json", None, JSONLD),
    ("application/n-triples", None, NTRIPLES),
    ("application/rdf+xml", None, RDFXML),
    ("application/xml", None, RDFXML),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", None, JSONLD),
    ("text/html;q=0.1, text/turtle", None, TURTLE),
    ("text/*", None, HTML),
    ("text/*;q=0.9, text/turtle", None, TURTLE),
    (RDFLIB, None, TURTLE),          # rdf+xml, turtle and n-triples tie at q=1: our order
    ("application/pdf", None, None),
    ("image/png", None, None),
    ("text/turtle, text/html;q=0", None, TURTLE),
    ("text/html;q=0", None, None),
    (CHROME, "ttl", TURTLE),
    ("text/turtle", "html", HTML),
    (None, "jsonld", JSONLD),
    (None, "NT", NTRIPLES),
    (None, "rdf", RDFXML),
])
def test_negotiate(accept, fmt, expected):
    assert negotiate(accept, DOCUMENT_TYPES, fmt) == expected


def test_format_must_be_known():
    with pytest.raises(UnknownFormat, match="use one of"):
        negotiate(None, DOCUMENT_TYPES, "pdf")


def test_a_document_type_wins_only_when_asked_for():
    offers = (*DOCUMENT_TYPES, "application/pdf")
    assert negotiate("application/pdf", offers) == "application/pdf"
    assert negotiate(CHROME, offers) == HTML
    assert negotiate("application/pdf;q=0.5, text/html", offers) == HTML
