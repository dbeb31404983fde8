"""Every setting, declared once with its default and help, read once and checked at start-up.

Environment variables are `LICENCE_REGISTRY_{NAME}`; command-line flags override them.
`load_settings` returns a frozen, typed `Settings`: the attribute of setting `BASE_IRI` is
`settings.base_iri`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "LICENCE_REGISTRY_"


class SettingsError(ValueError):
    """A setting has a value the service cannot run with; the message says which and why."""


def _base_iri(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://licence.example.go.th")
    if parts.query or parts.fragment or value.endswith("/"):
        raise ValueError("must have no trailing '/', query or fragment")
    return value


def _url_or_empty(value: str) -> str:
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


def _url_list(value: str) -> str:
    """Space-separated http(s) URLs (each with a host), kept as one normalised string."""
    urls = str(value).split()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL; give space-separated URLs")
    return " ".join(urls)


def _positive_int(value: str | int) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _positive_float(value: str | float) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _text(value: str) -> str:
    return str(value)


def _directory(value: str) -> str:
    """An absolute path, resolved once against the directory the service was started in:
    later code (Flask's send_file joins a relative path to the package's folder, a spawned
    child, a worker) must not read the same relative path against another directory. Empty
    stays empty (the setting's default applies)."""
    return os.path.abspath(value) if value else ""


def _parameter_name(value: str) -> str:
    if value and re.fullmatch(r"[A-Za-z0-9._-]+", value) is None:
        raise ValueError("must be empty or a URL query parameter name (letters, digits, . _ -)")
    return value


def _flag(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return value
    return parse


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _text


SETTINGS: tuple[Setting, ...] = (
    Setting("BASE_IRI", "http://127.0.0.1:8000",
            "Base of every minted IRI ({BASE} in SPEC §2). Never stored in source data.",
            _base_iri),
    Setting("STORE", "./var/store",
            "Directory of the embedded pyoxigraph store (used when STORE_URL is empty); a "
            "relative path is taken from the directory the command runs in.", _directory),
    Setting("STORE_URL", "",
            "Base URL of a remote SPARQL 1.1 store laid out like `oxigraph serve` "
            "(/query, /update, /store). Empty: use the embedded store.", _url_or_empty),
    Setting("STORE_QUERY_URL", "", "Override the remote query endpoint (default STORE_URL/query).",
            _url_or_empty),
    Setting("STORE_UPDATE_URL", "",
            "Override the remote update endpoint (default STORE_URL/update).", _url_or_empty),
    Setting("STORE_GSP_URL", "",
            "Override the remote Graph Store Protocol endpoint (default STORE_URL/store).",
            _url_or_empty),
    Setting("PRIVATE_STORE_URL", "",
            "Base URL of a SECOND remote SPARQL 1.1 store, laid out the same way, for private "
            "data (agency key hashes, upload reports, the write lease). Required when "
            "STORE_URL is set: the public SPARQL endpoint reads the whole main store. The "
            "embedded store keeps its private store in STORE/private.", _url_or_empty),
    Setting("STORE_TIMEOUT", 600.0,
            "Seconds to wait for the remote store to answer one request.", _positive_float),
    Setting("STORE_ENGINE", "oxigraph",
            "The remote stores' engine: `oxigraph` (any SPARQL 1.1 store laid out like "
            "`oxigraph serve`: /query, /update, /store) or `virtuoso` (Virtuoso open source: "
            "/sparql, /sparql-auth, /sparql-graph-crud-auth; docs/deployment.md says what the "
            "remote repository does differently for it).", _one_of("oxigraph", "virtuoso")),
    Setting("STORE_USER", "",
            "User name for the remote stores (main, private, replica); empty: no credentials "
            "sent. Virtuoso's /sparql-auth needs a user granted SPARQL_UPDATE.", _text),
    Setting("STORE_PASSWORD", "",
            "Password of STORE_USER (never logged or shown in errors).", _text),
    Setting("STORE_AUTH", "digest",
            "How STORE_USER authenticates: `digest` (HTTP Digest, what Virtuoso asks for) or "
            "`basic` (HTTP Basic, only over https or loopback).", _one_of("digest", "basic")),
    Setting("PRIVATE_STORE_USER", "",
            "User name for the private store (PRIVATE_STORE_URL); empty: STORE_USER's "
            "credentials.", _text),
    Setting("PRIVATE_STORE_PASSWORD", "",
            "Password of PRIVATE_STORE_USER (never logged or shown in errors).", _text),
    Setting("REDIRECT_ALLOW", "",
            "Space-separated URL prefixes besides https:// the resolver may redirect to "
            "(for test servers only; stored records are still the only source).", _text),
    Setting("DUMPS_DIR", "",
            "Directory of the downloadable dumps of all public data (/dumps/: N-Triples gzip, "
            "Turtle, JSON-LD, each with its SHA-256 in manifest.json), regenerated after every "
            "upload through the web service and by `licence-registry dumps`. Empty: "
            "STORE/dumps. Needs room for about two copies of the dumps while one is made.",
            _directory),
    Setting("SEARCH_INDEX", "",
            "File of the licence search index (SQLite, a side index of the current licences "
            "rebuilt from the store whenever it is missing; `licence-registry reindex` rebuilds "
            "it). Empty: STORE/search/licences.sqlite for the embedded store; for a remote "
            "store, a file named after STORE_URL in the temporary directory (each machine keeps "
            "its own copy, shared by its web workers).", _directory),
    Setting("SIGNING_KEYS", "",
            "File of the register's Ed25519 signing keys (every key it ever used, the retired "
            "ones too; secret: mode 0600, refused when group or others may read it). Kept "
            "OUTSIDE the store so backups, dumps and the store's host never hold the secret. "
            "`init` makes it if absent; `licence-registry keys rotate` adds a key. Empty: "
            "keys/signing-keys.json beside the STORE folder (./var/keys/signing-keys.json for "
            "the default store). Every machine that signs needs the same file.", _directory),
    Setting("LOG_KEYS", "",
            "File of the Ed25519 keys that sign the public log's checkpoints (GET "
            "/log/checkpoint; every key the log ever used, the retired ones too; secret: mode "
            "0600, refused when group or others may read it). Kept OUTSIDE the store, like "
            "SIGNING_KEYS, and separate from it. `licence-registry log rotate-key` adds a key "
            "and announces it in the log. Empty: keys/log-keys.json beside the STORE folder "
            "(./var/keys/log-keys.json for the default store). Every machine that serves the "
            "log needs the same file.", _directory),
    Setting("MAX_UPLOAD_BYTES", 64 * 1024 * 1024,
            "Largest upload body accepted, in bytes (a 100,000-licence CSV is about 45 MB); "
            "larger bodies are answered 413 before they are read.", _positive_int),
    Setting("FRONT_HEADER_TIMEOUT", 20.0,
            "serve: seconds a client has to send a whole request head (request line and "
            "headers), counted from when the connection is ready for a request (new, or kept "
            "alive after an answer); then the connection is closed. Also how long an idle "
            "kept-alive connection stays open.", _positive_float),
    Setting("FRONT_BODY_TIMEOUT", 20.0,
            "serve: seconds a client has to send a request body, plus one second for every "
            "FRONT_BODY_MIN_RATE bytes it has sent; then the connection is closed.",
            _positive_float),
    Setting("FRONT_BODY_MIN_RATE", 500,
            "serve: bytes a second an upload body must keep up on average (see "
            "FRONT_BODY_TIMEOUT).", _positive_int),
    Setting("FRONT_MAX_HEADER_BYTES", 65536,
            "serve: largest request head (request line and headers) in bytes; larger is "
            "answered 431.", _positive_int),
    Setting("FRONT_CONNECTION_LIMIT", 1000,
            "serve: open connections each worker process holds (slow ones included); past it "
            "the process accepts no more until some close. Needs as many file descriptors.",
            _positive_int),
    Setting("FRONT_TRUSTED_PROXY", "",
            "serve: address of a reverse proxy (nginx) in front of the register whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed (client address for the key "
            "failure limit, scheme). Empty: no proxy; such headers are dropped.", _text),
    Setting("CACHE_PURGE_URLS", "",
            "Space-separated http(s) URLs of the nginx cache's purge listeners "
            "(docs/deployment.md): after each commit the register sends each one PURGE "
            "/purge/doc/licence/… and /purge/id/licence/… for the licences committed. Empty: "
            "no purge (cached pages age out within 60 s).", _url_list),
    Setting("SPARQL_STORE_URL", "",
            "Remote store only: a copy of the main store (laid out like `oxigraph serve`) that "
            "/sparql queries instead of the main one. The register writes every commit to it "
            "after the main store, so it stays current. Run it on its own machine (or cgroup) at "
            "the lowest CPU priority, with a memory cap and automatic restart (systemd "
            "MemoryMax= and Restart=always): Oxigraph's --timeout-s stops neither a growing sort "
            "nor a counted cross product (docs/sparql.md). Empty: /sparql queries the main store.",
            _url_or_empty),
    Setting("SPARQL_UNION_PARAMETER", "union-default-graph",
            "Remote store only: the query-string parameter with which /sparql asks the store "
            "for the union of its graphs as the default graph (Oxigraph's). Empty for a store "
            "whose default graph already is the union (Fuseki with tdb2:unionDefaultGraph); "
            "not sent to Virtuoso (STORE_ENGINE=virtuoso), whose default graph is the union. "
            "/sparql checks it on first use and answers 503 naming this setting when the store's "
            "default graph does not show the catalogue its named graphs hold.", _parameter_name),
    Setting("SPARQL_TIME_LIMIT", 20.0,
            "/sparql: seconds a query may run; then its process is killed (embedded store) or "
            "the store request abandoned (remote store), and the client gets a 503.",
            _positive_float),
    Setting("SPARQL_RESULT_LIMIT", 50_000,
            "/sparql: most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) returned; a response "
            "that reaches it says so (X-Result-Truncated: true). Dumps hold everything.",
            _positive_int),
    Setting("SPARQL_WORKERS", 2,
            "/sparql: queries run at once per web process (each in its own process on the "
            "embedded store); more wait up to the time limit, then get a 503.", _positive_int),
    Setting("SPARQL_MEMORY_LIMIT_MB", 3072,
            "/sparql, embedded store: memory (RLIMIT_DATA) of one query process, in MiB; "
            "a query that needs more is stopped.", _positive_int),
    Setting("CHECK_RATE_LIMIT", 60,
            "POST /api/v1/check: requests one client address may make in a window of "
            "CHECK_RATE_WINDOW seconds; more answer 429 with Retry-After.", _positive_int),
    Setting("CHECK_RATE_WINDOW", 60.0,
            "POST /api/v1/check: the sliding window of CHECK_RATE_LIMIT, in seconds.",
            _positive_float),
    Setting("LINKCHECK_CONNECT_TIMEOUT", 5.0,
            "check-links: seconds to wait for an agency's server to accept a connection.",
            _positive_float),
    Setting("LINKCHECK_READ_TIMEOUT", 10.0,
            "check-links: seconds to wait for an agency's server to answer.", _positive_float),
    Setting("LINKCHECK_WORKERS", 8, "check-links: links checked at once.", _positive_int),
    Setting("LINKCHECK_PER_HOST", 2,
            "check-links: most requests in flight to one host at once (politeness).",
            _positive_int),
    Setting("LINKCHECK_ALLOW_PRIVATE", False,
            "TESTS ONLY. check-links may contact private, loopback, link-local and other "
            "non-public addresses, and plain http to such addresses. Never set it in "
            "production: it lets stored URLs reach the register's own network.", _flag),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The checked value of every setting in SETTINGS (same order; attribute = lowercase name).

    Made by `load_settings`; derive a changed copy with `replace`, which checks the new values
    the same way. Pickles, so a spawned child process can be handed it."""

    base_iri: str
    store: str
    store_url: str
    store_query_url: str
    store_update_url: str
    store_gsp_url: str
    private_store_url: str
    store_timeout: float
    store_engine: str
    store_user: str
    store_password: str = dataclasses.field(repr=False)
    store_auth: str
    private_store_user: str
    private_store_password: str = dataclasses.field(repr=False)
    redirect_allow: str
    dumps_dir: str
    search_index: str
    signing_keys: str
    log_keys: str
    max_upload_bytes: int
    front_header_timeout: float
    front_body_timeout: float
    front_body_min_rate: int
    front_max_header_bytes: int
    front_connection_limit: int
    front_trusted_proxy: str
    cache_purge_urls: str
    sparql_store_url: str
    sparql_union_parameter: str
    sparql_time_limit: float
    sparql_result_limit: int
    sparql_workers: int
    sparql_memory_limit_mb: int
    check_rate_limit: int
    check_rate_window: float
    linkcheck_connect_timeout: float
    linkcheck_read_timeout: float
    linkcheck_workers: int
    linkcheck_per_host: int
    linkcheck_allow_private: bool

    def as_dict(self) -> dict[str, Any]:
        """{SETTING_NAME: value}, in the order of SETTINGS."""
        return {s.name: getattr(self, s.name.lower()) for s in SETTINGS}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some attributes changed (`settings.replace(store_url="")`), each new
        value checked like a flag's. Raises SettingsError as `load_settings` does."""
        checked = {}
        for attribute, raw in changes.items():
            setting = _BY_NAME.get(attribute.upper())
            if setting is None or attribute != attribute.lower():
                raise SettingsError(f"Unknown setting attribute: {attribute}.")
            checked[attribute] = _parse(setting, raw, "replace")
        derived = dataclasses.replace(self, **checked)
        _check_stores(derived)
        return derived


# The class spells out each setting's type for the type checker; it must list exactly the table.
if [f.name for f in dataclasses.fields(Settings)] != [s.name.lower() for s in SETTINGS]:
    raise RuntimeError("Settings' attributes do not match the SETTINGS table")


def _parse(setting: Setting, raw: Any, source: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"Setting {setting.name} = {raw!r} (from {source}) {exc}.") from None


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults ← environment ← overrides (flags, test config: {SETTING_NAME: value}), each
    checked.

    Raises SettingsError naming the setting, the bad value and what it must be.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(_BY_NAME))
    if unknown:
        raise SettingsError(f"Unknown setting(s): {', '.join(unknown)}. "
                            f"Known: {', '.join(_BY_NAME)}.")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        source = "default"
        raw = setting.default
        if ENV_PREFIX + setting.name in environ:
            raw, source = environ[ENV_PREFIX + setting.name], f"${ENV_PREFIX}{setting.name}"
        if overrides.get(setting.name) is not None:
            raw, source = overrides[setting.name], "option"
        values[setting.name.lower()] = _parse(setting, raw, source)
    settings = Settings(**values)
    _check_stores(settings)
    return settings


def _check_stores(settings: Settings) -> None:
    """A remote main store needs a separate remote private store: the public SPARQL endpoint
    reads the union of every graph in the main store, so private data must not be in it."""
    if settings.store_url and not settings.private_store_url:
        raise SettingsError(
            f"STORE_URL is set ({settings.store_url}) but PRIVATE_STORE_URL is not: set it to a "
            "second store for private data (agency key hashes, upload reports, the write lease), "
            "because the public SPARQL endpoint reads the whole main store.")
    if settings.store_url and settings.private_store_url == settings.store_url:
        raise SettingsError(
            f"PRIVATE_STORE_URL is the same store as STORE_URL ({settings.store_url}): private "
            "data must be in a store of its own, because the public SPARQL endpoint reads the "
            "whole main store.")


def describe_settings() -> str:
    """The settings table for --help and the docs."""
    lines = []
    for s in SETTINGS:
        lines.append(f"{ENV_PREFIX}{s.name} (default {s.default!r}): {s.help}")
    return "\n".join(lines)

