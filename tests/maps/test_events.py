import pytest
from django.db import DatabaseError

from maps import services
from maps.models import EmpathyMap
from tests.factories import EvidenceFactory, SourceFactory

pytestmark = pytest.mark.django_db


def events(api, user, empathy_map, since=0):
    response = api(user).get(f"/api/v1/maps/{empathy_map.pk}/events/?since={since}")
    assert response.status_code == 200
    return response.data


def make_every_kind_of_change(api, team, empathy_map):
    alice, bob, rita = team["alice"], team["bob"], team["rita"]
    base = f"/api/v1/maps/{empathy_map.pk}"
    note = api(bob).post(f"{base}/notes/", {"section": "says", "text": "One"}, format="json").data
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"text": "Two", "version": 1}, format="json")
    api(bob).patch(f"/api/v1/notes/{note['id']}/", {"section": "feels"}, format="json")
    api(alice).post(f"/api/v1/notes/{note['id']}/review/", {"state": "validated"}, format="json")
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    link = (
        api(rita)
        .post(
            f"/api/v1/notes/{note['id']}/links/",
            {"evidence": evidence.pk, "stance": "supports"},
            format="json",
        )
        .data
    )
    api(rita).delete(f"/api/v1/links/{link['id']}/")
    api(bob).delete(f"/api/v1/notes/{note['id']}/")
    api(bob).post(f"/api/v1/notes/{note['id']}/restore/")
    api(alice).patch(f"{base}/", {"title": "Renamed"}, format="json")
    return note


def test_since_returns_gap_free_increasing_seq_for_every_endpoint(api, team, empathy_map):
    make_every_kind_of_change(api, team, empathy_map)
    page = events(api, team["vera"], empathy_map)
    seqs = [event["seq"] for event in page["events"]]
    assert seqs == list(range(1, 10))
    assert page["seq"] == 9
    assert [event["kind"] for event in page["events"]] == [
        "note.created",
        "note.updated",
        "note.moved",
        "note.reviewed",
        "link.created",
        "link.deleted",
        "note.deleted",
        "note.restored",
        "map.updated",
    ]
    later = events(api, team["vera"], empathy_map, since=6)["events"]
    assert [event["seq"] for event in later] == [7, 8, 9]
    assert EmpathyMap.objects.get(pk=empathy_map.pk).seq == 9


def test_events_carry_the_contract_fields(api, team, empathy_map):
    make_every_kind_of_change(api, team, empathy_map)
    for event in events(api, team["vera"], empathy_map)["events"]:
        assert event["type"] == "event"
        assert {"seq", "kind", "actor", "op_id", "at"} <= set(event)
        if event["kind"].startswith("note."):
            assert event["note"]["id"]
            assert "status" in event["note"]
        if event["kind"].startswith("link."):
            assert event["link"]["evidence"]["id"]
            assert event["note"]["evidence"]["supports"] in (0, 1)
        if event["kind"] == "map.updated":
            assert event["map"]["title"] == "Renamed"
            assert event["map"]["seq"] == event["seq"]


def test_a_failed_write_leaves_no_event_and_no_gap(api, team, empathy_map, monkeypatch):
    bob = team["bob"]
    url = f"/api/v1/maps/{empathy_map.pk}/notes/"
    assert (
        api(bob).post(url, {"section": "says", "text": "First"}, format="json").status_code == 201
    )
    assert api(bob).post(url, {"section": "nowhere", "text": "x"}, format="json").status_code == 400
    note = api(bob).post(url, {"section": "says", "text": "Second"}, format="json").data

    def broken_write(*args, **kwargs):
        raise DatabaseError("disk full")

    # Note ops write their notes and events together (maps.services.note_ops_apply).
    monkeypatch.setattr(services, "write_together", broken_write)
    response = api(bob).patch(
        f"/api/v1/notes/{note['id']}/", {"text": "Lost", "version": 1}, format="json"
    )
    assert response.status_code == 503
    assert response.data["code"] == "unavailable"
    monkeypatch.undo()
    assert api(bob).get(f"/api/v1/notes/{note['id']}/").data["text"] == "Second"
    assert (
        api(bob).post(url, {"section": "says", "text": "Third"}, format="json").status_code == 201
    )
    seqs = [event["seq"] for event in events(api, bob, empathy_map)["events"]]
    assert seqs == [1, 2, 3]


def test_broadcast_happens_after_commit_with_json_that_travels(
    api, team, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api(team["bob"]).post(
            f"/api/v1/maps/{empathy_map.pk}/notes/",
            {"section": "says", "text": "Hi"},
            format="json",
        )
        assert broadcasts == []
    assert len(callbacks) == 1
    callbacks[0]()
    group, message = broadcasts[0]
    assert group == f"map_{empathy_map.pk}"
    assert message["type"] == "map.event"
    assert message["event"]["seq"] == 1
    assert message["event"]["kind"] == "note.created"
    assert message["event"]["actor"] == "bob"
    assert message["event"]["note"]["text"] == "Hi"


def test_a_refused_write_broadcasts_nothing(
    api, team, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api(team["vera"]).post(
            f"/api/v1/maps/{empathy_map.pk}/notes/",
            {"section": "says", "text": "Hi"},
            format="json",
        )
    assert callbacks == []
    assert broadcasts == []


def test_since_must_be_a_number(api, team, empathy_map):
    response = api(team["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=abc")
    assert response.status_code == 400
    assert "since" in response.data


def test_events_about_a_note_carry_its_id_as_a_column(api, team, empathy_map):
    from maps.models import MapEvent

    created = api(team["bob"]).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": "Hi"}, format="json"
    )
    api(team["alice"]).patch(f"/api/v1/maps/{empathy_map.pk}/", {"title": "X"}, format="json")
    rows = list(MapEvent.objects.filter(map=empathy_map).values_list("kind", "note_id"))
    assert rows == [("note.created", created.data["id"]), ("map.updated", None)]


def test_the_migration_fills_note_ids_of_older_events(api, team, empathy_map):
    import importlib

    from django.apps import apps

    from maps.models import MapEvent

    migration = importlib.import_module("maps.migrations.0004_event_note_id")
    created = api(team["bob"]).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": "Hi"}, format="json"
    )
    api(team["alice"]).patch(f"/api/v1/maps/{empathy_map.pk}/", {"title": "X"}, format="json")
    MapEvent.objects.update(note_id=None)  # as written before the column existed
    migration.fill_note_ids(apps, None)
    rows = list(MapEvent.objects.filter(map=empathy_map).values_list("kind", "note_id"))
    assert rows == [("note.created", created.data["id"]), ("map.updated", None)]
