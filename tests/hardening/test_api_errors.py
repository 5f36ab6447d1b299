"""The API answers in JSON whatever goes wrong, and refuses query values it does not understand
(issue 12, defect 9)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/maps/abc/",
        "/api/v1/notes/1.5/",
        "/api/v1/maps/-1/notes/",
        "/api/v1/no-such-thing/",
        "/api/v1/workspaces/not%20a%20slug/",
    ],
)
def test_a_malformed_path_gets_a_json_404(api, alice, url):
    response = api(alice).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_pages_keep_their_branded_404(client, alice, settings):
    settings.DEBUG = False
    client.force_login(alice)
    response = client.get("/maps/abc/")
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/maps/?workspace=acme&archived=maybe", "archived"),
        ("/api/v1/maps/{map}/notes/?deleted=perhaps", "deleted"),
        ("/api/v1/evidence/?workspace=acme&kind=rumour", "kind"),
        ("/api/v1/maps/{map}/events/?since=-3", "since"),
        ("/api/v1/research-requests/?state=someday", "state"),
    ],
)
def test_an_invalid_enum_or_boolean_query_value_is_a_400_naming_it(
    api, alice, empathy_map, url, name
):
    response = api(alice).get(url.format(map=empathy_map.pk))
    assert response.status_code == 400, response.content
    assert name in response.json()


def test_boolean_query_values_are_read_as_documented(api, alice, workspace):
    from tests.factories import MapFactory

    MapFactory(workspace=workspace, title="Old", archived=True)

    def titles(value):
        response = api(alice).get(f"/api/v1/maps/?workspace=acme&archived={value}")
        return [item["title"] for item in response.json()]

    assert "Old" in titles("true") and "Old" in titles("1")
    assert "Old" not in titles("false") and "Old" not in titles("0")


def test_a_failure_under_the_api_is_a_json_500(alice, monkeypatch):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from maps import api as maps_api

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(maps_api.selectors, "workspaces_for_user", broken)
    client = Client(raise_request_exception=False)
    token = Token.objects.create(user=alice).key
    response = client.get("/api/v1/workspaces/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
