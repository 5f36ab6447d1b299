"""A lead changes a map's layout (classic <-> extended) and never loses a note."""

import pytest

from maps.models import EventKind, MapEvent, Note

pytestmark = pytest.mark.django_db


def add(api, user, empathy_map, section, text):
    response = api(user).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": section, "text": text}, format="json"
    )
    assert response.status_code == 201, response.data
    return response.data


def switch(api, user, empathy_map, layout):
    return api(user).patch(f"/api/v1/maps/{empathy_map.pk}/", {"layout": layout}, format="json")


def test_switching_to_classic_and_back_keeps_every_note_in_its_section(
    api, alice, bob, empathy_map
):
    sections = ["says", "thinks", "does", "feels", "goals", "pains", "gains", "sees", "hears"]
    added = {
        section: add(api, bob, empathy_map, section, f"A note in {section}") for section in sections
    }

    response = switch(api, alice, empathy_map, "classic")
    assert response.status_code == 200, response.data
    assert response.data["layout"] == "classic"
    assert response.data["sections"] == ["says", "thinks", "does", "feels"]
    detail = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert {note["id"]: note["section"] for note in detail["notes"]} == {
        note["id"]: section for section, note in added.items()
    }

    response = switch(api, alice, empathy_map, "extended")
    assert response.status_code == 200
    assert response.data["sections"] == sections
    assert Note.objects.filter(map=empathy_map, deleted_at__isnull=True).count() == 9
    assert sorted(Note.objects.filter(map=empathy_map).values_list("section", flat=True)) == sorted(
        sections
    )


def test_a_note_outside_the_classic_layout_can_be_moved_into_it_but_none_added_there(
    api, alice, bob, empathy_map
):
    goal = add(api, bob, empathy_map, "goals", "Close the month in a day")
    switch(api, alice, empathy_map, "classic")

    refused = api(bob).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "goals", "text": "x"}, format="json"
    )
    assert refused.status_code == 400
    assert "section" in refused.data

    moved = api(bob).patch(f"/api/v1/notes/{goal['id']}/", {"section": "thinks"}, format="json")
    assert moved.status_code == 200
    assert moved.data["section"] == "thinks"


def test_a_layout_change_is_announced_with_the_new_sections(
    api, alice, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = switch(api, alice, empathy_map, "classic")
    assert response.status_code == 200
    event = MapEvent.objects.filter(map=empathy_map).latest("seq")
    assert event.kind == EventKind.MAP_UPDATED
    _, message = broadcasts[-1]
    assert message["event"]["kind"] == "map.updated"
    assert message["event"]["map"]["layout"] == "classic"
    assert message["event"]["map"]["sections"] == ["says", "thinks", "does", "feels"]
    assert message["event"]["map"]["seq"] == event.seq == message["event"]["seq"]


def test_only_a_lead_changes_the_layout(api, bob, empathy_map):
    response = switch(api, bob, empathy_map, "classic")
    assert response.status_code == 403
    empathy_map.refresh_from_db()
    assert empathy_map.layout == "extended"


def test_an_unknown_layout_is_refused_naming_the_field(api, alice, empathy_map):
    response = switch(api, alice, empathy_map, "radial")
    assert response.status_code == 400
    assert "layout" in response.data


def test_the_settings_page_changes_the_layout(client, alice, empathy_map):
    client.force_login(alice)
    page = client.get(f"/maps/{empathy_map.pk}/settings/")
    assert b'name="layout"' in page.content
    response = client.post(
        f"/maps/{empathy_map.pk}/settings/",
        {
            "action": "save",
            "title": empathy_map.title,
            "persona": "",
            "description": "",
            "freshness_days": 180,
            "layout": "classic",
        },
    )
    assert response.status_code == 302
    empathy_map.refresh_from_db()
    assert empathy_map.layout == "classic"
