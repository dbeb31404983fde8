"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from registry.baseiri import mismatch_message, store_bases
from registry.errors import StoreUnavailable
from registry.store import StoreError

bp = Blueprint("home", __name__)


@bp.get("/health")
def health():
    """Liveness and store reachability, for load balancers and operators."""
    repo = current_app.extensions["repository"]
    try:
        # Cheap on any size of store (counting quads is not): can it answer, and is it set up?
        initialised = repo.ask("ASK { GRAPH ?g { ?s a <http://data.europa.eu/m8g/EvidenceType> } }")
        bases = store_bases(repo)
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
    # Re-minted (or restored) under another base while this service runs: not ok, it would
    # answer 404 for every licence (registry/baseiri.py).
    settings = current_app.config["REGISTRY"]
    problem = mismatch_message(bases, settings["BASE_IRI"], "served here")   # not its path
    if problem:
        return jsonify({"status": "base-iri-mismatch", "store": type(repo).__name__,
                        "base_iri": settings["BASE_IRI"], "minted_under": sorted(bases.all),
                        "detail": problem}), 503
    return jsonify({"status": "ok", "store": type(repo).__name__, "initialised": initialised})


@bp.get("/")
def index():
    return render_template("home.html", base=current_app.config["REGISTRY"]["BASE_IRI"])
