"""Statuses through the API: the contract's table, with a lead's shelf life per source kind."""

import datetime

import pytest

from tests.factories import EvidenceFactory, LinkFactory, NoteFactory, SourceFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("research.status.today", lambda: TODAY)


@pytest.fixture
def link(workspace, empathy_map):
    def make(note, *, stance="supports", age=10, kind="interview"):
        source = SourceFactory(workspace=workspace, kind=kind)
        evidence = EvidenceFactory(source=source, collected_on=TODAY - datetime.timedelta(days=age))
        return LinkFactory(note=note, evidence=evidence, stance=stance)

    return make


def note_of(api, user, note):
    response = api(user).get(f"/api/v1/notes/{note.pk}/")
    assert response.status_code == 200
    return response.data


def set_shelf_life(api, lead, empathy_map, **fields):
    return api(lead).patch(f"/api/v1/maps/{empathy_map.pk}/", fields, format="json")


def test_each_row_of_the_status_table(api, vera, empathy_map, link):
    assumption = NoteFactory(map=empathy_map)
    only_old_contradiction = NoteFactory(map=empathy_map)
    link(only_old_contradiction, stance="contradicts", age=400)
    contested = NoteFactory(map=empathy_map)
    link(contested, age=1)
    link(contested, stance="contradicts", age=3)
    stale = NoteFactory(map=empathy_map)
    link(stale, age=181)
    supported = NoteFactory(map=empathy_map)
    link(supported, age=181)
    link(supported, age=180)
    expected = {
        assumption.pk: ("assumption", None),
        only_old_contradiction.pk: ("assumption", None),
        contested.pk: ("contested", "2026-12-26"),
        stale.pk: ("stale", "2026-06-29"),  # the contract: in the past for a stale note
        supported.pk: ("supported", "2026-06-30"),
    }
    notes = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data["notes"]
    assert {note["id"]: (note["status"], note["fresh_until"]) for note in notes} == expected


def test_a_lead_sets_a_shelf_life_per_source_kind(api, alice, vera, empathy_map, link):
    usage = NoteFactory(map=empathy_map)
    link(usage, age=100, kind="usage_data")
    interview = NoteFactory(map=empathy_map)
    link(interview, age=300, kind="interview")
    assert note_of(api, vera, usage)["status"] == "supported"
    assert note_of(api, vera, interview)["status"] == "stale"

    response = set_shelf_life(
        api, alice, empathy_map, shelf_life={"usage_data": 90, "interview": 365}
    )
    assert response.status_code == 200, response.data
    assert response.data["shelf_life"] == {"usage_data": 90, "interview": 365}

    assert note_of(api, vera, usage)["status"] == "stale"
    assert note_of(api, vera, usage)["fresh_until"] == "2026-06-20"  # went stale on the 21st
    assert note_of(api, vera, interview)["status"] == "supported"
    assert note_of(api, vera, interview)["fresh_until"] == "2026-09-03"


def test_kinds_without_a_shelf_life_use_the_map_window(api, alice, vera, empathy_map, link):
    survey = NoteFactory(map=empathy_map)
    link(survey, age=100, kind="survey")
    set_shelf_life(api, alice, empathy_map, shelf_life={"usage_data": 30}, freshness_days=90)
    assert note_of(api, vera, survey)["status"] == "stale"
    set_shelf_life(api, alice, empathy_map, freshness_days=100)
    assert note_of(api, vera, survey) == {
        **note_of(api, vera, survey),
        "status": "supported",
        "fresh_until": "2026-06-30",
    }


def test_fresh_until_is_the_freshest_supporting_evidence(api, alice, vera, empathy_map, link):
    note = NoteFactory(map=empathy_map)
    link(note, age=10, kind="usage_data")
    link(note, age=20, kind="interview")
    set_shelf_life(api, alice, empathy_map, shelf_life={"usage_data": 30, "interview": 365})
    assert note_of(api, vera, note)["fresh_until"] == "2027-06-10"


def test_a_shelf_life_shortens_contradictions_too(api, alice, vera, empathy_map, link):
    note = NoteFactory(map=empathy_map)
    link(note, stance="contradicts", age=60, kind="usage_data")
    assert note_of(api, vera, note)["status"] == "contested"
    set_shelf_life(api, alice, empathy_map, shelf_life={"usage_data": 45})
    assert note_of(api, vera, note)["status"] == "assumption"


@pytest.mark.parametrize(
    "shelf_life",
    [{"podcast": 30}, {"usage_data": 0}, {"usage_data": 40000}, {"usage_data": "ninety"}, []],
)
def test_a_bad_shelf_life_is_refused(api, alice, empathy_map, shelf_life):
    response = set_shelf_life(api, alice, empathy_map, shelf_life=shelf_life)
    assert response.status_code == 400
    empathy_map.refresh_from_db()
    assert empathy_map.shelf_life == {}


def test_only_a_lead_sets_the_shelf_life(api, rita, empathy_map):
    response = set_shelf_life(api, rita, empathy_map, shelf_life={"usage_data": 90})
    assert response.status_code == 403


def test_a_stale_note_carries_the_day_it_went_stale(api, vera, empathy_map, link):
    stale = NoteFactory(map=empathy_map)
    link(stale, age=200)
    link(stale, age=185)  # fresh until 2026-06-25 (180 days), stale from the 26th
    supported = NoteFactory(map=empathy_map)
    link(supported, age=10)
    assert (note_of(api, vera, stale)["status"], note_of(api, vera, stale)["stale_since"]) == (
        "stale",
        "2026-06-26",
    )
    assert note_of(api, vera, supported)["stale_since"] is None
    assert note_of(api, vera, supported)["fresh_until"] == "2026-12-17"
