"""GET /api/v1/maps/{id}/alignment/ on a map whose numbers were worked out by hand."""

import pytest

from research.status import today
from tests.factories import EvidenceFactory, LinkFactory, SourceFactory
from tests.workshop_support import assign_teams, create_note, open_vote, put_stance, vote

pytestmark = pytest.mark.django_db


def mark_reviewed(api, lead, empathy_map):
    assert api(lead).post(f"/api/v1/maps/{empathy_map.pk}/review/").status_code == 200


def alignment(api, user, empathy_map):
    response = api(user).get(f"/api/v1/maps/{empathy_map.pk}/alignment/")
    assert response.status_code == 200
    return response.data


@pytest.fixture
def workshop(api, monkeypatch, workspace, alice, bob, rita, vera, empathy_map):
    """Teams: alice product, bob design, rita research, vera sales. Seven live notes:

    n1 says    product agree, design agree                    shared
    n2 says    product agree, design disagree                 disputed
    n3 thinks  design, research, sales agree (supported)      shared
    n4 does    design agree                                   single team
    n7 does    research disagree                              single team
    n5 feels   no stance (dismissed)                          single team
    n6 feels   product agree, research agree, sales disagree  disputed
    n8 says    product and design agree, then deleted         not counted

    Checkpoints: before any note (null), after the notes (0 of 8), after n1's stances and n8's
    deletion (1 of 7), at the end (2 of 7).
    """
    assign_teams(
        monkeypatch,
        workspace,
        {alice: "product", bob: "design", rita: "research", vera: "sales"},
    )
    mark_reviewed(api, alice, empathy_map)
    made = {}
    for name, section in [
        ("n1", "says"),
        ("n2", "says"),
        ("n3", "thinks"),
        ("n4", "does"),
        ("n7", "does"),
        ("n5", "feels"),
        ("n6", "feels"),
        ("n8", "says"),
    ]:
        made[name] = create_note(api, bob, empathy_map, f"Note {name}", section=section)["id"]
    mark_reviewed(api, alice, empathy_map)
    put_stance(api, alice, made["n1"], "agree")
    put_stance(api, bob, made["n1"], "agree")
    put_stance(api, vera, made["n1"], "disagree")
    put_stance(api, vera, made["n1"], None)  # taken back: n1 stays shared
    put_stance(api, alice, made["n8"], "agree")
    put_stance(api, bob, made["n8"], "agree")
    api(bob).delete(f"/api/v1/notes/{made['n8']}/")
    mark_reviewed(api, alice, empathy_map)
    stances = [
        (alice, "n2", "agree"),
        (bob, "n2", "agree"),
        (bob, "n2", "disagree"),  # changed
        (bob, "n3", "agree"),
        (rita, "n3", "agree"),
        (vera, "n3", "agree"),
        (bob, "n4", "agree"),
        (rita, "n6", "agree"),
        (vera, "n6", "disagree"),
        (alice, "n6", "agree"),
        (rita, "n7", "disagree"),
    ]
    for user, name, stance in stances:
        assert put_stance(api, user, made[name], stance).status_code == 200
    source = SourceFactory(workspace=workspace, collected_on=today())
    LinkFactory(note_id=made["n3"], evidence=EvidenceFactory(source=source))
    api(alice).post(f"/api/v1/notes/{made['n5']}/review/", {"state": "dismissed"}, format="json")
    mark_reviewed(api, alice, empathy_map)
    return made


def test_the_score_is_shared_notes_over_live_notes(api, vera, workshop, empathy_map):
    data = alignment(api, vera, empathy_map)
    n = workshop
    assert data["score"] == 0.2857  # 2 of 7
    assert sorted(data["shared"]) == sorted([n["n1"], n["n3"]])
    assert sorted(data["disputed"]) == sorted([n["n2"], n["n6"]])
    assert sorted(data["single_team"]) == sorted([n["n4"], n["n5"], n["n7"]])


def test_each_section_has_its_score_and_empty_ones_none(api, vera, workshop, empathy_map):
    assert alignment(api, vera, empathy_map)["by_section"] == {
        "says": 0.5,
        "thinks": 1.0,
        "does": 0.0,
        "feels": 0.0,
        "goals": None,
        "pains": None,
        "gains": None,
        "sees": None,
        "hears": None,
    }


def test_each_pair_of_teams_has_its_score(api, vera, workshop, empathy_map):
    pairs = {
        tuple(pair["teams"]): (pair["score"], pair["agreed"], pair["notes"])
        for pair in alignment(api, vera, empathy_map)["by_team_pair"]
    }
    assert pairs == {
        ("design", "product"): (0.2, 1, 5),
        ("design", "research"): (0.1667, 1, 6),
        ("design", "sales"): (0.2, 1, 5),
        ("product", "research"): (0.2, 1, 5),
        ("product", "sales"): (0.0, 0, 4),
        ("research", "sales"): (0.3333, 1, 3),
    }


def test_history_has_one_point_per_checkpoint_as_it_was_then(api, vera, workshop, empathy_map):
    history = alignment(api, vera, empathy_map)["history"]
    assert [point["score"] for point in history] == [None, 0.0, 0.1429, 0.2857]
    seqs = [point["seq"] for point in history]
    assert seqs == sorted(seqs)
    assert seqs[0] == 1
    assert all(point["at"] for point in history)


def test_loud_assumptions_rank_votes_plus_agreements(api, alice, bob, vera, workshop, empathy_map):
    n = workshop
    open_vote(api, alice, empathy_map, per_person=3)
    vote(api, alice, n["n7"])
    vote(api, alice, n["n7"])
    for _ in range(3):
        vote(api, vera, n["n7"])
    vote(api, bob, n["n4"])
    # n7: 0 agreements + 5 votes; n1, n6: 2 agreements; n4: 1 + 1 vote; n2: 1.
    # Ties (2) go in board order: says (n1), does (n4), feels (n6). n3 is supported and n5
    # dismissed: neither is listed.
    expected = [n["n7"], n["n1"], n["n4"], n["n6"], n["n2"]]
    assert alignment(api, vera, empathy_map)["loud_assumptions"] == expected


def test_a_blind_vote_does_not_reorder_loud_assumptions_for_non_leads(
    api, alice, vera, workshop, empathy_map
):
    n = workshop
    open_vote(api, alice, empathy_map, per_person=3, blind=True)
    for _ in range(3):
        vote(api, vera, n["n7"])
    # vera sees agreements only: n1 2, n6 2, n2 1, n4 1, n7 0.
    assert alignment(api, vera, empathy_map)["loud_assumptions"] == [
        n["n1"],
        n["n6"],
        n["n2"],
        n["n4"],
        n["n7"],
    ]
    assert alignment(api, alice, empathy_map)["loud_assumptions"][0] == n["n7"]


def test_a_map_without_notes_has_no_score(api, vera, empathy_map):
    data = alignment(api, vera, empathy_map)
    assert data["score"] is None
    assert set(data["by_section"].values()) == {None}
    assert data["by_team_pair"] == []
    assert data["shared"] == data["disputed"] == data["single_team"] == []
    assert data["loud_assumptions"] == []
    assert data["history"] == []


def test_outsiders_get_404(api, mallory, empathy_map):
    response = api(mallory).get(f"/api/v1/maps/{empathy_map.pk}/alignment/")
    assert response.status_code == 404


def test_alignment_takes_a_fixed_number_of_queries(
    api, vera, workshop, empathy_map, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        alignment(api, vera, empathy_map)
