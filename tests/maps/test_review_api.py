"""GET /api/v1/maps/{id}/review/: where a map stands, for the lead, in a fixed number of queries."""

import datetime

import pytest

from tests.factories import (
    EvidenceFactory,
    LinkFactory,
    NoteFactory,
    SegmentFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("research.status.today", lambda: TODAY)


@pytest.fixture
def seeded(empathy_map, workspace):
    """A small map: each status, two segments, teams that disagree, and one dismissed note."""
    enterprise = SegmentFactory(workspace=workspace, name="Enterprise")
    smb = SegmentFactory(workspace=workspace, name="SMB")
    SegmentFactory(workspace=workspace, name="Students")  # no evidence at all

    def evidence(*, age, segment=None, kind="interview", source_segment=None):
        source = SourceFactory(workspace=workspace, kind=kind, segment=source_segment)
        return EvidenceFactory(
            source=source, segment=segment, collected_on=TODAY - datetime.timedelta(days=age)
        )

    def note(section, text, team="product", position=0, **fields):
        return NoteFactory(
            map=empathy_map, section=section, text=text, team=team, position=position, **fields
        )

    notes = {
        "assumption": note("says", "We need an API", team="sales", position=2),
        "assumption_early": note("says", "It must be cheap", team="sales", position=1),
        "broad": note("pains", "Receipts get lost", team="support"),
        "narrow": note("pains", "Month end takes days", team="support", position=2),
        "stale": note("does", "Exports to Excel weekly", team="engineering"),
        "contested": note("feels", "Proud of their books", team="design"),
        "soon": note("goals", "Close the month in a day", team="product"),
        "dismissed": note("thinks", "Wants AI", team="marketing", review_state="dismissed"),
    }
    note("says", "Deleted", deleted_at="2026-06-01T00:00Z")
    # broad: support from two segments and two kinds, fresh.
    LinkFactory(note=notes["broad"], evidence=evidence(age=5, segment=enterprise))
    LinkFactory(note=notes["broad"], evidence=evidence(age=9, kind="survey", source_segment=smb))
    # narrow: one fresh interview from Enterprise only.
    LinkFactory(note=notes["narrow"], evidence=evidence(age=3, segment=enterprise))
    # stale: old support from SMB.
    LinkFactory(note=notes["stale"], evidence=evidence(age=400, segment=smb))
    # contested: fresh support and a fresh contradiction.
    LinkFactory(note=notes["contested"], evidence=evidence(age=10, segment=smb))
    LinkFactory(
        note=notes["contested"],
        evidence=evidence(age=10, kind="usage_data"),
        stance="contradicts",
    )
    # soon: support that goes stale in 10 days (180-day window), with no segment.
    LinkFactory(note=notes["soon"], evidence=evidence(age=170, kind="survey"))
    LinkFactory(note=notes["soon"], evidence=evidence(age=175, kind="interview"))
    return notes


def review(api, user, empathy_map):
    response = api(user).get(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert response.status_code == 200, response.data
    return response.data


def test_counts_by_status_section_and_team(api, vera, empathy_map, seeded):
    data = review(api, vera, empathy_map)
    assert data["total"] == 8
    assert data["counts"] == {"assumption": 3, "supported": 3, "stale": 1, "contested": 1}
    assert data["narrow"] == 3  # "narrow", "stale" and "contested": one segment, one kind
    assert data["by_section"]["says"] == {
        "assumption": 2,
        "supported": 0,
        "stale": 0,
        "contested": 0,
    }
    assert data["by_section"]["pains"]["supported"] == 2
    assert list(data["by_section"]) == empathy_map.sections
    assert data["by_team"] == {
        "sales": 2,
        "support": 2,
        "engineering": 1,
        "design": 1,
        "product": 1,
        "marketing": 1,
    }
    assert data["by_team_status"]["sales"]["assumption"] == 2
    assert data["review_states"]["dismissed"] == 1
    assert data["today"] == "2026-06-30"
    assert set(data["sections_without_evidence"]) == {
        "says",
        "thinks",
        "gains",
        "sees",
        "hears",
    }


def test_segment_coverage_matrix(api, vera, empathy_map, seeded):
    data = review(api, vera, empathy_map)
    assert [segment["name"] for segment in data["segments"]] == ["Enterprise", "SMB", "Students"]
    coverage = data["coverage"]
    assert coverage["pains"] == {"Enterprise": 2, "SMB": 1, "Students": 0}
    assert coverage["does"] == {"Enterprise": 0, "SMB": 1, "Students": 0}
    assert coverage["feels"] == {"Enterprise": 0, "SMB": 1, "Students": 0}
    assert coverage["says"] == {"Enterprise": 0, "SMB": 0, "Students": 0}
    assert data["coverage_unsegmented"]["goals"] == 1
    assert data["coverage_unsegmented"]["feels"] == 0  # contradictions do not count
    assert data["segments_without_evidence"] == ["Students"]


def test_the_assumption_queue_puts_assumptions_first(api, vera, empathy_map, seeded):
    data = review(api, vera, empathy_map)
    queue = [(entry["reason"], entry["note"]["id"]) for entry in data["assumption_queue"]]
    assert queue == [
        ("assumption", seeded["assumption_early"].pk),
        ("assumption", seeded["assumption"].pk),
        ("contested", seeded["contested"].pk),
        ("stale", seeded["stale"].pk),
        ("narrow", seeded["narrow"].pk),
    ]


def test_notes_going_stale_within_thirty_days(api, vera, empathy_map, seeded):
    data = review(api, vera, empathy_map)
    assert data["stale_soon_days"] == 30
    assert [note["id"] for note in data["stale_soon"]] == [seeded["soon"].pk]
    assert data["stale_soon"][0]["fresh_until"] == "2026-07-10"


def test_the_shelf_life_moves_notes_into_the_stale_soon_list(api, alice, vera, empathy_map, seeded):
    api(alice).patch(
        f"/api/v1/maps/{empathy_map.pk}/", {"shelf_life": {"survey": 30}}, format="json"
    )
    data = review(api, vera, empathy_map)
    # "broad" has survey support 9 days old: fresh for 21 more days now, and its interview
    # (5 days old, 180-day window) keeps it fresh longer, so it is not going stale.
    assert [note["id"] for note in data["stale_soon"]] == [seeded["soon"].pk]
    api(alice).patch(
        f"/api/v1/maps/{empathy_map.pk}/",
        {"shelf_life": {"survey": 30, "interview": 30}},
        format="json",
    )
    data = review(api, vera, empathy_map)
    assert {note["id"] for note in data["stale_soon"]} == {
        seeded["broad"].pk,
        seeded["narrow"].pk,
    }
    assert data["counts"]["stale"] == 2


def test_an_empty_map_has_an_empty_review(api, vera, empathy_map):
    data = review(api, vera, empathy_map)
    assert data["total"] == 0
    assert data["assumption_queue"] == []
    assert data["stale_soon"] == []
    assert data["segments"] == []
    assert set(data["coverage"]) == set(empathy_map.sections)


def test_outsiders_get_404(api, mallory, empathy_map):
    assert api(mallory).get(f"/api/v1/maps/{empathy_map.pk}/review/").status_code == 404


@pytest.mark.parametrize("notes", [5, 60])
def test_review_takes_a_fixed_number_of_queries(
    api, vera, empathy_map, workspace, notes, django_assert_max_num_queries
):
    segments = [SegmentFactory(workspace=workspace) for _ in range(4)]
    source = SourceFactory(workspace=workspace)
    for number in range(notes):
        note = NoteFactory(map=empathy_map, section=empathy_map.sections[number % 9])
        evidence = EvidenceFactory(source=source, segment=segments[number % 4])
        LinkFactory(note=note, evidence=evidence)
    with django_assert_max_num_queries(7):
        data = review(api, vera, empathy_map)
    assert data["total"] == notes
