"""The home page and the health check.

The home page is in the visitor's language (`?lang=`, then Accept-Language), with the site
header and its language switch like every other page. It reads the store only through the
licence side index, for its headline figures, and draws without them when the index or the
store cannot answer: the way in must not be a 500."""

from __future__ import annotations

import sqlite3

from flask import Blueprint, jsonify, render_template

from registry.baseiri import mismatch_message, store_bases
from registry.errors import RegistryError, StoreUnavailable
from registry.namespaces import sparql_prefixes
from registry.store import StoreError
from web.messages import words
from web.page import preferred_language
from web.state import current_state, today

bp = Blueprint("home", __name__)

_ANY_LICENCE_TYPE = sparql_prefixes("cv") + "ASK { GRAPH ?g { ?s a cv:EvidenceType } }"


@bp.get("/health")
def health():
    """Liveness and store reachability, for load balancers and operators."""
    repo = current_state().repository
    try:
        # Cheap on any size of store (counting quads is not): can it answer, and is it set up?
        initialised = repo.ask(_ANY_LICENCE_TYPE)
        bases = store_bases(repo)
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
    # Re-minted (or restored) under another base while this service runs: not ok, it would
    # answer 404 for every licence (registry/baseiri.py).
    settings = current_state().settings
    problem = mismatch_message(bases, settings.base_iri, "served here")   # not its path
    if problem:
        return jsonify({"status": "base-iri-mismatch", "store": type(repo).__name__,
                        "base_iri": settings.base_iri, "minted_under": sorted(bases.all),
                        "detail": problem}), 503
    return jsonify({"status": "ok", "store": type(repo).__name__, "initialised": initialised})


# The home page's headline figures, in the order it shows them (names of Figures' fields).
FIGURES = ("licences", "active", "agencies", "types")


@bp.get("/")
def index():
    lang = preferred_language()
    other = "en" if lang == "th" else "th"
    return render_template("home.html", lang=lang, other=other, t=words(lang, "home"),
                           other_site=words(other)["site"],
                           base=current_state().settings.base_iri, figures=headline_figures())


def headline_figures() -> dict[str, int] | None:
    """The side index's figures for today, by FIGURES' names; None when the index (or the
    store it is rebuilt from) cannot answer now — the page then draws without them."""
    from web.searchindex import current_index

    try:
        index = current_index()
        if not index.is_built():        # a first build that failed: no figures, not zeros
            return None
        figures = index.figures(today())
    except (StoreError, RegistryError, sqlite3.Error, OSError):
        return None
    return {name: int(getattr(figures, name)) for name in FIGURES}
