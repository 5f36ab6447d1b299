"""Private drafting on the map's past: history, as_of, compare and the recycle bin leave out the
notes a member may not see now, as every other path does (maps/history.py, visible_note_ids)."""

import json

import pytest

from maps import services
from tests.maps.test_drafting import DESIGN_MARK, PRODUCT_MARK, drafting, teams  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_member_cannot_read_the_history_of_another_teams_draft(api, drafting, bob):  # noqa: F811
    design_note = drafting["notes"]["design"]["id"]
    product_note = drafting["notes"]["product"]["id"]

    assert api(bob).get(f"/api/v1/notes/{design_note}/history/").status_code == 404
    response = api(bob).get(f"/api/v1/notes/{product_note}/history/")
    assert response.status_code == 200
    assert PRODUCT_MARK in json.dumps(response.data)


def test_the_map_as_of_a_moment_leaves_out_other_teams_drafts(
    api,
    drafting,  # noqa: F811
    empathy_map,
    bob,
    alice,
):
    seq = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/").data["seq"]

    seen = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/", {"as_of": seq})
    assert seen.status_code == 200
    assert PRODUCT_MARK in json.dumps(seen.data)
    assert DESIGN_MARK not in json.dumps(seen.data)
    lead = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/", {"as_of": seq})
    assert DESIGN_MARK in json.dumps(lead.data)


def test_compare_leaves_out_other_teams_drafts(api, drafting, empathy_map, bob):  # noqa: F811
    response = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/compare/", {"from": 0})
    assert response.status_code == 200
    assert PRODUCT_MARK in json.dumps(response.data)
    assert DESIGN_MARK not in json.dumps(response.data)


def test_the_bin_leaves_out_other_teams_drafts(api, drafting, empathy_map, alice, bob):  # noqa: F811
    for name in ("product", "design"):
        services.note_delete(actor=alice, note_id=drafting["notes"][name]["id"])

    response = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/notes/", {"deleted": "only"})
    assert response.status_code == 200
    assert [note["text"] for note in response.data] == [PRODUCT_MARK]


def test_alignment_counts_only_the_notes_a_member_sees_while_drafting(
    api,
    drafting,  # noqa: F811
    empathy_map,
    alice,
    bob,
):
    design_note = drafting["notes"]["design"]["id"]
    product_note = drafting["notes"]["product"]["id"]

    seen = api(bob).get(f"/api/v1/maps/{empathy_map.pk}/alignment/").data
    listed = seen["shared"] + seen["single_team"] + seen["disputed"]
    assert product_note in listed
    assert design_note not in listed + seen["loud_assumptions"]
    lead = api(alice).get(f"/api/v1/maps/{empathy_map.pk}/alignment/").data
    assert design_note in lead["shared"] + lead["single_team"] + lead["disputed"]
