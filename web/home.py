"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from registry.baseiri import mismatch_message, store_bases
from registry.errors import StoreUnavailable
from registry.namespaces import sparql_prefixes
from registry.store import StoreError
from web.messages import words
from web.state import current_state

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


@bp.get("/")
def index():
    return render_template("home.html", base=current_state().settings.base_iri,
                           th=words("th", "home"), en=words("en", "home"))
