"""The web service shell: health, home page, and one JSON shape for every error."""

from __future__ import annotations

import pytest

from registry.errors import LicenceNotFound


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["quads"] > 1000


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


def test_registry_errors_use_the_same_shape(app):
    @app.get("/boom")
    def boom():
        raise LicenceNotFound("No licence diw/factory-operation/1")

    response = app.test_client().get("/boom")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "licence-not-found"


def test_settings_are_checked_at_start_up(embedded_repo):
    from registry.app import create_app
    from registry.settings import SettingsError

    with pytest.raises(SettingsError, match="BASE_IRI"):
        create_app({"BASE_IRI": "http://x/"}, repository=embedded_repo)
    with pytest.raises(SettingsError, match="Unknown setting"):
        create_app({"NO_SUCH": 1}, repository=embedded_repo)
