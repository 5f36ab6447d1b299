"""A note's colour is one of a fixed palette; colours from before the palette stay valid."""

import pytest

from maps.services import NOTE_COLORS
from tests.factories import NoteFactory

pytestmark = pytest.mark.django_db


def create(api, user, empathy_map, **fields):
    body = {"section": "says", "text": "Colourful", **fields}
    return api(user).post(f"/api/v1/maps/{empathy_map.pk}/notes/", body, format="json")


def test_each_colour_of_the_palette_is_taken(api, bob, empathy_map):
    for color in NOTE_COLORS:
        response = create(api, bob, empathy_map, color=color)
        assert response.status_code == 201, response.data
        assert response.data["color"] == color
    assert set(NOTE_COLORS) == {"yellow", "pink", "blue", "green", "orange", "purple"}


@pytest.mark.parametrize("color", ["#ffcc00", "red", "Yellow", "", 3, None, "white"])
def test_a_colour_outside_the_palette_is_refused_naming_the_field(api, bob, empathy_map, color):
    response = create(api, bob, empathy_map, color=color)
    assert response.status_code == 400
    assert "color" in response.data


def test_a_colour_change_needs_the_version_and_bumps_it(api, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    assert note["color"] == "yellow"
    url = f"/api/v1/notes/{note['id']}/"
    assert "version" in api(bob).patch(url, {"color": "pink"}, format="json").data
    response = api(bob).patch(url, {"color": "pink", "version": 1}, format="json")
    assert response.status_code == 200
    assert (response.data["color"], response.data["version"]) == ("pink", 2)
    refused = api(bob).patch(url, {"color": "teal", "version": 2}, format="json")
    assert refused.status_code == 400
    assert "color" in refused.data


def test_a_colour_from_before_the_palette_stays_valid_for_its_note(api, bob, empathy_map):
    old = NoteFactory(map=empathy_map, color="#ffcc00")
    url = f"/api/v1/notes/{old.pk}/"
    same = api(bob).patch(url, {"color": "#ffcc00", "text": "Edited", "version": 1}, format="json")
    assert same.status_code == 200, same.data
    assert same.data["color"] == "#ffcc00"
    # but it cannot be given to another note
    assert create(api, bob, empathy_map, color="#ffcc00").status_code == 400
    # and once changed to a palette colour, the note keeps to the palette
    api(bob).patch(url, {"color": "green", "version": 2}, format="json")
    back = api(bob).patch(url, {"color": "#ffcc00", "version": 3}, format="json")
    assert back.status_code == 400
    assert "color" in back.data


def test_the_demo_data_uses_only_palette_colours(db):
    from io import StringIO

    from django.core.management import call_command

    from maps.models import Note

    call_command("seed_demo", force=True, stdout=StringIO())
    assert set(Note.objects.values_list("color", flat=True)) <= set(NOTE_COLORS)
