"""Upload pages (SPEC §10): `/id/upload/{id}` → 303 → `/doc/upload/{id}`, in HTML and every RDF
format: the upload's public activity — agency, time, counts — and the licences it changed
(paged). Never its report: that lives in the private store, which nothing here reads, and only
the activity's public statements are passed on (resolver/activityqueries.py)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from registry import identifiers
from registry.errors import ActivityNotFound
from resolver.activityqueries import changed_licences, changed_triples, load_activity
from resolver.pagedoc import Pager, negotiated, see_other, wanted_type
from web.page import page_context, preferred_language
from web.state import current_state

bp = Blueprint("upload_activity", __name__, template_folder="templates")

KIND = "upload"


def _not_found() -> ActivityNotFound:
    return ActivityNotFound("The register has no upload with this ID.")


@bp.get(f"/id/{KIND}/<upload_id>")
def identify(upload_id: str) -> ResponseReturnValue:
    state = current_state()
    if load_activity(state.repository, state.settings.base_iri, upload_id) is None:
        raise _not_found()
    return see_other(identifiers.doc_path(KIND, upload_id))


@bp.get(f"/doc/{KIND}/<upload_id>")
def describe(upload_id: str) -> ResponseReturnValue:
    state = current_state()
    repo, base = state.repository, state.settings.base_iri
    wanted = wanted_type()
    activity = load_activity(repo, base, upload_id)
    if activity is None:
        raise _not_found()
    pager = Pager.from_request(activity.changed)
    changed = changed_licences(repo, base, upload_id, offset=pager.offset, limit=pager.size)

    def triples() -> list[ox.Triple]:
        return [*activity.triples, *changed_triples(activity.iri, changed)]

    def html() -> str:
        lang = preferred_language()
        return render_template("upload_activity.html", activity=activity, changed=changed,
                               pager=pager, **page_context(lang, "licence", "holder", "activity"))

    return negotiated(wanted, triples, html, pager)
