"""Branded error pages (403, 404, 405, 500) and the favicon."""

import pytest
from django.template.loader import get_template

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def test_a_missing_map_shows_the_branded_404_page(client, bob):
    client.force_login(bob)
    response = client.get("/maps/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can’t find that page" in html
    assert '<header class="site-header">' in html
    assert "Signed in as </span><strong>bob</strong>" in html
    assert 'href="/">Back to your workspaces</a>' in html


def test_an_outsider_gets_the_same_404_page_for_a_map_that_exists(client, mallory, empathy_map):
    client.force_login(mallory)
    response = client.get(f"/maps/{empathy_map.pk}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can’t find that page" in html
    assert "Finance leads" not in html


def test_an_editor_opening_map_settings_sees_the_branded_403_page(client, bob, empathy_map):
    client.force_login(bob)
    response = client.get(f"/maps/{empathy_map.pk}/settings/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You can’t do that here" in html
    assert '<header class="site-header">' in html
    assert 'href="/">Back to your workspaces</a>' in html


def test_opening_an_address_that_only_takes_a_form_says_nothing_changed(client, bob):
    client.force_login(bob)
    response = client.get("/maps/import/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert "This address only answers a button" in html
    assert "Nothing was changed." in html
    assert 'href="/">Back to your workspaces</a>' in html


def test_the_api_keeps_its_json_405(client, bob):
    client.force_login(bob)
    response = client.delete("/api/v1/maps/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "DELETE" in response.json()["detail"]


def test_the_500_page_renders_without_a_request():
    html = get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert 'class="brand"' in html
    assert "{%" not in html


def test_the_500_page_is_served_when_a_view_fails(client, bob, monkeypatch):
    from maps import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "workspaces_for_user", broken)
    client.raise_request_exception = False
    client.force_login(bob)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_pages_link_the_svg_favicon(client, bob):
    client.force_login(bob)
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html


def test_the_favicon_is_served(client):
    response = client.get("/static/img/favicon.svg")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"<svg")
    assert b"#3b4cca" in body


def test_favicon_ico_points_at_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
