"""Private drafting over the websocket: live events, resume, ops and reveal.

Teams: alice (lead) leadership, bob (editor) product, rita (researcher) design, vera (viewer)
design. An event about a note hidden from a socket reaches it as a bare placeholder.
"""

from channels.db import database_sync_to_async as db

from maps import services
from maps.models import Membership
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB

DESIGN_MARK = "zq-design-draft-7731"
PLACEHOLDER_KEYS = {"type", "seq", "kind", "at"}


def set_teams(workspace_id, **teams):
    for username, team in teams.items():
        Membership.objects.filter(workspace_id=workspace_id, user__username=username).update(
            team=team
        )


def start_drafting(empathy_map, alice):
    set_teams(
        empathy_map.workspace_id, alice="leadership", bob="product", rita="design", vera="design"
    )
    services.map_update(actor=alice, map_id=empathy_map.pk, phase="drafting")


def create(actor, empathy_map, text, **fields):
    return services.note_create(
        actor=actor, map_id=empathy_map.pk, section="says", text=text, **fields
    )


async def test_a_hidden_notes_events_reach_another_team_as_bare_placeholders(
    open_socket, tokens, team, empathy_map
):
    await db(start_drafting)(empathy_map, team["alice"])
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    alice = await open_socket(empathy_map.pk, token=tokens["alice"])
    note = await db(create)(team["rita"], empathy_map, DESIGN_MARK)
    await db(services.note_update)(actor=team["rita"], note_id=note["id"], version=1, text="v2")
    await db(services.note_delete)(actor=team["rita"], note_id=note["id"])
    mine = await db(create)(team["bob"], empathy_map, "Bob's own")

    seen = await bob.collect(4, "event")
    assert [event["seq"] for event in seen] == [2, 3, 4, 5]
    for placeholder in seen[:3]:
        assert set(placeholder) == PLACEHOLDER_KEYS
        assert placeholder["kind"] == "hidden"
    assert DESIGN_MARK not in repr(seen)
    assert seen[3]["note"] == mine

    kinds = ["note.created", "note.updated", "note.deleted"]
    for socket, last in ((vera, "hidden"), (alice, "note.created")):
        events = await socket.collect(4, "event")
        assert [event["kind"] for event in events] == [*kinds, last]
        assert events[0]["note"]["text"] == DESIGN_MARK
    assert await bob.nothing_but("presence")


async def test_resume_sends_placeholders_too(open_socket, tokens, team, empathy_map):
    await db(create)(team["alice"], empathy_map, "Before drafting", team="design")
    await db(start_drafting)(empathy_map, team["alice"])
    await db(create)(team["rita"], empathy_map, DESIGN_MARK)
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    await bob.send({"type": "resume", "since": 0})
    events = await bob.collect(3, "event")
    # The design note is hidden now, so in its past too (made before drafting began); then the
    # phase; then a hidden draft.
    assert events[0] == {"type": "event", "seq": 1, "kind": "hidden", "at": events[0]["at"]}
    assert "Before drafting" not in repr(events)
    assert events[1]["kind"] == "map.updated"
    assert events[1]["map"]["phase"] == "drafting"
    assert events[2] == {"type": "event", "seq": 3, "kind": "hidden", "at": events[2]["at"]}
    assert (await bob.next("resumed"))["seq"] == 3
    await bob.send({"type": "resume", "since": 2})
    assert set(await bob.next("event")) == PLACEHOLDER_KEYS


async def test_ops_on_a_hidden_note_are_not_found(open_socket, tokens, team, empathy_map):
    await db(start_drafting)(empathy_map, team["alice"])
    note = await db(create)(team["rita"], empathy_map, DESIGN_MARK)
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    await bob.op("note.update", {"id": note["id"], "version": 1, "text": "Mine now"}, op_id="u1")
    await bob.op("note.update", {"id": note["id"], "section": "feels"}, op_id="m1")
    await bob.op("note.delete", {"id": note["id"], "version": 1}, op_id="d1")
    errors = await bob.collect(3, "error")
    assert [error["code"] for error in errors] == ["not_found"] * 3
    assert DESIGN_MARK not in repr(errors)
    assert "current" not in repr(errors)


async def test_a_created_note_takes_the_authors_team_and_is_acked_to_the_sender(
    open_socket, tokens, team, empathy_map
):
    await db(start_drafting)(empathy_map, team["alice"])
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    rita = await open_socket(empathy_map.pk, token=tokens["rita"])
    await bob.op("note.create", {"section": "says", "text": "Product's view"}, op_id="c1")
    event = await bob.next("event")
    ack = await bob.next("ack")
    assert event["note"]["team"] == "product"
    assert ack["note"]["team"] == "product"
    assert set(await rita.next("event")) == PLACEHOLDER_KEYS
    await bob.op("note.create", {"section": "says", "text": "x", "team": "design"}, op_id="c2")
    error = await bob.next("error")
    assert (error["code"], error["field"]) == ("invalid", "team")


async def test_entering_drafting_mid_stream_hides_what_follows(
    open_socket, tokens, team, empathy_map
):
    await db(set_teams)(empathy_map.workspace_id, bob="product", rita="design")
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(create)(team["rita"], empathy_map, "Open for all")
    await db(services.map_update)(actor=team["alice"], map_id=empathy_map.pk, phase="drafting")
    await db(create)(team["rita"], empathy_map, DESIGN_MARK)
    await db(services.map_update)(actor=team["alice"], map_id=empathy_map.pk, phase="open")
    await db(create)(team["rita"], empathy_map, "Open again")
    events = await bob.collect(5, "event")
    assert [event["kind"] for event in events] == [
        "note.created",
        "map.updated",
        "hidden",
        "map.updated",
        "note.created",
    ]
    assert events[3]["map"]["phase"] == "open"
    assert events[4]["note"]["text"] == "Open again"


async def test_reveal_reaches_every_open_socket(open_socket, tokens, team, empathy_map):
    await db(start_drafting)(empathy_map, team["alice"])
    sockets = [
        await open_socket(empathy_map.pk, token=tokens[name])
        for name in ("alice", "bob", "rita", "vera")
    ]
    await db(services.map_update)(actor=team["alice"], map_id=empathy_map.pk, phase="open")
    for socket in sockets:
        event = await socket.next("event")
        assert event["kind"] == "map.updated"
        assert event["map"]["phase"] == "open"


async def test_a_member_whose_team_changes_is_told_to_look_again(
    open_socket, tokens, api, team, empathy_map
):
    await db(start_drafting)(empathy_map, team["alice"])
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    assert bob.welcome["user"]["team"] == "product"
    response = await db(api(team["alice"]).patch)(
        "/api/v1/workspaces/acme/members/bob/", {"team": "design"}, format="json"
    )
    assert response.status_code == 200
    message = await bob.next("visibility")
    assert message == {"type": "visibility", "team": "design", "role": "editor"}
    presence = await bob.next("presence")
    assert presence["users"][0]["team"] == "design"
    note = await db(create)(team["rita"], empathy_map, "Design sees this")
    event = await bob.next("event")
    assert event["note"] == note


async def test_a_lead_moving_a_note_out_of_a_team_withdraws_it(
    open_socket, tokens, team, empathy_map
):
    await db(start_drafting)(empathy_map, team["alice"])
    note = await db(create)(team["bob"], empathy_map, "Product's draft")
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(services.note_update)(
        actor=team["alice"], note_id=note["id"], version=1, team="design"
    )
    event = await bob.next("event")
    assert event == {
        "type": "event",
        "seq": event["seq"],
        "kind": "note.hidden",
        "at": event["at"],
        "note": {"id": note["id"]},
    }


async def test_a_team_change_on_an_open_map_needs_no_second_look(
    open_socket, tokens, api, team, empathy_map
):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    response = await db(api(team["alice"]).patch)(
        "/api/v1/workspaces/acme/members/bob/", {"team": "design"}, format="json"
    )
    assert response.status_code == 200
    presence = await bob.next("presence", "visibility")
    assert presence["type"] == "presence"
    assert presence["users"][0]["team"] == "design"
