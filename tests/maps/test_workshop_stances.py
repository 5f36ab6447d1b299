"""PUT /api/v1/notes/{id}/stance/: agree or disagree with a note, one stance per person."""

import pytest

from maps.models import MapEvent, Note, NoteStance
from tests.maps.test_map_detail import fill_map
from tests.workshop_support import assign_teams, create_note, put_stance

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(api, bob, empathy_map):
    return create_note(api, bob, empathy_map, "Month end is a scramble")


def test_a_viewer_agrees_and_the_note_counts_it_by_team(
    api, monkeypatch, workspace, vera, note, empathy_map
):
    assign_teams(monkeypatch, workspace, {vera: "support"})
    response = put_stance(api, vera, note["id"], "agree")
    assert response.status_code == 200
    assert response.data["agreement"] == {"agree": {"support": 1}, "disagree": {}, "mine": "agree"}
    detail = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert detail["notes"][0]["agreement"]["mine"] == "agree"


def test_a_stance_is_one_per_person_changeable_and_removable(
    api, monkeypatch, workspace, alice, bob, vera, note
):
    assign_teams(monkeypatch, workspace, {alice: "design", bob: "design", vera: "sales"})
    put_stance(api, alice, note["id"], "agree")
    put_stance(api, bob, note["id"], "agree")
    put_stance(api, vera, note["id"], "agree")
    changed = put_stance(api, vera, note["id"], "disagree").data
    assert changed["agreement"] == {
        "agree": {"design": 2},
        "disagree": {"sales": 1},
        "mine": "disagree",
    }
    assert NoteStance.objects.filter(note_id=note["id"]).count() == 3
    removed = put_stance(api, vera, note["id"], None).data
    assert removed["agreement"] == {"agree": {"design": 2}, "disagree": {}, "mine": None}
    assert NoteStance.objects.filter(note_id=note["id"]).count() == 2


def test_each_reader_sees_their_own_stance_as_mine(api, alice, bob, note, empathy_map):
    put_stance(api, alice, note["id"], "disagree")
    assert api(bob).get(f"/api/v1/notes/{note['id']}/").data["agreement"]["mine"] is None
    assert api(alice).get(f"/api/v1/notes/{note['id']}/").data["agreement"]["mine"] == "disagree"
    notes = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/notes/").data
    assert notes[0]["agreement"]["mine"] == "disagree"


def test_a_stance_is_an_event_with_the_note_and_no_mine(
    api, alice, note, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        put_stance(api, alice, note["id"], "agree")
    event = MapEvent.objects.get(kind="note.stance")
    assert event.payload["stance"] == "agree"
    assert event.payload["note"]["id"] == note["id"]
    assert event.payload["note"]["agreement"] == {
        "agree": {"other": 1},
        "disagree": {},
        "mine": None,
    }
    sent = [message["event"] for _group, message in broadcasts if "event" in message]
    assert sent[-1]["kind"] == "note.stance"
    assert sent[-1]["seq"] == event.seq
    assert sent[-1]["actor"] == "alice"


def test_the_same_stance_again_records_nothing(api, alice, note):
    put_stance(api, alice, note["id"], "agree")
    before = MapEvent.objects.count()
    assert put_stance(api, alice, note["id"], "agree").status_code == 200
    assert MapEvent.objects.count() == before


@pytest.mark.parametrize("stance", ["maybe", "", 1, "AGREE"])
def test_an_unknown_stance_is_a_400_naming_the_field(api, alice, note, stance):
    response = put_stance(api, alice, note["id"], stance)
    assert response.status_code == 400
    assert "stance" in response.data


def test_a_missing_stance_is_a_400(api, alice, note):
    response = api(alice).put(f"/api/v1/notes/{note['id']}/stance/", {}, format="json")
    assert response.status_code == 400
    assert "stance" in response.data


def test_outsiders_get_404(api, mallory, note):
    assert put_stance(api, mallory, note["id"], "agree").status_code == 404
    assert not NoteStance.objects.exists()


def test_a_deleted_note_takes_no_stance(api, alice, bob, note):
    api(bob).delete(f"/api/v1/notes/{note['id']}/")
    assert put_stance(api, alice, note["id"], "agree").status_code == 404


def test_an_archived_map_takes_no_stance(api, alice, note, empathy_map):
    api(alice).delete(f"/api/v1/maps/{empathy_map.pk}/")
    response = put_stance(api, alice, note["id"], "agree")
    assert response.status_code == 400
    assert not NoteStance.objects.exists()


def test_stances_of_people_who_left_are_not_counted(api, alice, bob, vera, note, workspace):
    put_stance(api, vera, note["id"], "agree")
    put_stance(api, bob, note["id"], "agree")
    api(alice).delete(f"/api/v1/workspaces/{workspace.slug}/members/vera/")
    agreement = api(alice).get(f"/api/v1/notes/{note['id']}/").data["agreement"]
    assert agreement["agree"] == {"other": 1}


@pytest.mark.parametrize("count", [10, 300])
def test_map_detail_with_stances_votes_and_comments_takes_fixed_queries(
    api, alice, bob, vera, empathy_map, count, django_assert_max_num_queries
):
    """GET map: 4 queries before the workshop, plus stances and the members' teams."""
    from maps.models import Comment, NoteVote

    fill_map(empathy_map, count)
    notes = list(Note.objects.filter(map=empathy_map))
    empathy_map.vote_round, empathy_map.vote_open = 1, True
    empathy_map.save(update_fields=["vote_round", "vote_open"])
    for user in (alice, bob, vera):
        NoteStance.objects.bulk_create(
            NoteStance(note=note, user=user, value="agree" if note.pk % 2 else "disagree")
            for note in notes
        )
    NoteVote.objects.bulk_create(NoteVote(note=note, user=bob, round=1, count=2) for note in notes)
    Comment.objects.bulk_create(Comment(note=note, author=bob, text="Hm") for note in notes)
    with django_assert_max_num_queries(6):
        response = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/")
    assert len(response.data["notes"]) == count
    first = response.data["notes"][0]
    assert first["votes"] == {"total": 2, "mine": 2}
    assert first["comments"] == 1
    assert (
        sum(first["agreement"]["agree"].values()) + sum(first["agreement"]["disagree"].values())
        == 3
    )


def test_stances_and_comments_are_not_review_changes(api, alice, bob, note, empathy_map):
    api(alice).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    put_stance(api, alice, note["id"], "agree")
    api(bob).post(f"/api/v1/notes/{note['id']}/comments/", {"text": "Hm"}, format="json")
    changes = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/review/").data["changes"]
    assert (changes["events"], changes["notes_touched"], changes["notes"]) == (0, 0, [])
