"""The Flask application factory: settings read once, one repository, one blueprint per concern."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from registry.credentialissue import CredentialIssuer
from registry.logsigning import CheckpointSigner, log_signing_keys
from registry.settings import Settings, load_settings
from registry.signingkeys import SigningKeys, log_keys_path, signing_keys_path
from registry.store import Repository
from registry.store.opening import open_repository
from web.errors import register_error_handlers
from web.messages import catalogue
from web.state import RegistryState, attach, state_of


def create_app(config: Settings | Mapping[str, Any] | None = None, *,
               repository: Repository | None = None,
               clock: Callable[[], dt.date] | None = None) -> Flask:
    """Build the web service. `config`: the settings, or overrides of them ({SETTING_NAME:
    value}, tests); `repository` lets the caller share an already open store (the embedded
    store allows one owner per process); `clock` says what today is (tests; default: today
    in Thailand)."""
    app = Flask(__name__)
    settings = config if isinstance(config, Settings) else load_settings(config)
    catalogue()    # every page's words (error pages' too): a broken messages.toml stops the start
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    repo = repository or open_repository(settings, create=True)
    _refuse_other_base(repo, settings, opened_here=repository is None)
    state = RegistryState(
        settings, repo,
        CredentialIssuer(repo, settings.base_iri, SigningKeys(signing_keys_path(settings))),
        CheckpointSigner(log_signing_keys(log_keys_path(settings)), settings.base_iri))
    if clock is not None:
        state.clock = clock
    attach(app, state)

    register_error_handlers(app)
    from web.security import install as install_security
    install_security(app, settings.base_iri)    # Host check, CSP on HTML, nosniff: every answer
    from registry.hiddentext import register_filters
    register_filters(app)          # {{ value|bdi }}, {{ value|isolate }}: stored text on pages
    from web.page import register_date_filters
    register_date_filters(app)     # {{ day|day(lang) }}, {{ moment|moment(lang) }}
    from web.cors import init_cors
    init_cors(app)
    from publishing.api import bp as api_bp
    from web.home import bp as home_bp
    app.register_blueprint(home_bp)
    app.register_blueprint(api_bp)
    from resolver.routes import bp as resolver_bp
    from resolver.terms import bp as catalogue_terms_bp
    app.register_blueprint(resolver_bp)
    from resolver.credentials import bp as credentials_bp
    app.register_blueprint(credentials_bp)       # /credential/…, /status/…, the DID document
    app.register_blueprint(catalogue_terms_bp)
    from resolver.activity import bp as upload_activity_bp
    from resolver.holder import bp as holder_bp
    app.register_blueprint(holder_bp)             # /id/juristic-person/…, /doc/…, /qr/…
    app.register_blueprint(upload_activity_bp)    # /id/upload/…, /doc/upload/…
    from resolver.search import bp as search_bp
    app.register_blueprint(search_bp)             # /search (the licence side index)
    from resolver.bulkcheck import bp as bulk_check_bp
    app.register_blueprint(bulk_check_bp)         # POST /api/v1/check (issue 16)
    from web.searchindex import follow_commits as search_follows_commits
    search_follows_commits()
    from web.cachepurge import follow_commits as purge_cache_after_commits
    purge_cache_after_commits()                   # CACHE_PURGE_URLS: nginx's /doc/, /id/ cache
    from resolver.fastpath import IdFastPath
    app.wsgi_app = IdFastPath(app.wsgi_app, repo, settings.base_iri)  # type: ignore[method-assign]
    from publishing.uploadpage import bp as upload_page_bp
    app.register_blueprint(upload_page_bp)
    from publishing.schemas import bp as schemas_bp
    app.register_blueprint(schemas_bp)
    from opendata import (
        dumpviews,
        feeds,
        feedspage,
        logviews,
        pages,
        quality,
        querypage,
        sitemap,
        sparql,
    )
    for module in (sparql, querypage, pages, quality, dumpviews, feeds, feedspage, sitemap,
                   logviews):           # logviews: /log/checkpoint, /log/key, /log/entries, …
        app.register_blueprint(module.bp)
    from opendata.changesfeed import bp as changes_feed_bp
    app.register_blueprint(changes_feed_bp)       # /api/v1/changes (follow every change)
    from opendata.stats import bp as stats_bp
    app.register_blueprint(stats_bp)              # /stats (the statistics cube, issue 17)
    from opendata.dumpschedule import subscribe as dumps_follow_commits
    dumps_follow_commits()
    return app


def _refuse_other_base(repo: Repository, settings: Settings, opened_here: bool) -> None:
    """Never serve a store minted under another base IRI (every licence would be not found):
    raise BaseIriMismatch. `serve` checks before it starts; this is for every other way in.
    A store that cannot be reached now is left to /health, which checks again."""
    from registry.baseiri import BaseIriMismatch, check_base
    from registry.store import StoreError

    try:
        check_base(repo, settings)
    except BaseIriMismatch:
        if opened_here:
            repo.close()
        raise
    except StoreError:
        pass


def repository_of(app: Flask) -> Repository:
    return state_of(app).repository
