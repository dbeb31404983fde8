"""Checks the holder and upload page tests share (not a test module): the RDF of a negotiated
answer read back with pyoxigraph, the outline every page must have, and a QR code decoded."""

from __future__ import annotations

import io
import re

import pyoxigraph as ox

from web import conneg

from .htmltree import parse

# Every RDF format /doc/ negotiates: (?format= value, media type, pyoxigraph parser format).
RDF_FORMATS = [("ttl", conneg.TURTLE, ox.RdfFormat.TURTLE),
               ("jsonld", conneg.JSONLD, ox.RdfFormat.JSON_LD),
               ("nt", conneg.NTRIPLES, ox.RdfFormat.N_TRIPLES),
               ("rdf", conneg.RDFXML, ox.RdfFormat.RDF_XML)]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def triples_of(response, fmt: ox.RdfFormat) -> set[ox.Triple]:
    """The answer's triples, parsed as `fmt` (a parse error fails the test)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(response.data, format=fmt)}


def check_outline(html: str, lang: str) -> None:
    """One h1, no skipped heading level, a title, the page's language, and no script."""
    tree = parse(html)
    assert tree.find("html").attrs.get("lang") == lang
    assert (tree.find("title").text or "").strip()
    assert len(tree.find_all("h1")) == 1
    levels = [int(n.tag[1]) for n in tree.walk()
              if not isinstance(n, str) and re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert not tree.find_all("script")
    assert " style=" not in html          # the CSP refuses inline styles as well as scripts


def decoded_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
