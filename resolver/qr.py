"""QR codes of the register's IRIs (SPEC §6 `/qr/licence/…`, §10 `/qr/juristic-person/…`): one
drawing for every kind, so every printed code looks and scans alike."""

from __future__ import annotations

import io

from flask import Response, request
from werkzeug.wrappers import Response as BaseResponse

from web.conditional import conditional
from web.rdfresponse import document_headers


def qr_response(iri: str) -> BaseResponse:
    """The QR code of `iri` (its URI form: what a phone's camera opens): SVG, titled with the
    IRI, or PNG with `?format=png`; cached for a day, with a validator."""
    import segno

    code = segno.make(iri, error="m")
    out = io.BytesIO()
    if request.args.get("format", "svg") == "png":
        code.save(out, kind="png", scale=8, border=4)
        mimetype = "image/png"
    else:
        code.save(out, kind="svg", scale=8, border=4, xmldecl=False, svgns=True, title=iri)
        mimetype = "image/svg+xml"
    response = Response(out.getvalue(), mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return conditional(document_headers(response, vary=False))
