"""Caps per map (MAX_NOTES_PER_MAP, MAX_COMMENTS_PER_MAP): every path that adds notes or
comments refuses past the cap with a 400 naming it, and an import that would pass it creates
nothing."""

import io
import json

import pytest

from maps.models import Comment, EmpathyMap, MapEvent, Note
from tests.factories import EvidenceFactory, LinkFactory, MapFactory, NoteFactory, SourceFactory


@pytest.fixture
def caps(settings):
    settings.MAX_NOTES_PER_MAP = 3
    settings.MAX_COMMENTS_PER_MAP = 2
    return settings


def fill(empathy_map, count, **fields):
    return [NoteFactory(map=empathy_map, section="says", **fields) for _ in range(count)]


def assert_refused_for_notes(response, limit=3):
    assert response.status_code == 400, response.data
    assert response.data["code"] == "too_many_notes"
    assert response.data["limit"] == limit
    assert "MAX_NOTES_PER_MAP" in response.data["detail"]
    assert f"at most {limit}" in response.data["detail"]
    assert response.data["notes"] == [response.data["detail"]]


def test_a_note_past_the_cap_is_refused_naming_it(api, caps, bob, empathy_map):
    url = f"/api/v1/maps/{empathy_map.pk}/notes/"
    for number in range(3):
        body = {"section": "says", "text": f"Note {number}"}
        assert api(bob).post(url, body, format="json").status_code == 201
    seq = EmpathyMap.objects.get(pk=empathy_map.pk).seq

    response = api(bob).post(url, {"section": "says", "text": "One too many"}, format="json")

    assert_refused_for_notes(response)
    assert Note.objects.filter(map=empathy_map).count() == 3
    assert EmpathyMap.objects.get(pk=empathy_map.pk).seq == seq


def test_deleted_notes_do_not_count_and_a_restore_needs_room(api, caps, bob, empathy_map):
    notes = fill(empathy_map, 3)
    assert api(bob).delete(f"/api/v1/notes/{notes[0].pk}/").status_code == 204
    url = f"/api/v1/maps/{empathy_map.pk}/notes/"
    assert (
        api(bob).post(url, {"section": "says", "text": "In its place"}, format="json").status_code
        == 201
    )

    response = api(bob).post(f"/api/v1/notes/{notes[0].pk}/restore/")

    assert_refused_for_notes(response)
    assert Note.objects.get(pk=notes[0].pk).deleted_at is not None
    assert not MapEvent.objects.filter(map=empathy_map, kind="note.restored").exists()


def test_the_cap_is_per_map(api, caps, bob, workspace, empathy_map):
    fill(empathy_map, 3)
    other = MapFactory(workspace=workspace)
    response = api(bob).post(
        f"/api/v1/maps/{other.pk}/notes/", {"section": "says", "text": "Fine"}, format="json"
    )
    assert response.status_code == 201


def test_the_default_caps_are_documented_settings(settings):
    assert settings.MAX_NOTES_PER_MAP == 2000
    assert settings.MAX_COMMENTS_PER_MAP == 10_000


def export_of(api, user, empathy_map) -> bytes:
    response = api(user).get(f"/api/v1/maps/{empathy_map.pk}/export/?format=json")
    assert response.status_code == 200
    return response.content


def upload(content: bytes):
    file = io.BytesIO(content)
    file.name = "map.json"
    return file


def test_an_import_past_the_cap_creates_nothing(api, caps, settings, alice, rita, empathy_map):
    settings.MAX_NOTES_PER_MAP = 10
    notes = fill(empathy_map, 4)
    source = SourceFactory(workspace=empathy_map.workspace)
    LinkFactory(note=notes[0], evidence=EvidenceFactory(source=source))
    content = export_of(api, rita, empathy_map)
    settings.MAX_NOTES_PER_MAP = 3
    maps_before, evidence_before = EmpathyMap.objects.count(), Note.objects.count()

    response = api(rita).post(
        "/api/v1/maps/import/", {"file": upload(content), "workspace": "acme"}, format="multipart"
    )

    assert response.status_code == 400, response.data
    assert response.data["code"] == "too_many_notes"
    assert "4 notes" in response.data["detail"]
    assert (EmpathyMap.objects.count(), Note.objects.count()) == (maps_before, evidence_before)

    settings.MAX_NOTES_PER_MAP = 4
    response = api(rita).post(
        "/api/v1/maps/import/", {"file": upload(content), "workspace": "acme"}, format="multipart"
    )
    assert response.status_code == 201, response.data
    assert len(json.loads(content)["notes"]) == 4


def test_a_duplicate_past_the_cap_creates_nothing(api, caps, settings, rita, empathy_map):
    settings.MAX_NOTES_PER_MAP = 10
    fill(empathy_map, 5)
    settings.MAX_NOTES_PER_MAP = 3
    maps_before = EmpathyMap.objects.count()

    response = api(rita).post(f"/api/v1/maps/{empathy_map.pk}/duplicate/", {}, format="json")

    assert response.status_code == 400, response.data
    assert response.data["code"] == "too_many_notes"
    assert EmpathyMap.objects.count() == maps_before
    empty_copy = api(rita).post(
        f"/api/v1/maps/{empathy_map.pk}/duplicate/", {"notes": False}, format="json"
    )
    assert empty_copy.status_code == 201


def test_a_note_from_a_drift_theme_past_the_cap_creates_nothing(api, caps, rita, empathy_map):
    fill(empathy_map, 3)
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    links_before = MapEvent.objects.filter(kind="link.created").count()

    response = api(rita).post(
        f"/api/v1/maps/{empathy_map.pk}/drift/notes/",
        {"section": "pains", "text": "From a theme", "evidence": [evidence.pk]},
        format="json",
    )

    assert_refused_for_notes(response)
    assert Note.objects.filter(map=empathy_map).count() == 3
    assert MapEvent.objects.filter(kind="link.created").count() == links_before


def test_a_comment_past_the_cap_is_refused_naming_it(api, caps, bob, workspace, empathy_map):
    first, second = fill(empathy_map, 2)
    for note in (first, second):
        url = f"/api/v1/notes/{note.pk}/comments/"
        assert api(bob).post(url, {"text": "Seen it"}, format="json").status_code == 201

    response = api(bob).post(f"/api/v1/notes/{first.pk}/comments/", {"text": "More"}, format="json")

    assert response.status_code == 400, response.data
    assert response.data["code"] == "too_many_comments"
    assert response.data["limit"] == 2
    assert "MAX_COMMENTS_PER_MAP" in response.data["detail"]
    assert response.data["comments"] == [response.data["detail"]]
    assert Comment.objects.count() == 2
    elsewhere = NoteFactory(map=MapFactory(workspace=workspace))
    reply = api(bob).post(f"/api/v1/notes/{elsewhere.pk}/comments/", {"text": "Ok"}, format="json")
    assert reply.status_code == 201
