"""Dot votes: a lead opens a vote (PATCH map `vote`), members put dots on notes."""

import pytest

from maps.models import EmpathyMap, MapEvent, NoteVote
from tests.workshop_support import close_vote, create_note, open_vote, unvote, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes(api, bob, empathy_map):
    return [create_note(api, bob, empathy_map, f"Note {n}") for n in range(3)]


def totals(api, user, empathy_map):
    detail = api(user).get(f"/api/v1/maps/{empathy_map.pk}/").data
    return [note["votes"] for note in detail["notes"]]


def test_a_lead_opens_a_vote_with_three_votes_by_default(api, alice, empathy_map):
    data = open_vote(api, alice, empathy_map)
    assert data["vote"] == {"open": True, "per_person": 3, "blind": False, "round": 1}
    assert api(alice).get(f"/api/v1/maps/{empathy_map.pk}/").data["vote"]["open"] is True
    event = MapEvent.objects.filter(kind="map.updated").last()
    assert event.payload["map"]["vote"]["open"] is True
    assert event.payload["vote_totals"] == {}


def test_a_map_without_a_vote_has_vote_null(api, vera, empathy_map):
    assert api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["vote"] is None


def test_only_a_lead_opens_a_vote(api, bob, empathy_map):
    response = api(bob).patch(
        f"/api/v1/maps/{empathy_map.pk}/", {"vote": {"open": True}}, format="json"
    )
    assert response.status_code == 403
    assert EmpathyMap.objects.get(pk=empathy_map.pk).vote_round == 0


@pytest.mark.parametrize("per_person", [0, 21, "three", None])
def test_per_person_must_be_1_to_20(api, alice, empathy_map, per_person):
    response = api(alice).patch(
        f"/api/v1/maps/{empathy_map.pk}/",
        {"vote": {"open": True, "per_person": per_person}},
        format="json",
    )
    assert response.status_code == 400
    assert "per_person" in response.data["vote"]


def test_a_vote_change_and_a_title_change_in_one_patch_are_all_or_nothing(api, alice, empathy_map):
    response = api(alice).patch(
        f"/api/v1/maps/{empathy_map.pk}/",
        {"title": "Renamed", "vote": {"open": True, "per_person": 5}},
        format="json",
    )
    assert response.status_code == 200
    assert (response.data["title"], response.data["vote"]["per_person"]) == ("Renamed", 5)


def test_votes_stack_on_one_note_until_none_are_left(api, alice, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, per_person=3)
    first, second = notes[0]["id"], notes[1]["id"]
    assert vote(api, vera, first).data["votes"] == {"total": 1, "mine": 1}
    assert vote(api, vera, first).data["votes"] == {"total": 2, "mine": 2}
    assert vote(api, vera, second).data["votes"] == {"total": 1, "mine": 1}
    refused = vote(api, vera, second)
    assert refused.status_code == 400
    assert refused.data["code"] == "no_votes_left"
    assert "votes" in refused.data
    assert NoteVote.objects.get(note_id=first, user=vera).count == 2
    assert NoteVote.objects.get(note_id=second, user=vera).count == 1


def test_each_person_has_their_own_votes(api, alice, bob, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, per_person=1)
    note = notes[0]["id"]
    vote(api, vera, note)
    data = vote(api, bob, note).data
    assert data["votes"] == {"total": 2, "mine": 1}
    assert totals(api, alice, empathy_map)[0] == {"total": 2, "mine": 0}


def test_without_an_open_vote_a_vote_is_refused(api, alice, vera, notes, empathy_map):
    response = vote(api, vera, notes[0]["id"])
    assert (response.status_code, response.data["code"]) == (400, "vote_closed")
    open_vote(api, alice, empathy_map)
    vote(api, vera, notes[0]["id"])
    close_vote(api, alice, empathy_map)
    response = vote(api, vera, notes[0]["id"])
    assert (response.status_code, response.data["code"]) == (400, "vote_closed")
    assert unvote(api, vera, notes[0]["id"]).data["code"] == "vote_closed"


def test_unvote_takes_back_one_and_refuses_without_a_vote(api, alice, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, per_person=2)
    note = notes[0]["id"]
    vote(api, vera, note)
    vote(api, vera, note)
    assert unvote(api, vera, note).data["votes"] == {"total": 1, "mine": 1}
    assert unvote(api, vera, note).data["votes"] == {"total": 0, "mine": 0}
    refused = unvote(api, vera, note)
    assert (refused.status_code, refused.data["code"]) == (400, "no_vote")
    assert not NoteVote.objects.exists()
    voted = MapEvent.objects.filter(kind="note.voted").order_by("seq")
    assert list(voted.values_list("payload__delta", flat=True)) == [1, 1, -1, -1]


def test_a_deleted_note_gives_its_votes_back(api, alice, bob, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, per_person=1)
    vote(api, vera, notes[0]["id"])
    assert vote(api, vera, notes[1]["id"]).data["code"] == "no_votes_left"
    api(bob).delete(f"/api/v1/notes/{notes[0]['id']}/")
    assert vote(api, vera, notes[1]["id"]).status_code == 200


def test_closing_keeps_the_totals_and_a_new_vote_starts_afresh(
    api, alice, vera, notes, empathy_map
):
    open_vote(api, alice, empathy_map)
    vote(api, vera, notes[0]["id"])
    vote(api, vera, notes[0]["id"])
    closed = close_vote(api, alice, empathy_map)
    assert closed["vote"]["open"] is False
    assert totals(api, vera, empathy_map)[0] == {"total": 2, "mine": 2}
    event = MapEvent.objects.filter(kind="map.updated").last()
    assert event.payload["vote_totals"] == {str(notes[0]["id"]): 2}
    reopened = open_vote(api, alice, empathy_map)
    assert reopened["vote"]["round"] == 2
    assert totals(api, vera, empathy_map)[0] == {"total": 0, "mine": 0}
    assert vote(api, vera, notes[1]["id"]).data["votes"] == {"total": 1, "mine": 1}


def test_changing_an_open_vote_keeps_its_votes(api, alice, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, per_person=2)
    vote(api, vera, notes[0]["id"])
    changed = open_vote(api, alice, empathy_map, per_person=1)
    assert changed["vote"] == {"open": True, "per_person": 1, "blind": False, "round": 1}
    assert totals(api, vera, empathy_map)[0]["total"] == 1
    assert vote(api, vera, notes[1]["id"]).data["code"] == "no_votes_left"


def test_closing_a_closed_vote_records_nothing(api, alice, empathy_map):
    before = MapEvent.objects.count()
    close_vote(api, alice, empathy_map)
    assert MapEvent.objects.count() == before


def test_a_vote_event_carries_the_note_with_its_total_and_no_mine(
    api, alice, vera, notes, empathy_map
):
    open_vote(api, alice, empathy_map)
    vote(api, vera, notes[0]["id"])
    event = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/events/").data["events"][-1]
    assert event["kind"] == "note.voted"
    assert event["delta"] == 1
    assert event["note"]["votes"] == {"total": 1, "mine": None}


def test_outsiders_get_404(api, alice, mallory, notes, empathy_map):
    open_vote(api, alice, empathy_map)
    assert vote(api, mallory, notes[0]["id"]).status_code == 404
    assert unvote(api, mallory, notes[0]["id"]).status_code == 404
    assert not NoteVote.objects.exists()


# Blind votes ---------------------------------------------------------------------------------


def test_blind_totals_are_hidden_from_everyone_but_leads(api, alice, bob, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, blind=True)
    note = notes[0]["id"]
    assert vote(api, vera, note).data["votes"] == {"total": None, "mine": 1}
    vote(api, bob, note)
    assert totals(api, vera, empathy_map)[0] == {"total": None, "mine": 1}
    assert totals(api, bob, empathy_map)[0] == {"total": None, "mine": 1}
    assert api(vera).get(f"/api/v1/notes/{note}/").data["votes"]["total"] is None
    assert api(vera).get(f"/api/v1/maps/{empathy_map.pk}/notes/").data[0]["votes"]["total"] is None
    assert totals(api, alice, empathy_map)[0] == {"total": 2, "mine": 0}
    assert api(alice).get(f"/api/v1/notes/{note}/").data["votes"]["total"] == 2


def test_blind_vote_events_name_no_note_and_no_total(
    api, alice, bob, vera, notes, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    open_vote(api, alice, empathy_map, blind=True)
    with django_capture_on_commit_callbacks(execute=True):
        vote(api, vera, notes[0]["id"])
        api(bob).patch(f"/api/v1/notes/{notes[0]['id']}/", {"section": "feels"}, format="json")
        unvote(api, vera, notes[0]["id"])
    sent = [message["event"] for _group, message in broadcasts]
    voted, moved, unvoted = sent
    assert voted["kind"] == unvoted["kind"] == "note.voted"
    assert "note" not in voted and "note" not in unvoted
    assert (voted["blind"], voted["delta"], unvoted["delta"]) == (True, 1, -1)
    assert set(voted) == {"type", "seq", "kind", "actor", "op_id", "at", "blind", "delta"}
    assert moved["note"]["votes"]["total"] is None
    stored = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/events/").data["events"]
    assert all(event.get("note", {}).get("votes", {}).get("total") in (None, 0) for event in stored)
    assert "vote_totals" not in stored[-4]  # the blind vote's opening


def test_closing_a_blind_vote_reveals_its_totals_to_everyone(api, alice, vera, notes, empathy_map):
    open_vote(api, alice, empathy_map, blind=True)
    vote(api, vera, notes[1]["id"])
    close_vote(api, alice, empathy_map)
    assert totals(api, vera, empathy_map)[1] == {"total": 1, "mine": 1}
    closing = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/events/").data["events"][-1]
    assert closing["kind"] == "map.updated"
    assert closing["vote_totals"] == {str(notes[1]["id"]): 1}
