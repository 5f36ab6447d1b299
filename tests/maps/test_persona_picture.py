"""A lead gives the persona a picture, stored in the database and served to members only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maps.models import EventKind, MapEvent, PersonaPicture
from tests.picture_files import JPEG, WEBP, png

pytestmark = pytest.mark.django_db


def upload(api, user, empathy_map, data, name="persona.png", content_type="image/png"):
    return api(user).put(
        f"/api/v1/maps/{empathy_map.pk}/persona-picture/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def test_a_lead_uploads_a_picture_and_the_map_carries_its_versioned_url(
    api, alice, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    picture = png()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, alice, empathy_map, picture)
    assert response.status_code == 200, response.data
    event = MapEvent.objects.get(map=empathy_map, kind=EventKind.MAP_UPDATED)
    url = f"/maps/{empathy_map.pk}/persona-picture/?v={event.seq}"
    assert response.data["persona_picture"] == url
    assert event.payload["map"]["persona_picture"] == url
    assert event.payload["before"] == {"persona_picture": None}
    assert api(alice).get(f"/api/v1/maps/{empathy_map.pk}/").data["persona_picture"] == url
    stored = PersonaPicture.objects.get(map=empathy_map)
    assert bytes(stored.data) == picture and stored.content_type == "image/png"
    [(group, message)] = broadcasts
    assert group == f"map_{empathy_map.pk}"
    assert message["event"]["kind"] == "map.updated"
    assert message["event"]["map"]["persona_picture"] == url


def test_jpeg_and_webp_are_judged_by_their_bytes_not_their_names(api, alice, empathy_map):
    assert upload(api, alice, empathy_map, JPEG, name="me.png").status_code == 200
    assert PersonaPicture.objects.get(map=empathy_map).content_type == "image/jpeg"
    assert upload(api, alice, empathy_map, WEBP, name="me.gif").status_code == 200
    assert PersonaPicture.objects.get(map=empathy_map).content_type == "image/webp"


def test_a_file_that_is_not_a_picture_is_refused_naming_file_whatever_its_name(
    api, alice, empathy_map
):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = upload(api, alice, empathy_map, svg, name="persona.png", content_type="image/png")
    assert response.status_code == 400
    assert "file" in response.data
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()
    assert not MapEvent.objects.filter(map=empathy_map).exists()


def test_a_request_without_a_file_is_refused_naming_file(api, alice, empathy_map):
    response = api(alice).put(
        f"/api/v1/maps/{empathy_map.pk}/persona-picture/", {"other": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.data


def test_a_picture_over_the_limit_is_refused_with_413(api, alice, empathy_map, settings):
    settings.PERSONA_PICTURE_MAX_BYTES = 100
    response = upload(
        api, alice, empathy_map, png(width=64, height=64, rgb=(1, 2, 3)) + b"\0" * 200
    )
    assert response.status_code == 413
    assert response.data["limit"] == 100
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()


def test_only_a_lead_may_set_the_picture_a_viewer_gets_403_a_stranger_404(
    api, bob, vera, mallory, empathy_map
):
    assert upload(api, bob, empathy_map, png()).status_code == 403
    assert upload(api, vera, empathy_map, png()).status_code == 403
    assert upload(api, mallory, empathy_map, png()).status_code == 404
    assert api(vera).delete(f"/api/v1/maps/{empathy_map.pk}/persona-picture/").status_code == 403
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()


def test_an_archived_map_refuses_a_picture_like_any_other_write(api, alice, empathy_map):
    empathy_map.archived = True
    empathy_map.save()
    response = upload(api, alice, empathy_map, png())
    assert response.status_code == 400
    assert "map" in response.data
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()


def test_a_lead_removes_the_picture_and_the_map_shows_none_again(api, alice, empathy_map):
    upload(api, alice, empathy_map, png())
    response = api(alice).delete(f"/api/v1/maps/{empathy_map.pk}/persona-picture/")
    assert response.status_code == 200
    assert response.data["persona_picture"] is None
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()
    last = MapEvent.objects.filter(map=empathy_map).order_by("-seq").first()
    assert last.kind == EventKind.MAP_UPDATED and last.payload["map"]["persona_picture"] is None
    assert last.payload["before"]["persona_picture"].startswith(
        f"/maps/{empathy_map.pk}/persona-picture/?v="
    )


def test_members_get_the_picture_with_its_type_and_safe_headers(
    api, client, alice, vera, empathy_map
):
    picture = png()
    upload(api, alice, empathy_map, picture)
    client.force_login(vera)
    response = client.get(f"/maps/{empathy_map.pk}/persona-picture/?v=1")
    assert response.status_code == 200
    assert response.content == picture
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert "private" in response["Cache-Control"] and "max-age" in response["Cache-Control"]


def test_a_stranger_and_a_visitor_get_404_for_the_picture(api, client, alice, mallory, empathy_map):
    upload(api, alice, empathy_map, png())
    assert client.get(f"/maps/{empathy_map.pk}/persona-picture/").status_code == 404
    client.force_login(mallory)
    assert client.get(f"/maps/{empathy_map.pk}/persona-picture/").status_code == 404


def test_a_map_without_a_picture_answers_404_and_null(api, client, alice, empathy_map):
    client.force_login(alice)
    assert client.get(f"/maps/{empathy_map.pk}/persona-picture/").status_code == 404
    assert api(alice).get(f"/api/v1/maps/{empathy_map.pk}/").data["persona_picture"] is None


def test_on_the_settings_page_a_lead_uploads_and_an_oversize_file_is_refused_readably(
    client, alice, empathy_map, settings
):
    client.force_login(alice)
    page = f"/maps/{empathy_map.pk}/settings/"
    picture = png()
    response = client.post(
        page, {"action": "picture", "picture": SimpleUploadedFile("p.webp", picture)}
    )
    assert response.status_code == 302
    empathy_map.refresh_from_db()
    shown = client.get(page).content.decode()
    assert f'src="/maps/{empathy_map.pk}/persona-picture/?v={empathy_map.seq}"' in shown
    assert "Remove picture" in shown

    settings.PERSONA_PICTURE_MAX_BYTES = 10
    response = client.post(
        page, {"action": "picture", "picture": SimpleUploadedFile("big.png", picture)}, follow=True
    )
    assert response.status_code == 200
    assert "The picture is over 10 bytes." in response.content.decode()
    assert bytes(PersonaPicture.objects.get(map=empathy_map).data) == picture


def test_on_the_settings_page_a_viewer_cannot_upload(client, vera, empathy_map):
    client.force_login(vera)
    response = client.post(
        f"/maps/{empathy_map.pk}/settings/",
        {"action": "picture", "picture": SimpleUploadedFile("p.png", png())},
    )
    assert response.status_code == 403
    assert not PersonaPicture.objects.filter(map=empathy_map).exists()
