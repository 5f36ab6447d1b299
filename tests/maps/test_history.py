"""A note's history, the map as of any seq or moment, and two moments compared."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maps.models import MapEvent
from research.status import today
from tests.factories import EvidenceFactory, MapFactory, SourceFactory

pytestmark = pytest.mark.django_db


def post(api, user, url, data=None):
    return api(user).post(url, data or {}, format="json")


def new_note(api, user, empathy_map, text="Pays by invoice", section="says"):
    response = post(
        api, user, f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": section, "text": text}
    )
    assert response.status_code == 201, response.data
    return response.data


def evidence_in(workspace, *, age=10, kind="interview"):
    source = SourceFactory(workspace=workspace, kind=kind)
    return EvidenceFactory(source=source, collected_on=today() - datetime.timedelta(days=age))


def link(api, rita, note_id, evidence, stance="supports"):
    response = post(
        api, rita, f"/api/v1/notes/{note_id}/links/", {"evidence": evidence.pk, "stance": stance}
    )
    assert response.status_code == 201, response.data
    return response.data


# History --------------------------------------------------------------------------------------


def test_a_notes_history_equals_its_events_oldest_first(api, team, empathy_map):
    alice, bob, rita, vera = team["alice"], team["bob"], team["rita"], team["vera"]
    note = new_note(api, bob, empathy_map)
    other = new_note(api, bob, empathy_map, text="Another note")
    api(bob).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Pays late", "version": 1}, format="json"
    )
    api(bob).patch(f"/api/v1/notes/{other['id']}/", {"section": "feels"}, format="json")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"section": "does"}, format="json")
    made = link(api, rita, note["id"], evidence_in(empathy_map.workspace))
    api(rita).delete(f"/api/v1/links/{made['id']}/")
    post(api, alice, f"/api/v1/notes/{note['id']}/review/", {"state": "validated"})

    response = api(vera).get(f"/api/v1/notes/{note['id']}/history/")

    assert response.status_code == 200
    events = response.data["events"]
    stored = MapEvent.objects.filter(map=empathy_map, note_id=note["id"]).order_by("seq")
    assert [event["seq"] for event in events] == [event.seq for event in stored]
    assert [event["kind"] for event in events] == [
        "note.created",
        "note.updated",
        "note.moved",
        "link.created",
        "link.deleted",
        "note.reviewed",
    ]
    assert events[1]["changes"]["text"] == ["Pays by invoice", "Pays late"]
    assert events[2]["changes"]["section"] == ["says", "does"]
    assert events[3]["changes"]["status"] == ["assumption", "supported"]
    assert events[5]["changes"]["review_state"] == ["unreviewed", "validated"]
    assert all(event["note"]["id"] == note["id"] for event in events)


def test_history_is_hidden_from_non_members(api, team, empathy_map):
    note = new_note(api, team["bob"], empathy_map)
    assert api(team["mallory"]).get(f"/api/v1/notes/{note['id']}/history/").status_code == 404


def test_an_earlier_text_comes_back_as_a_normal_edit(api, team, empathy_map):
    bob, vera = team["bob"], team["vera"]
    note = new_note(api, bob, empathy_map, text="First words")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "Second", "version": 1}, format="json")
    first_seq = api(vera).get(f"/api/v1/notes/{note['id']}/history/").data["events"][0]["seq"]

    assert (
        post(
            api, vera, f"/api/v1/notes/{note['id']}/history/restore/", {"seq": first_seq}
        ).status_code
        == 403
    )
    response = post(api, bob, f"/api/v1/notes/{note['id']}/history/restore/", {"seq": first_seq})

    assert response.status_code == 200
    assert response.data["text"] == "First words"
    assert response.data["version"] == 3
    last = api(vera).get(f"/api/v1/notes/{note['id']}/history/").data["events"][-1]
    assert last["kind"] == "note.updated"
    assert last["changes"]["text"] == ["Second", "First words"]


def test_restoring_a_seq_outside_the_history_is_refused(api, team, empathy_map):
    note = new_note(api, team["bob"], empathy_map)
    response = post(api, team["bob"], f"/api/v1/notes/{note['id']}/history/restore/", {"seq": 99})
    assert response.status_code == 400
    assert "seq" in response.data


# Time travel ----------------------------------------------------------------------------------


def test_as_of_beyond_the_maps_seq_is_refused(api, team, empathy_map):
    new_note(api, team["bob"], empathy_map)
    response = api(team["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/?as_of=2")
    assert response.status_code == 400
    assert "as_of" in response.data


def test_as_of_before_the_maps_creation_is_refused(api, team, empathy_map):
    response = api(team["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/?as_of=2001-01-01T00:00Z")
    assert response.status_code == 400
    assert "as_of" in response.data


def backdate(empathy_map, *hours_ago):
    """Move the map's creation and its events (seq 1, 2, ...) back by these many hours."""
    from django.utils import timezone

    now = timezone.now()
    type(empathy_map).objects.filter(pk=empathy_map.pk).update(
        created_at=now - datetime.timedelta(hours=hours_ago[0] + 1)
    )
    for seq, hours in enumerate(hours_ago, start=1):
        MapEvent.objects.filter(map=empathy_map, seq=seq).update(
            created_at=now - datetime.timedelta(hours=hours)
        )
    return now


def test_as_of_a_moment_shows_the_notes_then(api, team, empathy_map):
    bob, vera = team["bob"], team["vera"]
    note = new_note(api, bob, empathy_map, text="Before")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "After", "version": 1}, format="json")
    now = backdate(empathy_map, 3, 1)

    at = (now - datetime.timedelta(hours=2)).isoformat()
    response = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/", {"as_of": at})

    assert response.status_code == 200
    assert response.data["seq"] == 1
    assert [n["text"] for n in response.data["notes"]] == ["Before"]
    before_any = (now - datetime.timedelta(hours=3, minutes=30)).isoformat()
    assert (
        api(vera).get(f"/api/v1/maps/{empathy_map.pk}/", {"as_of": before_any}).data["notes"] == []
    )


def test_as_of_judges_freshness_on_that_day(api, team, empathy_map):
    bob, rita, vera = team["bob"], team["rita"], team["vera"]
    note = new_note(api, bob, empathy_map)
    link(api, rita, note["id"], evidence_in(empathy_map.workspace, age=190))
    assert api(vera).get(f"/api/v1/notes/{note['id']}/").data["status"] == "stale"
    # The link was made 20 days ago: the evidence was 170 days old then, still fresh.
    backdate(empathy_map, 20 * 24 + 1, 20 * 24)

    past = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/?as_of=2").data["notes"][0]

    assert past["status"] == "supported"
    assert past["fresh_until"] == (today() - datetime.timedelta(days=10)).isoformat()


# The property: as_of at every prefix equals the state the map had then ------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "edit",
                "move",
                "delete",
                "restore",
                "link",
                "contradict",
                "unlink",
                "review",
                "freshness",
                "correct",
            ]
        ),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=14,
)
MAP_FIELDS = ("title", "freshness_days", "shelf_life", "layout", "sections")


def apply(api, team, empathy_map, evidence, op, pick) -> bool:
    """Apply one op through the API; False when there was nothing for it to act on."""
    bob, rita, alice = team["bob"], team["rita"], team["alice"]
    base = f"/api/v1/maps/{empathy_map.pk}"
    everything = api(bob).get(f"{base}/notes/?deleted=1").data
    live = [note for note in everything if not note["deleted"]]
    gone = [note for note in everything if note["deleted"]]
    note = live[pick % len(live)] if live else None
    if op == "create":
        section = ["says", "thinks", "does"][pick % 3]
        return new_note(api, bob, empathy_map, text=f"Note {pick}", section=section) is not None
    if op == "freshness":
        days = [30, 100, 180, 400][pick % 4]
        return (
            api(alice).patch(f"{base}/", {"freshness_days": days}, format="json").status_code == 200
        )
    if op == "correct":
        item = evidence[pick % len(evidence)]
        collected = (today() - datetime.timedelta(days=pick * 9)).isoformat()
        return (
            api(rita)
            .patch(f"/api/v1/evidence/{item.pk}/", {"collected_on": collected}, format="json")
            .status_code
            == 200
        )
    if op == "restore":
        if not gone:
            return False
        return (
            post(api, bob, f"/api/v1/notes/{gone[pick % len(gone)]['id']}/restore/").status_code
            == 200
        )
    if note is None:
        return False
    url = f"/api/v1/notes/{note['id']}/"
    if op == "edit":
        return (
            api(bob)
            .patch(url, {"text": f"Edit {pick}", "version": note["version"]}, format="json")
            .status_code
            == 200
        )
    if op == "move":
        return (
            api(bob).patch(url, {"section": ["feels", "says"][pick % 2]}, format="json").status_code
            == 200
        )
    if op == "delete":
        return api(bob).delete(url).status_code == 204
    if op == "review":
        return post(api, alice, f"{url}review/", {"state": "needs_research"}).status_code == 200
    if op in ("link", "contradict"):
        stance = "supports" if op == "link" else "contradicts"
        item = evidence[pick % len(evidence)]
        response = post(api, rita, f"{url}links/", {"evidence": item.pk, "stance": stance})
        return response.status_code == 201
    if op == "unlink":
        links = api(rita).get(f"{url}links/").data
        if not links:
            return False
        return (
            api(rita).delete(f"/api/v1/links/{links[pick % len(links)]['id']}/").status_code == 204
        )
    raise AssertionError(op)


def without_mine(notes: list[dict]) -> list[dict]:
    """The notes as every member shares them: `mine` (the reader's own stance and votes) is per
    reader and comes from the events, where it is null (README, Workshop)."""
    return [
        {
            **note,
            "agreement": {**note["agreement"], "mine": None},
            "votes": {**note["votes"], "mine": None},
        }
        for note in notes
    ]


def check_every_prefix(api, team, ops):
    vera = team["vera"]
    empathy_map = MapFactory(workspace=team["bob"].memberships.get().workspace)
    evidence = [
        evidence_in(empathy_map.workspace, age=age, kind=kind)
        for age, kind in [(5, "interview"), (150, "survey"), (300, "usage_data")]
    ]
    seen = {0: api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data}
    for op, pick in ops:
        if apply(api, team, empathy_map, evidence, op, pick):
            state = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data
            seen[state["seq"]] = state
    for seq, live in seen.items():
        past = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/?as_of={seq}").data
        assert past["seq"] == seq
        assert without_mine(past["notes"]) == without_mine(live["notes"]), f"as_of={seq}"
        assert {name: past[name] for name in MAP_FIELDS} == {
            name: live[name] for name in MAP_FIELDS
        }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_as_of_every_prefix_equals_the_state_then(api, team, ops):
    check_every_prefix(api, team, ops)


@pytest.mark.postgres
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_as_of_every_prefix_equals_the_state_then_on_postgresql(api, team, ops):
    check_every_prefix(api, team, ops)


# Compare --------------------------------------------------------------------------------------


def test_compare_lists_added_removed_edited_and_status_changes(api, team, empathy_map):
    bob, rita, vera = team["bob"], team["rita"], team["vera"]
    kept = new_note(api, bob, empathy_map, text="Kept")
    doomed = new_note(api, bob, empathy_map, text="Doomed")
    start = empathy_map.__class__.objects.get(pk=empathy_map.pk).seq
    api(bob).patch(
        f"/api/v1/notes/{kept['id']}/", {"text": "Kept, reworded", "version": 1}, format="json"
    )
    api(bob).delete(f"/api/v1/notes/{doomed['id']}/")
    added = new_note(api, bob, empathy_map, text="New")
    link(api, rita, kept["id"], evidence_in(empathy_map.workspace))

    response = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/compare/?from={start}")

    assert response.status_code == 200
    data = response.data
    assert data["from"]["seq"] == start
    assert [n["id"] for n in data["added"]] == [added["id"]]
    assert [n["id"] for n in data["removed"]] == [doomed["id"]]
    assert [(e["note"], e["before"]["text"], e["after"]["text"]) for e in data["edited"]] == [
        (kept["id"], "Kept", "Kept, reworded")
    ]
    assert data["status_changes"] == [
        {"note": kept["id"], "from": "assumption", "to": "supported", "cause": "evidence"}
    ]
    assert data["counts"] == {"assumption->supported": 1}


def test_a_status_that_turns_stale_by_time_alone_appears_in_compare(
    api, team, empathy_map, monkeypatch
):
    bob, rita, vera = team["bob"], team["rita"], team["vera"]
    note = new_note(api, bob, empathy_map)
    link(api, rita, note["id"], evidence_in(empathy_map.workspace, age=170))
    seq = empathy_map.__class__.objects.get(pk=empathy_map.pk).seq
    # Nobody touches the map; a month passes.
    later = today() + datetime.timedelta(days=30)
    monkeypatch.setattr("research.status.today", lambda: later)

    data = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/compare/?from={seq}").data

    assert data["to"]["seq"] == seq
    assert data["status_changes"] == [
        {"note": note["id"], "from": "supported", "to": "stale", "cause": "time"}
    ]
    assert data["counts"] == {"supported->stale": 1}
    assert data["edited"] == data["added"] == data["removed"] == []


def test_a_change_of_the_freshness_window_is_an_edit(api, team, empathy_map):
    alice, bob, rita, vera = team["alice"], team["bob"], team["rita"], team["vera"]
    note = new_note(api, bob, empathy_map)
    link(api, rita, note["id"], evidence_in(empathy_map.workspace, age=100))
    seq = empathy_map.__class__.objects.get(pk=empathy_map.pk).seq
    api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"freshness_days": 60}, format="json")

    data = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/compare/?from={seq}").data

    assert data["status_changes"] == [
        {"note": note["id"], "from": "supported", "to": "stale", "cause": "edit"}
    ]


def test_compare_needs_a_valid_from(api, team, empathy_map):
    response = api(team["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/compare/?from=nonsense")
    assert response.status_code == 400
    assert "from" in response.data
    assert (
        api(team["mallory"]).get(f"/api/v1/maps/{empathy_map.pk}/compare/?from=0").status_code
        == 404
    )


# The recycle bin ------------------------------------------------------------------------------


def test_the_bin_lists_deleted_notes_with_who_and_when(api, team, empathy_map):
    bob, vera = team["bob"], team["vera"]
    kept = new_note(api, bob, empathy_map, text="Kept")
    gone = new_note(api, bob, empathy_map, text="Gone")
    api(bob).delete(f"/api/v1/notes/{gone['id']}/")

    binned = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/notes/?deleted=only").data
    both = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/notes/?deleted=1").data

    assert [(n["id"], n["deleted_by"]) for n in binned] == [(gone["id"], "bob")]
    assert binned[0]["deleted_at"]
    assert {n["id"] for n in both} == {kept["id"], gone["id"]}


def test_restore_from_the_bin_brings_a_note_back(api, team, empathy_map):
    bob, vera = team["bob"], team["vera"]
    gone = new_note(api, bob, empathy_map, text="Gone")
    api(bob).delete(f"/api/v1/notes/{gone['id']}/")
    assert post(api, vera, f"/api/v1/notes/{gone['id']}/restore/").status_code == 403
    assert post(api, bob, f"/api/v1/notes/{gone['id']}/restore/").status_code == 200
    assert api(vera).get(f"/api/v1/maps/{empathy_map.pk}/notes/?deleted=only").data == []
    assert [n["id"] for n in api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["notes"]] == [
        gone["id"]
    ]


def test_the_reviews_changes_include_status_transitions_by_time(
    api, team, empathy_map, monkeypatch
):
    alice, bob, rita = team["alice"], team["bob"], team["rita"]
    note = new_note(api, bob, empathy_map)
    link(api, rita, note["id"], evidence_in(empathy_map.workspace, age=170))
    post(api, alice, f"/api/v1/maps/{empathy_map.pk}/review/")
    later = today() + datetime.timedelta(days=30)
    monkeypatch.setattr("research.status.today", lambda: later)

    changes = api(team["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/review/").data["changes"]

    assert changes["events"] == 0
    assert changes["status_changes"] == [
        {"note": note["id"], "from": "supported", "to": "stale", "cause": "time"}
    ]
    assert changes["status_counts"] == {"supported->stale": 1}
