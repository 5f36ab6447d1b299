import pytest

from maps.models import MapEvent, Note

pytestmark = pytest.mark.django_db


def create(api, user, empathy_map, **data):
    body = {"section": "says", "text": "I just want the numbers to add up", **data}
    return api(user).post(f"/api/v1/maps/{empathy_map.pk}/notes/", body, format="json")


def test_an_editor_creates_a_note(api, bob, empathy_map):
    response = create(api, bob, empathy_map, team="support")
    assert response.status_code == 201, response.data
    note = response.data
    assert note["text"] == "I just want the numbers to add up"
    assert note["team"] == "support"
    assert note["version"] == 1
    assert note["status"] == "assumption"
    assert note["narrow"] is False
    assert note["evidence"] == {"supports": 0, "contradicts": 0}
    assert note["review"]["state"] == "unreviewed"
    assert note["author"] == "bob"


def test_it_edits_with_the_right_version(api, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    response = api(bob).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Numbers must add up", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["text"] == "Numbers must add up"
    assert response.data["version"] == 2


def test_it_rejects_a_stale_version(api, alice, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    api(alice).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Theirs", "version": 1}, format="json"
    )
    events_before = MapEvent.objects.count()
    response = api(bob).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Mine", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.data["code"] == "conflict"
    assert response.data["current"]["text"] == "Theirs"
    assert response.data["current"]["version"] == 2
    assert Note.objects.get(pk=note["id"]).text == "Theirs"
    assert MapEvent.objects.count() == events_before


def test_a_text_change_without_version_is_refused(api, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    response = api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.data


def test_a_move_needs_no_version(api, alice, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    api(alice).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Edited", "version": 1}, format="json"
    )
    response = api(bob).patch(
        f"/api/v1/notes/{note['id']}/", {"section": "pains", "position": 3.5}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["section"] == "pains"
    assert response.data["position"] == 3.5
    assert response.data["text"] == "Edited"
    assert response.data["version"] == 3
    assert MapEvent.objects.filter(map=empathy_map).last().kind == "note.moved"


def test_a_move_to_a_section_outside_the_layout_is_refused(api, bob, workspace, alice):
    classic = (
        api(alice)
        .post(
            "/api/v1/maps/",
            {"workspace": "acme", "title": "Classic", "layout": "classic"},
            format="json",
        )
        .data
    )
    assert classic["sections"] == ["says", "thinks", "does", "feels"]
    from maps.models import EmpathyMap

    note = create(api, bob, EmpathyMap.objects.get(pk=classic["id"])).data
    response = api(bob).patch(f"/api/v1/notes/{note['id']}/", {"section": "pains"}, format="json")
    assert response.status_code == 400
    assert "section" in response.data


def test_delete_and_restore(api, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    assert api(bob).delete(f"/api/v1/notes/{note['id']}/").status_code == 204
    detail = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert note["id"] not in [n["id"] for n in detail["notes"]]
    assert api(bob).delete(f"/api/v1/notes/{note['id']}/").status_code == 404
    restored = api(bob).post(f"/api/v1/notes/{note['id']}/restore/")
    assert restored.status_code == 200
    assert restored.data["deleted"] is False
    detail = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert note["id"] in [n["id"] for n in detail["notes"]]
    kinds = list(MapEvent.objects.filter(map=empathy_map).values_list("kind", flat=True))
    assert kinds == ["note.created", "note.deleted", "note.restored"]


def test_only_a_lead_reviews(api, alice, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    url = f"/api/v1/notes/{note['id']}/review/"
    assert api(bob).post(url, {"state": "validated"}, format="json").status_code == 403
    response = api(alice).post(url, {"state": "validated", "comment": "Seen it"}, format="json")
    assert response.status_code == 200
    assert response.data["review"]["state"] == "validated"
    assert response.data["review"]["by"] == "alice"
    assert response.data["review"]["comment"] == "Seen it"
    assert response.data["review"]["at"]


def test_a_review_state_must_be_known(api, alice, bob, empathy_map):
    note = create(api, bob, empathy_map).data
    response = api(alice).post(
        f"/api/v1/notes/{note['id']}/review/", {"state": "great"}, format="json"
    )
    assert response.status_code == 400
    assert "state" in response.data


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("   \n\t ", "whitespace only"), ("x" * 1001, "too long")],
)
def test_it_rejects_bad_text(api, bob, empathy_map, text, reason):
    response = create(api, bob, empathy_map, text=text)
    assert response.status_code == 400, reason
    assert "text" in response.data
    assert response.data["detail"].startswith("text:")
    assert not Note.objects.exists()
    assert not MapEvent.objects.exists()


def test_a_thousand_characters_after_trimming_are_fine(api, bob, empathy_map):
    response = create(api, bob, empathy_map, text="  " + "y" * 1000 + "  ")
    assert response.status_code == 201
    assert response.data["text"] == "y" * 1000


def test_html_is_stored_and_returned_as_literal_text(api, bob, empathy_map):
    html = '<img src=x onerror="alert(1)"><b>bold</b>'
    created = create(api, bob, empathy_map, text=html).data
    assert created["text"] == html
    fetched = api(bob).get(f"/api/v1/notes/{created['id']}/")
    assert fetched.data["text"] == html
    assert fetched["Content-Type"] == "application/json"


def test_unknown_team_and_bad_colour_are_named(api, bob, empathy_map):
    response = create(api, bob, empathy_map, team="finance")
    assert response.status_code == 400
    assert "team" in response.data
    response = create(api, bob, empathy_map, color="<script>")
    assert response.status_code == 400
    assert "color" in response.data


def test_archived_maps_refuse_note_changes(api, alice, bob, empathy_map):
    assert api(alice).delete(f"/api/v1/maps/{empathy_map.pk}/").status_code == 204
    response = create(api, bob, empathy_map)
    assert response.status_code == 400
    assert "map" in response.data
