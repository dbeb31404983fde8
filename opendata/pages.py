"""`/catalogue/` (licence types) and `/agencies/` for analysts (SPEC §7): filterable lists,
as bilingual HTML or as RDF (Turtle, JSON-LD, N-Triples, RDF/XML) by content negotiation or
`?format=`.

Filters are query parameters; a parameter may be repeated (`?bcg=bio&bcg=green`: either), an
empty one is ignored (what a form's "any" sends), and a value outside the allowed ones is a
400 naming the parameter and the values it allows.

`/agencies/` says how many licences each agency has published: current licences whose issuer it
is. One aggregate query counts them (a licence's old versions, kept in graphs of their own, are
left out), and the figures are kept until the next upload changes the store's licence state.
Beside them, each agency's data quality (opendata/quality.py: document links, SHA-256,
reachable documents, last upload), linked to its own quality page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, make_response, render_template, request

from opendata import dcat, quality
from opendata.dumpgen import licence_state
from opendata.qualityfigures import share
from registry import identifiers
from registry.errors import BadRequest, NotAcceptable
from registry.history import current_record
from registry.model import BCG_THEMES, ESERVICE_LEVELS, LEVELS, Agency, Catalogue
from registry.namespaces import CV, DCT, RDF, XSD, Namespace, lit, sparql_prefixes
from web import conneg
from web.conditional import conditional
from web.page import page_context, preferred_language
from web.state import current_state

bp = Blueprint("catalogue_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/catalogue")

bp.add_url_rule("/catalogue.ttl", "catalogue_ttl", dcat.catalogue_ttl)

VOID = Namespace("http://rdfs.org/ns/void#")


@dataclass(frozen=True)
class Filter:
    """One query parameter: its allowed values, the values an item has, and its form field's
    label and option labels (names of `lists` words in web/messages.py; "agencies" for agency
    names)."""
    allowed: Callable[[Catalogue], list[str]]
    values_of: Callable[[Any], set[str]]
    label: str
    option_labels: str = ""


# Filters, table-driven: parameter → Filter.
TYPE_FILTERS = {
    "agency": Filter(lambda c: sorted(c.agencies), lambda t: set(t.authorities), "agency",
                     "agencies"),
    "bcg": Filter(lambda c: [b for b in BCG_THEMES if b], lambda t: {t.bcg_theme}, "bcg",
                  "themes"),
    "phase": Filter(lambda c: ["1", "2", "3"], lambda t: {str(t.phase)}, "phase", "phases"),
    "eservice": Filter(lambda c: list(ESERVICE_LEVELS), lambda t: {t.eservice_level},
                       "eservice", "eservices"),
}
AGENCY_FILTERS = {
    "tier": Filter(lambda c: ["1", "2", "3"], lambda a: {str(a.tier)}, "tier", "tiers"),
    "level": Filter(lambda c: list(LEVELS), lambda a: {a.level}, "level", "levels"),
}


def _selected(filters: dict[str, Filter], catalogue: Catalogue) -> dict[str, set[str]]:
    """The filter values asked for; BadRequest naming the parameter for one not allowed."""
    chosen = {}
    for name, spec in filters.items():
        values = {v for v in request.args.getlist(name) if v != ""}
        allowed = spec.allowed(catalogue)
        bad = sorted(values - set(allowed))
        if bad:
            raise BadRequest(f"{name}={bad[0]!r} is not allowed; {name} is one of: "
                             f"{', '.join(allowed)}.", parameter=name, allowed=allowed)
        if values:
            chosen[name] = values
    return chosen


def _matching(items, filters: dict[str, Filter], chosen: dict[str, set[str]]) -> list:
    return [item for item in items
            if all(filters[name].values_of(item) & wanted for name, wanted in chosen.items())]


def _form_fields(filters: dict[str, Filter], catalogue: Catalogue, words: Mapping[str, Any],
                 agency_labels: dict[str, str]) -> list[dict]:
    fields = []
    for name, spec in filters.items():
        labels = agency_labels if spec.option_labels == "agencies" else \
            {str(code): word for code, word in words.get(spec.option_labels, {}).items()}
        fields.append({"name": name, "label": words[spec.label],
                       "options": [(v, labels.get(v, v)) for v in spec.allowed(catalogue)]})
    return fields


# Licences per agency


# Each licence's current record is one graph and each older version another: only current
# records are counted (registry.history.current_record).
_COUNT_QUERY = sparql_prefixes("schema") + f"""
SELECT ?issuer (COUNT(?licence) AS ?licences) WHERE {{
  GRAPH ?g {{ ?licence schema:issuedBy ?issuer }}
  {current_record("?g")}
}}
GROUP BY ?issuer
"""

_counts_lock = threading.Lock()


@dataclass
class LicenceCounts:
    """One web app's figures of `licence_counts` (`web.state` part)."""

    cached: tuple[str, dict[str, int]] | None = None     # (licence state, counts at it)


def licence_counts(repo, base: str) -> dict[str, int]:
    """Current licences per issuing agency code, cached until the licence state changes."""
    state = licence_state(repo)
    kept = current_state().part(LicenceCounts)
    cached = kept.cached
    if cached is not None and cached[0] == state:
        return cached[1]
    with _counts_lock:              # one request counts; the others wait for its figures
        cached = kept.cached
        if cached is not None and cached[0] == state:
            return cached[1]
        prefix = identifiers.agency_iri(base, "")
        counts = {row["issuer"].value[len(prefix):]: int(row["licences"].value)
                  for row in repo.select(_COUNT_QUERY)
                  if row["issuer"].value.startswith(prefix)}
        kept.cached = (state, counts)
        return counts


# RDF


def _term_triples(iris: set[str]) -> list[ox.Triple]:
    """The catalogue graph's statements about these terms and their parts (`…#law`)."""
    state = current_state()
    base = state.settings.base_iri
    triples = state.repository.graph_triples(identifiers.graph_iri(base, "catalogue"))
    return [t for t in triples
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.split("#", 1)[0] in iris]


def _count_triples(base: str, counts: dict[str, int], agencies: list[Agency]) -> list[ox.Triple]:
    """Each agency's published licences as a VoID dataset: `void:entities` current licences,
    `dct:publisher` the agency."""
    out = []
    for agency in agencies:
        subset = ox.NamedNode(f"{base}/agencies/#licences-{agency.code}")
        out += [ox.Triple(subset, RDF.type, VOID.Dataset),
                ox.Triple(subset, DCT.publisher,
                          ox.NamedNode(identifiers.agency_iri(base, agency.code))),
                ox.Triple(subset, VOID["class"], CV.Evidence),
                ox.Triple(subset, VOID.entities, ox.Literal(str(counts.get(agency.code, 0)),
                                                            datatype=XSD.integer)),
                ox.Triple(subset, DCT.title, lit(f"Licences issued by {agency.label_en}"))]
    return out


FORMAT_LABELS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdf", "RDF/XML"))


def _format_links() -> list[dict]:
    """This list (its filters kept) in each RDF format."""
    kept = [(k, v) for k, values in request.args.lists() for v in values
            if k not in ("format", "lang")]
    return [{"label": label, "media_type": conneg.FORMATS[key],
             "href": f"{request.path}?{urlencode([*kept, ('format', key)])}"}
            for key, label in FORMAT_LABELS]


def _respond(template: str, filters: dict[str, Filter],
             triples: Callable[[], list[ox.Triple]], **context):
    from web.rdfresponse import document_headers, negotiate_request, serialise_triples

    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(conneg.DOCUMENT_TYPES)}.")
    if wanted != conneg.HTML:
        response = make_response(serialise_triples(triples(), wanted))
        response.mimetype = wanted
        return conditional(document_headers(response))
    lang = preferred_language()
    site = page_context(lang, "lists", "quality")
    labels = {a.code: a.label_th if lang == "th" else a.label_en
              for a in site["catalogue"].agencies.values()}
    fields = _form_fields(filters, site["catalogue"], site["t"], labels)
    response = make_response(render_template(template, agency_labels=labels,
                                             fields=fields, format_links=_format_links(),
                                             **context, **site))
    return conditional(document_headers(response))


def _list_page(template: str, items: Callable[[Catalogue], Iterable], filters: dict,
               iri: Callable[[str, str], str], extra: Callable[[str, list], list] = lambda b, s: [],
               **context):
    """A filtered list of catalogue terms: HTML, or RDF (their statements, plus `extra`)."""
    catalogue: Catalogue = page_context("th")["catalogue"]
    chosen = _selected(filters, catalogue)
    shown = _matching(sorted(items(catalogue), key=lambda item: item.code), filters, chosen)
    base = current_state().settings.base_iri
    return _respond(
        template, filters,
        lambda: _term_triples({iri(base, item.code) for item in shown}) + extra(base, shown),
        rows=shown, chosen=chosen, total=len(list(items(catalogue))), **context)


@bp.get("/catalogue/")
def licence_types():
    return _list_page("licence_types.html", lambda c: c.types.values(), TYPE_FILTERS,
                      identifiers.licence_type_iri)


@bp.get("/agencies/")
def agencies():
    state = current_state()
    base = state.settings.base_iri
    counts = licence_counts(state.repository, base)
    # Each agency's data quality (opendata/quality.py): read only when the page is drawn.
    return _list_page("agencies.html", lambda c: c.agencies.values(), AGENCY_FILTERS,
                      identifiers.agency_iri,
                      lambda base, shown: _count_triples(base, counts, shown), counts=counts,
                      quality_of=quality.overview, share=share)
