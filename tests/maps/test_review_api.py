"""GET /api/v1/maps/{id}/review/: where a map stands, for the lead, in a fixed number of queries."""

import datetime

import pytest
from django.utils import timezone

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
    # 9 for the review, 9 for its status changes (the event log replayed at two moments).
    with django_assert_max_num_queries(18):
        data = review(api, vera, empathy_map)
    assert data["total"] == notes


# Where teams see the customer differently ---------------------------------------------------


def team_counts(notes, **statuses):
    return {
        "notes": notes,
        **dict.fromkeys(["assumption", "supported", "stale", "contested"], 0),
    } | (statuses)


def test_it_counts_each_teams_notes_by_status_per_section(api, vera, empathy_map, workspace):
    fresh = EvidenceFactory(source=SourceFactory(workspace=workspace), collected_on=TODAY)

    def note(section, team, *, supported=False, contested=False):
        made = NoteFactory(map=empathy_map, section=section, team=team)
        if supported or contested:
            LinkFactory(note=made, evidence=fresh)
        if contested:
            LinkFactory(
                note=made,
                evidence=EvidenceFactory(source=fresh.source, collected_on=TODAY),
                stance="contradicts",
            )
        return made

    note("pains", "marketing")
    note("pains", "marketing")
    note("pains", "marketing", supported=True)
    note("pains", "research", supported=True)
    note("pains", "research", supported=True)
    note("feels", "design", contested=True)
    note("feels", "product")
    note("says", "sales", contested=True)  # one team alone: nobody to differ with
    NoteFactory(map=empathy_map, section="says", team="support", deleted_at="2026-06-01T00:00Z")

    teams = review(api, vera, empathy_map)["teams_by_section"]
    assert list(teams) == empathy_map.sections
    assert teams["pains"]["teams"] == {
        "marketing": team_counts(3, assumption=2, supported=1),
        "research": team_counts(2, supported=2),
    }
    assert list(teams["pains"]["teams"]) == ["marketing", "research"]  # most notes first
    assert teams["pains"]["signals"] == [
        {"kind": "assumed_vs_supported", "assuming": ["marketing"], "supported": ["research"]}
    ]
    assert teams["feels"]["signals"] == [{"kind": "contested", "teams": ["design"]}]
    assert teams["says"] == {"teams": {"sales": team_counts(1, contested=1)}, "signals": []}
    assert teams["gains"] == {"teams": {}, "signals": []}


def test_half_assumptions_is_not_mostly_assumptions(api, vera, empathy_map, workspace):
    fresh = EvidenceFactory(source=SourceFactory(workspace=workspace), collected_on=TODAY)
    NoteFactory(map=empathy_map, section="pains", team="marketing")
    LinkFactory(
        note=NoteFactory(map=empathy_map, section="pains", team="marketing"), evidence=fresh
    )
    LinkFactory(note=NoteFactory(map=empathy_map, section="pains", team="research"), evidence=fresh)
    assert review(api, vera, empathy_map)["teams_by_section"]["pains"]["signals"] == []


def test_one_note_per_team_is_not_a_view(api, vera, empathy_map, workspace):
    fresh = EvidenceFactory(source=SourceFactory(workspace=workspace), collected_on=TODAY)
    NoteFactory(map=empathy_map, section="pains", team="marketing")
    LinkFactory(note=NoteFactory(map=empathy_map, section="pains", team="research"), evidence=fresh)
    data = review(api, vera, empathy_map)
    assert data["teams_by_section"]["pains"]["signals"] == []
    assert data["teams"]["signals"] == []


def test_the_whole_map_shows_where_teams_differ_across_sections(api, vera, empathy_map, workspace):
    fresh = EvidenceFactory(source=SourceFactory(workspace=workspace), collected_on=TODAY)
    for section in ["says", "feels", "gains"]:
        NoteFactory(map=empathy_map, section=section, team="marketing")
    for section in ["says", "does"]:
        LinkFactory(
            note=NoteFactory(map=empathy_map, section=section, team="support"), evidence=fresh
        )
    data = review(api, vera, empathy_map)
    assert all(entry["signals"] == [] for entry in data["teams_by_section"].values())
    assert data["teams"] == {
        "teams": {
            "marketing": team_counts(3, assumption=3),
            "support": team_counts(2, supported=2),
        },
        "signals": [
            {"kind": "assumed_vs_supported", "assuming": ["marketing"], "supported": ["support"]}
        ],
    }


# What changed since the last review ---------------------------------------------------------


def create(api, user, empathy_map, text, section="pains"):
    response = api(user).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": section, "text": text}, format="json"
    )
    assert response.status_code == 201, response.data
    return response.data


def review_note(api, lead, note):
    response = api(lead).post(f"/api/v1/notes/{note['id']}/review/", {"state": "validated"})
    assert response.status_code == 200, response.data
    return response.data


def mark_reviewed(api, lead, empathy_map):
    response = api(lead).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert response.status_code == 200, response.data
    return response.data


def test_changes_since_the_last_review_count_every_kind(api, alice, bob, rita, vera, empathy_map):
    reviewed = create(api, bob, empathy_map, "Month end takes days")
    mark_reviewed(api, alice, empathy_map)
    version = review_note(api, alice, reviewed)["version"]
    later = create(api, bob, empathy_map, "Receipts get lost")
    gone = create(api, bob, empathy_map, "A typo")
    notes = api(bob)
    notes.patch(
        f"/api/v1/notes/{reviewed['id']}/", {"text": "Month end takes a week", "version": version}
    )
    notes.patch(f"/api/v1/notes/{reviewed['id']}/", {"section": "feels"})
    notes.delete(f"/api/v1/notes/{later['id']}/")
    notes.post(f"/api/v1/notes/{later['id']}/restore/")
    notes.delete(f"/api/v1/notes/{gone['id']}/")
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    link = api(rita).post(
        f"/api/v1/notes/{reviewed['id']}/links/",
        {"evidence": evidence.pk, "stance": "supports"},
        format="json",
    )
    api(rita).delete(f"/api/v1/links/{link.data['id']}/")

    changes = review(api, vera, empathy_map)["changes"]
    assert changes["basis"] == "last_review"
    assert changes["last_review"]["by"] == "alice"
    assert changes["since"] == changes["last_review"]["at"]
    assert changes["counts"] == {
        "created": 2,
        "edited": 1,
        "moved": 1,
        "deleted": 2,
        "restored": 1,
        "reviewed": 1,
        "linked": 1,
        "unlinked": 1,
        "map_updated": 0,
        "map_reviewed": 0,
        "evidence_corrected": 0,
    }
    assert changes["events"] == 10
    touched = [(entry["note"]["id"], entry["changes"], entry["by"]) for entry in changes["notes"]]
    assert touched == [  # the latest touched first
        (
            reviewed["id"],
            ["reviewed", "edited", "moved", "linked", "unlinked"],
            ["alice", "bob", "rita"],
        ),
        (gone["id"], ["created", "deleted"], ["bob"]),
        (later["id"], ["created", "deleted", "restored"], ["bob"]),
    ]
    assert changes["notes_touched"] == 3
    latest = {entry["note"]["id"]: entry["note"] for entry in changes["notes"]}
    assert latest[reviewed["id"]]["text"] == "Month end takes a week"
    assert latest[reviewed["id"]]["section"] == "feels"
    assert latest[gone["id"]]["deleted"] is True
    assert latest[later["id"]]["deleted"] is False


def test_a_map_never_reviewed_reports_its_whole_life(api, alice, bob, vera, empathy_map):
    review_note(api, alice, create(api, bob, empathy_map, "Month end takes days"))
    api(bob).patch(f"/api/v1/maps/{empathy_map.pk}/", {"title": "x"}, format="json")
    changes = review(api, vera, empathy_map)["changes"]
    assert changes["basis"] == "never_reviewed"
    assert (changes["since"], changes["last_review"]) == (None, None)
    assert changes["counts"]["created"] == 1
    assert changes["counts"]["reviewed"] == 1  # a note's review is a change, not a checkpoint
    assert changes["notes_touched"] == 1


def test_nothing_changed_right_after_a_review(api, alice, bob, vera, empathy_map):
    create(api, bob, empathy_map, "Month end takes days")
    data = mark_reviewed(api, alice, empathy_map)
    assert data["changes"]["basis"] == "last_review"
    assert (data["changes"]["events"], data["changes"]["notes"]) == (0, [])
    assert data["changes"] == review(api, vera, empathy_map)["changes"]


def test_marking_reviewed_is_an_event_and_a_checkpoint_on_the_map(
    api, alice, vera, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = mark_reviewed(api, alice, empathy_map)
    last_review = data["map"]["last_review"]
    assert last_review["by"] == "alice"
    assert last_review["seq"] == data["map"]["seq"] == 1
    assert data["changes"]["last_review"] == last_review
    assert data["changes"]["since"] == last_review["at"]

    [event] = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/events/", {"since": 0}).data["events"]
    assert (event["kind"], event["actor"], event["reviewed"]) == ("map.updated", "alice", True)
    assert event["map"]["last_review"] == last_review
    assert broadcasts == [(f"map_{empathy_map.pk}", {"type": "map.event", "event": event})]
    detail = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert detail["last_review"] == last_review


def test_earlier_checkpoints_count_as_marked_reviewed(api, alice, bob, vera, empathy_map):
    cut = timezone.now()
    mark_reviewed(api, alice, empathy_map)
    create(api, bob, empathy_map, "Month end takes days")
    mark_reviewed(api, alice, empathy_map)
    url = f"/api/v1/maps/{empathy_map.pk}/review/"
    counts = api(vera).get(url, {"since": cut.isoformat()}).data["changes"]["counts"]
    assert (counts["map_reviewed"], counts["created"], counts["map_updated"]) == (2, 1, 0)


@pytest.mark.parametrize("user", ["bob", "rita", "vera"])
def test_only_a_lead_marks_a_map_reviewed(api, user, empathy_map, request):
    response = api(request.getfixturevalue(user)).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert response.status_code == 403
    empathy_map.refresh_from_db()
    assert (empathy_map.reviewed_seq, empathy_map.seq) == (None, 0)


def test_outsiders_cannot_mark_a_map_reviewed(api, mallory, empathy_map):
    response = api(mallory).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert response.status_code == 404


def test_an_archived_map_cannot_be_marked_reviewed(api, alice, empathy_map):
    empathy_map.archived = True
    empathy_map.save()
    response = api(alice).post(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert response.status_code == 400
    assert "map" in response.data
    empathy_map.refresh_from_db()
    assert (empathy_map.reviewed_seq, empathy_map.seq) == (None, 0)


def test_since_replaces_the_last_review(api, alice, bob, vera, empathy_map):
    first = create(api, bob, empathy_map, "Month end takes days")
    cut = timezone.now()
    review_note(api, alice, first)
    mark_reviewed(api, alice, empathy_map)
    second = create(api, bob, empathy_map, "Receipts get lost")
    url = f"/api/v1/maps/{empathy_map.pk}/review/"
    changes = api(vera).get(url, {"since": cut.isoformat()}).data["changes"]
    assert changes["basis"] == "since"
    assert changes["counts"]["reviewed"] == 1
    assert [entry["note"]["id"] for entry in changes["notes"]] == [second["id"], first["id"]]
    assert changes["last_review"]["by"] == "alice"
    # A date alone means its start; an offset sent unencoded arrives with a space for its "+".
    for since in ["2000-01-01", "2000-01-01T00:00:00+02:00"]:
        changes = api(vera).get(f"{url}?since={since}").data["changes"]
        assert changes["counts"]["created"] == 2, since


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-06-01T25:00", "12"])
def test_since_must_be_a_date_and_time(api, vera, empathy_map, since):
    response = api(vera).get(f"/api/v1/maps/{empathy_map.pk}/review/", {"since": since})
    assert response.status_code == 400
    assert "since" in response.data


def test_outsiders_get_404_whatever_since_they_send(api, mallory, empathy_map):
    response = api(mallory).get(f"/api/v1/maps/{empathy_map.pk}/review/", {"since": "nope"})
    assert response.status_code == 404


@pytest.mark.parametrize("notes", [3, 40])
def test_changes_take_a_fixed_number_of_queries(
    api, alice, bob, rita, vera, empathy_map, notes, django_assert_max_num_queries
):
    evidence = EvidenceFactory(source=SourceFactory(workspace=empathy_map.workspace))
    made = [create(api, bob, empathy_map, f"Note {number}") for number in range(notes)]
    mark_reviewed(api, alice, empathy_map)
    for note in made:
        api(bob).patch(f"/api/v1/notes/{note['id']}/", {"section": "gains"})
        api(rita).post(
            f"/api/v1/notes/{note['id']}/links/",
            {"evidence": evidence.pk, "stance": "supports"},
            format="json",
        )
    # 10 for the review (one of them the notes' stances, maps/workshop/notes.py), 9 for its
    # status changes (the event log replayed at two moments).
    with django_assert_max_num_queries(19):
        data = review(api, vera, empathy_map)
    assert data["changes"]["notes_touched"] == notes
    assert data["changes"]["counts"]["linked"] == notes
