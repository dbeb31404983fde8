"""The settings: one table of names, defaults and help, read into a frozen, typed `Settings`
(defaults ← environment ← overrides), each value checked at start-up; and the one typed state
object a web app keeps them in (web/state.py)."""

from __future__ import annotations

import dataclasses
import pickle
import typing

import pytest

from publishing.ratelimit import FailureLimiter
from registry.settings import ENV_PREFIX, SETTINGS, Settings, SettingsError, load_settings
from web.app import create_app
from web.state import RegistryState, current_state, state_of

from .support.stores import BASE

DEFAULTS = [
    ("BASE_IRI", "base_iri", "http://127.0.0.1:8000"),
    ("STORE_URL", "store_url", ""),
    ("STORE_TIMEOUT", "store_timeout", 600.0),
    ("DUMPS_DIR", "dumps_dir", ""),
    ("SIGNING_KEYS", "signing_keys", ""),
    ("LOG_KEYS", "log_keys", ""),
    ("MAX_UPLOAD_BYTES", "max_upload_bytes", 64 * 1024 * 1024),
    ("FRONT_BODY_MIN_RATE", "front_body_min_rate", 500),
    ("SPARQL_UNION_PARAMETER", "sparql_union_parameter", "union-default-graph"),
    ("SPARQL_TIME_LIMIT", "sparql_time_limit", 20.0),
    ("SPARQL_RESULT_LIMIT", "sparql_result_limit", 50_000),
    ("LINKCHECK_ALLOW_PRIVATE", "linkcheck_allow_private", False),
]


@pytest.mark.parametrize(("name", "attribute", "expected"), DEFAULTS)
def test_defaults(name, attribute, expected):
    settings = load_settings(environ={})
    assert getattr(settings, attribute) == expected
    assert type(getattr(settings, attribute)) is type(expected)
    assert next(s for s in SETTINGS if s.name == name).default == expected


def test_the_class_lists_the_table_with_the_types_its_parsers_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hints = typing.get_type_hints(Settings)
    assert list(hints) == [s.name.lower() for s in SETTINGS]
    for setting in SETTINGS:
        assert isinstance(setting.parse(setting.default), hints[setting.name.lower()]), setting
    assert load_settings(environ={}).store == str(tmp_path / "var" / "store")   # made absolute


ENVIRONMENT = [
    ("BASE_IRI", "https://licence.example.go.th", "base_iri", "https://licence.example.go.th"),
    ("STORE_TIMEOUT", "2.5", "store_timeout", 2.5),
    ("SPARQL_WORKERS", "4", "sparql_workers", 4),
    ("SPARQL_STORE_URL", "http://replica:7878/", "sparql_store_url", "http://replica:7878"),
    ("SPARQL_UNION_PARAMETER", "", "sparql_union_parameter", ""),
    ("LINKCHECK_ALLOW_PRIVATE", "on", "linkcheck_allow_private", True),
    ("LINKCHECK_ALLOW_PRIVATE", "0", "linkcheck_allow_private", False),
    ("REDIRECT_ALLOW", "http://127.0.0.1:9 http://x", "redirect_allow",
     "http://127.0.0.1:9 http://x"),
]


@pytest.mark.parametrize(("name", "raw", "attribute", "expected"), ENVIRONMENT)
def test_environment_values_are_parsed(name, raw, attribute, expected):
    assert getattr(load_settings(environ={ENV_PREFIX + name: raw}), attribute) == expected


def test_overrides_beat_the_environment_and_none_leaves_it():
    environ = {ENV_PREFIX + "SPARQL_WORKERS": "4"}
    assert load_settings({"SPARQL_WORKERS": 7}, environ=environ).sparql_workers == 7
    assert load_settings({"SPARQL_WORKERS": None}, environ=environ).sparql_workers == 4


BAD = [
    ("BASE_IRI", "ftp://licence.example", "http(s) URL"),
    ("BASE_IRI", "https://licence.example/", "trailing"),
    ("STORE_URL", "file:///tmp/x", "http(s) URL"),
    ("STORE_TIMEOUT", "0", "positive number"),
    ("SPARQL_WORKERS", "-1", "positive whole number"),
    ("SPARQL_WORKERS", "two", "invalid literal"),
    ("SPARQL_UNION_PARAMETER", "a b", "query parameter name"),
    ("LINKCHECK_ALLOW_PRIVATE", "maybe", "true or false"),
]


@pytest.mark.parametrize(("name", "raw", "says"), BAD)
def test_a_bad_value_is_refused_naming_the_setting(name, raw, says):
    with pytest.raises(SettingsError, match=f"{name} = .*from \\${ENV_PREFIX}{name}") as exc:
        load_settings(environ={ENV_PREFIX + name: raw})
    assert says in str(exc.value)
    with pytest.raises(SettingsError, match=f"{name} = .*from option"):
        load_settings({name: raw}, environ={})


def test_unknown_overrides_and_a_lone_remote_store_are_refused():
    with pytest.raises(SettingsError, match="Unknown setting.*NO_SUCH"):
        load_settings({"NO_SUCH": 1}, environ={})
    with pytest.raises(SettingsError, match="PRIVATE_STORE_URL is not"):
        load_settings({"STORE_URL": "http://127.0.0.1:7878"}, environ={})


def test_settings_are_frozen():
    settings = load_settings(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.base_iri = "https://elsewhere.example"      # type: ignore[misc]


def test_replace_derives_a_checked_copy():
    settings = load_settings(environ={})
    derived = settings.replace(sparql_workers="3", base_iri="https://licence.example.go.th")
    assert (derived.sparql_workers, derived.base_iri) == (3, "https://licence.example.go.th")
    assert settings.sparql_workers == 2                        # the original is unchanged
    with pytest.raises(SettingsError, match="SPARQL_WORKERS = 0"):
        settings.replace(sparql_workers=0)
    with pytest.raises(SettingsError, match="Unknown setting attribute"):
        settings.replace(SPARQL_WORKERS=3)
    with pytest.raises(SettingsError, match="PRIVATE_STORE_URL is not"):
        settings.replace(store_url="http://127.0.0.1:7878")


def test_settings_pickle_and_rebuild_from_their_mapping():
    """The dump generator and `serve --demo` hand them to a spawned child process."""
    settings = load_settings({"SPARQL_WORKERS": 5}, environ={})
    # S301: the bytes were pickled here, as a spawned child's arguments are by its parent.
    assert pickle.loads(pickle.dumps(settings)) == settings  # noqa: S301
    assert list(settings.as_dict()) == [s.name for s in SETTINGS]
    assert load_settings(settings.as_dict(), environ={}) == settings


def test_an_app_keeps_one_typed_state(embedded_repo):
    settings = load_settings({"STORE": str(embedded_repo.path), "BASE_IRI": BASE}, environ={})
    app = create_app(settings, repository=embedded_repo)
    state = state_of(app)
    assert list(app.extensions) == ["licence_registry"]
    assert isinstance(state, RegistryState)
    assert state.settings is settings and state.repository is embedded_repo
    assert state.existing(FailureLimiter) is None
    limiter = state.part(FailureLimiter)
    assert isinstance(limiter, FailureLimiter) and state.part(FailureLimiter) is limiter
    strict = FailureLimiter(max_failures=1)
    state.install(strict)
    assert state.part(FailureLimiter) is strict
    with app.test_request_context("/"):
        assert current_state() is state
