"""`/stats`: the licence statistics (issue 17), read from the statistics cube that every commit
keeps (registry/statscube.py, docs/stats.md): an HTML table of licences per agency and type
with filters (agency, type, province, stored status, year of issue) as GET parameters; the
same table as CSV for Excel (`?format=csv` or Accept: text/csv: UTF-8 with a BOM, cells that
could run as formulas neutralised); the matching observations, with the datasets' descriptions,
in every RDF format (web/conneg.py). The datasets are `{BASE}/stats#{code}`: this page is
their document. Queries and the checking of filters live in opendata/statsqueries.py."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from opendata import statsqueries
from registry.csvsafe import safe_csv
from registry.errors import BadRequest, NotAcceptable
from registry.provinces import all_provinces
from registry.records import STATUSES
from web import conneg
from web.page import page_context, preferred_language
from web.rdfresponse import document_headers, serialise_triples
from web.state import current_state

bp = Blueprint("stats", __name__, template_folder="templates")

CSV = "text/csv"
OFFERS = (conneg.HTML, CSV, *conneg.RDF_TYPES)
FORMATS = {**conneg.FORMATS, "csv": CSV}
UTF8_BOM = "\ufeff"


def _negotiate() -> str:
    try:
        chosen = conneg.negotiate(request.headers.get("Accept"), OFFERS,
                                  request.args.get("format"), formats=FORMATS)
    except conneg.UnknownFormat as exc:
        raise BadRequest(str(exc), parameter="format", message={
            "th": f"ไม่รู้จักรูปแบบนี้: {exc}", "en": str(exc)}) from None
    if chosen is None:
        raise NotAcceptable("Offered: " + ", ".join(OFFERS))
    return chosen


@bp.get("/stats")
def stats():
    media_type = _negotiate()
    lang = preferred_language()
    context = page_context(lang, "stats")
    catalogue = context["catalogue"]
    chosen = statsqueries.parse_filters(request.args, catalogue)
    state = current_state()
    base = state.settings.base_iri
    rows = statsqueries.observations(state.repository, base, chosen)
    if media_type in conneg.RDF_TYPES:
        body = serialise_triples(statsqueries.triples(base, rows), media_type)
        return document_headers(Response(body, mimetype=media_type))
    table = statsqueries.totals(base, rows)
    if media_type == CSV:
        header = ["agency", "agency_th", "agency_en", "licence_type", "licence_type_th",
                  "licence_type_en", "licences"]
        lines = [(issuer, catalogue.agencies[issuer].label_th if issuer in catalogue.agencies
                  else "", catalogue.agencies[issuer].label_en if issuer in catalogue.agencies
                  else "", code, catalogue.types[code].title_th if code in catalogue.types
                  else "", catalogue.types[code].title_en if code in catalogue.types else "", n)
                 for issuer, code, n in table]
        response = Response(UTF8_BOM + safe_csv(header, lines), mimetype=CSV)
        response.headers["Content-Disposition"] = 'attachment; filename="licence-stats.csv"'
        return document_headers(response)
    html = render_template("stats.html", **context, chosen=chosen, table=table,
                           total=sum(n for *_, n in table), statuses=STATUSES,
                           provinces=all_provinces())
    return document_headers(Response(html, mimetype=conneg.HTML))
