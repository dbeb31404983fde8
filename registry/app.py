"""The Flask application factory: settings read once, one repository, one blueprint per concern."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from .errors import register_error_handlers
from .ratelimit import FailureLimiter
from .settings import load_settings
from .store import Repository, open_repository


def create_app(config: Mapping[str, Any] | None = None, *,
               repository: Repository | None = None) -> Flask:
    """Build the web service. `config` overrides settings (tests); `repository` lets the caller
    share an already open store (the embedded store allows one owner per process)."""
    app = Flask(__name__)
    settings = load_settings(config)
    app.config["REGISTRY"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"]
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    repo = repository or open_repository(settings, create=True)
    app.extensions["repository"] = repo
    app.extensions["key_failures"] = FailureLimiter()

    register_error_handlers(app)
    from .api import bp as api_bp
    from .home import bp as home_bp
    app.register_blueprint(home_bp)
    app.register_blueprint(api_bp)
    from resolver.catalogue_terms import bp as catalogue_terms_bp
    from resolver.routes import bp as resolver_bp
    app.register_blueprint(resolver_bp)
    app.register_blueprint(catalogue_terms_bp)
    from resolver.fastpath import IdFastPath
    app.wsgi_app = IdFastPath(app.wsgi_app, repo, settings["BASE_IRI"])  # type: ignore[method-assign]
    from .uploadpage import bp as upload_page_bp; app.register_blueprint(upload_page_bp)
    from .schemas import bp as schemas_bp; app.register_blueprint(schemas_bp)
    from catalogue import dumps, feeds, pages, querypage, sparql
    for module in (sparql, querypage, pages, dumps, feeds):
        app.register_blueprint(module.bp)
    return app


def repository_of(app: Flask) -> Repository:
    return app.extensions["repository"]
