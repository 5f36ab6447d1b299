"""Private drafting over HTTP: while a map drafts, a member who is not a lead sees only their
own team's notes on every path, and reveal shows everything again.

Teams here: alice (lead) leadership, bob (editor) product, rita (researcher) design,
vera (viewer) design. Each hidden note carries a marker that must never reach the other team.
"""

import json

import pytest

from maps import services
from maps.models import Membership
from tests.factories import EvidenceFactory, LinkFactory, SourceFactory

pytestmark = pytest.mark.django_db

PRODUCT_MARK = "zq-product-draft-1184"
DESIGN_MARK = "zq-design-draft-7731"
PLACEHOLDER_KEYS = {"type", "seq", "kind", "at"}


def set_teams(workspace, **teams):
    for username, team in teams.items():
        Membership.objects.filter(workspace=workspace, user__username=username).update(team=team)


@pytest.fixture
def teams(workspace, team):
    set_teams(workspace, alice="leadership", bob="product", rita="design", vera="design")
    return team


@pytest.fixture
def drafting(api, teams, empathy_map, alice):
    """A drafting map with a product note and a design note, both linked to evidence."""
    notes = {
        name: services.note_create(
            actor=alice, map_id=empathy_map.pk, section="pains", text=text, team=name
        )
        for name, text in [("product", PRODUCT_MARK), ("design", DESIGN_MARK)]
    }
    source = SourceFactory(workspace=empathy_map.workspace)
    evidence = EvidenceFactory(source=source, text="Receipts get lost in the car")
    links = {
        name: LinkFactory(note_id=note["id"], evidence=evidence, stance="supports")
        for name, note in notes.items()
    }
    response = api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "drafting"})
    assert response.status_code == 200, response.data
    return {"notes": notes, "links": links, "evidence": evidence}


def body(response) -> str:
    if hasattr(response, "data") and response.data is not None:
        return json.dumps(response.data, default=str)
    return response.content.decode()


# Teams of people ------------------------------------------------------------------------------


def test_a_member_is_in_team_other_until_someone_sets_it(api, alice, bob):
    members = api(alice).get("/api/v1/workspaces/acme/members/").data
    assert {member["username"]: member["team"] for member in members} == {
        "alice": "other",
        "bob": "other",
    }


def test_a_lead_sets_any_members_team(api, alice, bob):
    response = api(alice).patch("/api/v1/workspaces/acme/members/bob/", {"team": "design"})
    assert response.status_code == 200
    assert response.data == {"username": "bob", "role": "editor", "team": "design"}
    assert Membership.objects.get(user=bob).team == "design"


def test_a_member_sets_their_own_team_but_not_their_role(api, bob):
    response = api(bob).patch("/api/v1/workspaces/acme/members/bob/", {"team": "sales"})
    assert response.status_code == 200
    assert response.data["team"] == "sales"
    response = api(bob).patch(
        "/api/v1/workspaces/acme/members/bob/", {"team": "sales", "role": "lead"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(user=bob).role == "editor"


def test_a_member_may_not_set_another_members_team(api, bob, vera):
    response = api(bob).patch("/api/v1/workspaces/acme/members/vera/", {"team": "sales"})
    assert response.status_code == 403
    assert Membership.objects.get(user=vera).team == "other"


def test_an_unknown_team_is_refused_naming_the_field(api, bob):
    response = api(bob).patch("/api/v1/workspaces/acme/members/bob/", {"team": "finance"})
    assert response.status_code == 400
    assert "team" in response.data


def test_a_non_member_cannot_see_or_set_teams(api, bob, mallory):
    response = api(mallory).patch("/api/v1/workspaces/acme/members/bob/", {"team": "sales"})
    assert response.status_code == 404


def test_a_lead_adds_a_member_with_a_team(api, alice, mallory):
    response = api(alice).post(
        "/api/v1/workspaces/acme/members/",
        {"username": "mallory", "role": "editor", "team": "support"},
    )
    assert response.status_code == 201
    assert response.data["team"] == "support"


def test_a_note_without_a_team_takes_its_authors_team(api, teams, empathy_map):
    response = api(teams["bob"]).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": "Mine"}
    )
    assert response.status_code == 201
    assert response.data["team"] == "product"


def test_an_explicit_team_still_wins_on_an_open_map(api, teams, empathy_map):
    response = api(teams["bob"]).post(
        f"/api/v1/maps/{empathy_map.pk}/notes/",
        {"section": "says", "text": "For design", "team": "design"},
    )
    assert response.status_code == 201
    assert response.data["team"] == "design"


def test_the_members_page_lets_a_lead_set_each_team(client, alice, bob):
    client.force_login(alice)
    page = client.get("/w/acme/members/").content.decode()
    assert "Team of bob" in page and "Team of alice" in page
    response = client.post(
        "/w/acme/members/", {"action": "team", "username": "bob", "team": "marketing"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=bob).team == "marketing"


def test_the_members_page_lets_a_member_set_only_their_own_team(client, alice, bob):
    client.force_login(bob)
    page = client.get("/w/acme/members/").content.decode()
    assert "Team of bob" in page
    assert "Team of alice" not in page
    client.post("/w/acme/members/", {"action": "team", "username": "bob", "team": "support"})
    assert Membership.objects.get(user=bob).team == "support"
    response = client.post(
        "/w/acme/members/", {"action": "team", "username": "alice", "team": "support"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(user=alice).team == "other"


# The phase ------------------------------------------------------------------------------------


def test_a_map_is_open_until_a_lead_switches_it_to_drafting(
    api, alice, empathy_map, broadcasts, django_capture_on_commit_callbacks
):
    assert api(alice).get(f"/api/v1/maps/{empathy_map.pk}/").data["phase"] == "open"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "drafting"})
    assert response.status_code == 200
    assert response.data["phase"] == "drafting"
    [(_, message)] = broadcasts
    assert message["event"]["kind"] == "map.updated"
    assert message["event"]["map"]["phase"] == "drafting"


def test_only_a_lead_changes_the_phase(api, bob, empathy_map):
    response = api(bob).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "drafting"})
    assert response.status_code == 403
    empathy_map.refresh_from_db()
    assert empathy_map.phase == "open"


def test_an_unknown_phase_is_refused_naming_the_field(api, alice, empathy_map):
    response = api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "voting"})
    assert response.status_code == 400
    assert "phase" in response.data


def test_the_settings_page_switches_the_phase(client, alice, empathy_map):
    client.force_login(alice)
    page = client.get(f"/maps/{empathy_map.pk}/settings/").content.decode()
    assert "Workshop phase" in page
    client.post(f"/maps/{empathy_map.pk}/settings/", {"action": "phase", "phase": "drafting"})
    empathy_map.refresh_from_db()
    assert empathy_map.phase == "drafting"


# What each member sees while drafting ---------------------------------------------------------


def test_a_member_gets_only_their_teams_notes_and_counts_of_the_others(
    api, teams, empathy_map, drafting
):
    detail = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/")
    assert [note["text"] for note in detail.data["notes"]] == [PRODUCT_MARK]
    assert detail.data["hidden"] == {"design": 1}
    assert DESIGN_MARK not in body(detail)
    detail = api(teams["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/")
    assert [note["text"] for note in detail.data["notes"]] == [DESIGN_MARK]
    assert detail.data["hidden"] == {"product": 1}


def test_a_lead_sees_every_note_while_drafting(api, teams, empathy_map, drafting):
    detail = api(teams["alice"]).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert sorted(note["team"] for note in detail["notes"]) == ["design", "product"]
    assert detail["hidden"] == {}


def test_the_map_costs_the_same_queries_while_drafting(
    api, teams, empathy_map, drafting, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/")
    assert response.status_code == 200


def test_the_notes_list_and_the_recycle_bin_leave_hidden_notes_out(
    api, teams, empathy_map, drafting, alice
):
    services.note_delete(actor=alice, note_id=drafting["notes"]["design"]["id"])
    for query in ("", "?deleted=1"):
        response = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/notes/{query}")
        assert [note["text"] for note in response.data] == [PRODUCT_MARK]
        assert DESIGN_MARK not in body(response)


def test_every_request_on_a_hidden_note_is_a_404(api, teams, drafting, rita):
    hidden = drafting["notes"]["product"]["id"]
    link = drafting["links"]["product"]
    client = api(rita)  # design, researcher: may do all of these on notes of her own team
    responses = [
        client.get(f"/api/v1/notes/{hidden}/"),
        client.patch(f"/api/v1/notes/{hidden}/", {"text": "x", "version": 1}),
        client.patch(f"/api/v1/notes/{hidden}/", {"section": "says"}),
        client.delete(f"/api/v1/notes/{hidden}/"),
        client.post(f"/api/v1/notes/{hidden}/restore/"),
        client.get(f"/api/v1/notes/{hidden}/links/"),
        client.post(
            f"/api/v1/notes/{hidden}/links/",
            {"evidence": drafting["evidence"].pk, "stance": "contradicts"},
        ),
        client.delete(f"/api/v1/links/{link.pk}/"),
        client.get(f"/api/v1/notes/{hidden}/suggestions/"),
    ]
    assert [response.status_code for response in responses] == [404] * len(responses)
    own = drafting["notes"]["design"]["id"]
    assert client.get(f"/api/v1/notes/{own}/").status_code == 200
    assert client.get(f"/api/v1/notes/{own}/links/").status_code == 200


def test_a_member_writes_into_their_own_team_only_while_drafting(api, teams, empathy_map, drafting):
    client = api(teams["bob"])
    response = client.post(
        f"/api/v1/maps/{empathy_map.pk}/notes/",
        {"section": "says", "text": "Sneaky", "team": "design"},
    )
    assert response.status_code == 400
    assert "team" in response.data
    own = drafting["notes"]["product"]
    response = client.patch(f"/api/v1/notes/{own['id']}/", {"team": "design", "version": 1})
    assert response.status_code == 400
    assert "team" in response.data


def test_the_events_api_sends_placeholders_for_hidden_notes(api, teams, empathy_map, drafting):
    services.note_update(
        actor=teams["rita"],
        note_id=drafting["notes"]["design"]["id"],
        version=1,
        text="v2 " + DESIGN_MARK,
    )
    services.note_create(actor=teams["bob"], map_id=empathy_map.pk, section="says", text="Bob's")
    response = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=0")
    events = response.data["events"]
    assert [event["seq"] for event in events] == list(range(1, response.data["seq"] + 1))
    # Judged by what bob may see now: the design note is hidden in its past too, its creation
    # while the map was still open included; then drafting, a hidden edit and bob's note.
    assert [event["kind"] for event in events] == [
        "note.created",
        "hidden",
        "map.updated",
        "hidden",
        "note.created",
    ]
    assert DESIGN_MARK not in body(response)
    assert set(events[3]) == PLACEHOLDER_KEYS
    assert (
        events[3]["at"]
        == api(teams["alice"])
        .get(f"/api/v1/maps/{empathy_map.pk}/events/?since=3")
        .data["events"][0]["at"]
    )
    since_drafting = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=3")
    assert "v2 " + DESIGN_MARK not in body(since_drafting)
    assert since_drafting.data["events"][0] == events[3]


def test_events_after_the_reveal_are_whole_again(api, teams, empathy_map, drafting, alice):
    api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "open"})
    services.note_update(
        actor=teams["rita"], note_id=drafting["notes"]["design"]["id"], version=1, text="Revealed"
    )
    events = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=3").data["events"]
    assert [event["kind"] for event in events] == ["map.updated", "note.updated"]
    assert events[0]["map"]["phase"] == "open"
    assert events[1]["note"]["text"] == "Revealed"


def test_review_leaves_hidden_notes_out(api, client, teams, empathy_map, drafting):
    review = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/review/")
    assert review.status_code == 200
    assert review.data["total"] == 1
    assert DESIGN_MARK not in body(review)
    client.force_login(teams["bob"])
    page = client.get(f"/maps/{empathy_map.pk}/review/")
    assert page.status_code == 200
    assert DESIGN_MARK not in page.content.decode()
    assert PRODUCT_MARK in page.content.decode()


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_exports_leave_hidden_notes_out(api, teams, empathy_map, drafting, fmt):
    response = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/export/?format={fmt}")
    assert response.status_code == 200
    text = body(response) if fmt == "json" else response.content.decode()
    assert PRODUCT_MARK in text
    assert DESIGN_MARK not in text
    lead = api(teams["alice"]).get(f"/api/v1/maps/{empathy_map.pk}/export/?format={fmt}")
    assert DESIGN_MARK in (body(lead) if fmt == "json" else lead.content.decode())


def test_the_board_page_carries_only_visible_notes_and_links(client, teams, empathy_map, drafting):
    client.force_login(teams["bob"])
    page = client.get(f"/maps/{empathy_map.pk}/").content.decode()
    assert PRODUCT_MARK in page
    assert DESIGN_MARK not in page
    state = json.loads(
        page.split('id="board-data" type="application/json">')[1].split("</script>")[0]
    )
    assert list(state["links"]) == [str(drafting["notes"]["product"]["id"])]
    assert state["map"]["hidden"] == {"design": 1}
    assert state["me"]["team"] == "product"


def test_the_evidence_page_lists_only_visible_linked_notes(client, teams, drafting):
    client.force_login(teams["bob"])
    page = client.get(f"/w/acme/evidence/{drafting['evidence'].pk}/").content.decode()
    assert PRODUCT_MARK in page
    assert DESIGN_MARK not in page


def test_research_requests_leave_hidden_notes_out(api, teams, empathy_map, drafting, alice):
    for note in drafting["notes"].values():
        services.note_review(actor=alice, note_id=note["id"], state="needs_research")
    requests = api(teams["bob"]).get("/api/v1/research-requests/?state=all")
    assert requests.status_code == 200, requests.data
    assert PRODUCT_MARK in body(requests)
    assert DESIGN_MARK not in body(requests)


def test_a_note_a_lead_moves_out_of_a_team_is_withdrawn_from_it(api, teams, empathy_map, drafting):
    note = drafting["notes"]["product"]
    services.note_update(actor=teams["alice"], note_id=note["id"], version=1, team="design")
    events = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=3").data["events"]
    assert events == [
        {
            "type": "event",
            "seq": 4,
            "kind": "note.hidden",
            "at": events[0]["at"],
            "note": {"id": note["id"]},
        }
    ]
    # For design, it arrives whole; for vera's team it is new.
    seen = api(teams["vera"]).get(f"/api/v1/maps/{empathy_map.pk}/events/?since=3").data["events"]
    assert seen[0]["kind"] == "note.updated"
    assert seen[0]["note"]["text"] == PRODUCT_MARK
    detail = api(teams["bob"]).get(f"/api/v1/maps/{empathy_map.pk}/").data
    assert detail["notes"] == []
    assert detail["hidden"] == {"design": 2}


def test_reveal_shows_every_note_to_everyone(api, teams, empathy_map, drafting, alice):
    response = api(alice).patch(f"/api/v1/maps/{empathy_map.pk}/", {"phase": "open"})
    assert response.data["phase"] == "open"
    for name in ("bob", "rita", "vera"):
        detail = api(teams[name]).get(f"/api/v1/maps/{empathy_map.pk}/").data
        assert sorted(note["text"] for note in detail["notes"]) == sorted(
            [PRODUCT_MARK, DESIGN_MARK]
        )
        assert detail["hidden"] == {}


@pytest.mark.parametrize("phase", ["", "<b>x</b>", "x" * 300])
def test_the_settings_page_refuses_an_unknown_phase_readably(
    client, teams, empathy_map, alice, phase
):
    client.force_login(alice)
    response = client.post(
        f"/maps/{empathy_map.pk}/settings/", {"action": "phase", "phase": phase}, follow=True
    )
    assert response.status_code == 200
    assert b"<b>x</b>" not in response.content
    empathy_map.refresh_from_db()
    assert empathy_map.phase == "open"
