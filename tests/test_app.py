"""The web service shell: health, home page, and one JSON shape for every error."""

from __future__ import annotations

import pytest

from registry.errors import RegistryError


# The tests here only read the store: one for the module (tests/conftest.py); each still has an
# app of its own (some add routes, which Flask allows only before an app's first request).
@pytest.fixture(scope="module")
def embedded_repo(module_repo):
    return module_repo


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["initialised"] is True


def test_home_page_is_bilingual(client):
    page = client.get("/").get_data(as_text=True)
    assert "แคตตาล็อกใบอนุญาตกลาง" in page and "Central Licence Catalogue" in page


@pytest.mark.parametrize("method, path, status", [
    ("get", "/no/such/page", 404),
    ("post", "/health", 405),
])
def test_every_error_has_one_json_shape(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert set(error) >= {"status", "code", "title", "detail"}
    assert error["status"] == status


def _all_errors(cls=RegistryError):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_errors(sub)


@pytest.mark.parametrize("error", list(_all_errors()), ids=lambda e: e.__name__)
def test_every_registry_error_has_the_one_shape(app, error):
    @app.get(f"/boom-{error.__name__}")
    def boom():
        raise error("what happened", headers={"X-Test": "1"})

    response = app.test_client().get(f"/boom-{error.__name__}")
    assert response.status_code == error.status != 500
    body = response.get_json()["error"]
    assert body == {"status": error.status, "code": error.code, "title": error.title,
                    "detail": "what happened"}
    assert response.headers["X-Test"] == "1"


def test_an_unexpected_bug_is_a_plain_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/bug")
    def bug():
        raise ZeroDivisionError

    response = app.test_client().get("/bug")
    assert response.status_code == 500
    assert response.get_json()["error"]["status"] == 500


def test_settings_are_checked_at_start_up(embedded_repo):
    from registry.settings import SettingsError
    from web.app import create_app

    with pytest.raises(SettingsError, match="BASE_IRI"):
        create_app({"BASE_IRI": "http://x/"}, repository=embedded_repo)
    with pytest.raises(SettingsError, match="Unknown setting"):
        create_app({"NO_SUCH": 1}, repository=embedded_repo)
    with pytest.raises(SettingsError, match="SPARQL_UNION_PARAMETER"):
        create_app({"SPARQL_UNION_PARAMETER": "a=b&c"}, repository=embedded_repo)
