"""No input gives a 5xx: deeply nested JSON, lone surrogates, NUL bytes and invalid UTF-8 are
refused with 400 naming what is wrong, on the API and on the pages (issue 12, defects 1-3, 8)."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from maps.models import Note

pytestmark = pytest.mark.django_db

DEEP = "[" * 10000 + "]" * 10000
SURROGATE = '"\\ud800"'  # a JSON string holding one lone surrogate


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def http():
    """A plain client that reports server errors as responses, as a real server would."""
    client = Client(raise_request_exception=False)
    return client


def token_headers(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def post_raw(http, user, url, body: str, method="post"):
    send = getattr(http, method)
    return send(
        url,
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        **token_headers(user),
    )


def test_it_refuses_a_deeply_nested_json_body_with_400(http, alice, empathy_map):
    response = post_raw(http, alice, f"/api/v1/maps/{empathy_map.pk}/notes/", DEEP)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_it_refuses_a_json_body_nested_past_the_limit_even_if_python_parses_it(
    http, alice, empathy_map
):
    body = '{"section": "says", "text": "hi", "extra": ' + "[" * 200 + "]" * 200 + "}"
    response = post_raw(http, alice, f"/api/v1/maps/{empathy_map.pk}/notes/", body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/maps/{map}/notes/", '{"section": "says", "text": "hi", "team": %s}', "team"),
        ("/api/v1/maps/", '{"workspace": "acme", "title": "T", "layout": %s}', "layout"),
        ("/api/v1/sources/", '{"workspace": "acme", "title": "T", "kind": %s}', "kind"),
    ],
)
def test_it_refuses_a_lone_surrogate_in_a_field_with_400_naming_it(
    http, alice, empathy_map, url, body, field
):
    response = post_raw(http, alice, url.format(map=empathy_map.pk), body.replace("%s", SURROGATE))
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_it_refuses_a_lone_surrogate_in_a_member_role(http, alice, bob):
    response = post_raw(
        http, alice, "/api/v1/workspaces/acme/members/bob/", '{"role": ' + SURROGATE + "}", "patch"
    )
    assert response.status_code == 400
    assert "role" in response.json()


def test_a_lone_surrogate_in_a_note_text_is_refused_not_stored(http, bob, empathy_map):
    body = '{"section": "says", "text": "a\\ud800b"}'
    response = post_raw(http, bob, f"/api/v1/maps/{empathy_map.pk}/notes/", body)
    assert response.status_code == 400
    assert "text" in response.json()
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/segments/?workspace=%00",
        "/api/v1/evidence/?workspace=acme&segment=%00",
        "/api/v1/research-requests/?workspace=acme&assignee=%00",
        "/api/v1/maps/?workspace=a%00b",
    ],
)
def test_it_refuses_a_nul_in_a_query_parameter_with_400_naming_it(http, alice, url):
    response = http.get(url, **token_headers(alice))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    name = url.split("%00")[0].rsplit("&", 1)[-1].rsplit("?", 1)[-1].split("=")[0]
    assert name in body


def test_it_refuses_a_nul_in_a_path_parameter_with_400(http, alice, bob):
    response = post_raw(
        http, alice, "/api/v1/workspaces/acme/members/a%00b/", '{"role": "viewer"}', "patch"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("url", ["/w/acme/evidence/?segment=%00", "/w/acme/requests/?assignee=%00"])
def test_the_pages_answer_a_nul_in_a_filter_with_a_400_page(http, rita, url):
    http.force_login(rita)
    response = http.get(url)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]


def test_a_form_body_of_invalid_utf8_is_refused_not_stored(http, alice, empathy_map):
    http.force_login(alice)
    response = http.post(
        f"/maps/{empathy_map.pk}/settings/",
        data=b"title=Caf%E9&persona=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    empathy_map.refresh_from_db()
    assert empathy_map.title == "Finance leads"


def test_invalid_utf8_in_a_query_string_is_refused(http, alice):
    response = http.get("/api/v1/maps/?workspace=%FF", **token_headers(alice))
    assert response.status_code == 400
    assert "workspace" in response.json()


def test_a_sound_body_still_works(http, bob, empathy_map):
    body = json.dumps({"section": "says", "text": "Café ☕ fine", "team": "support"})
    response = post_raw(http, bob, f"/api/v1/maps/{empathy_map.pk}/notes/", body)
    assert response.status_code == 201
