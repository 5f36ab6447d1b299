"""Ops over the socket go through the same services as HTTP: `ack` to the sender, `event` to
everyone, applied once per op_id, and refused with `error` and nothing changed."""

import pytest
from channels.db import database_sync_to_async as db
from django.db import connection

from maps import selectors, services
from maps.models import MapEvent, Note
from tests.factories import MapFactory
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB

CREATE = {"section": "says", "text": "I want the numbers to add up", "team": "support"}


def create(actor, empathy_map, text="Existing note"):
    return services.note_create(actor=actor, map_id=empathy_map.pk, section="says", text=text)


def count(model, **filters):
    return model.objects.filter(**filters).count()


async def test_a_create_is_acked_to_the_sender_and_sent_to_everyone(
    open_socket, tokens, empathy_map
):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    await bob.op("note.create", CREATE, op_id="op-1")
    # The sender's stream holds its op's event before the ack.
    event = await bob.next("event", "ack")
    ack = await bob.next("ack", "event")
    assert event["kind"] == "note.created"
    assert (event["seq"], event["actor"], event["op_id"]) == (1, "bob", "op-1")
    assert ack == {"type": "ack", "op_id": "op-1", "seq": 1, "note": event["note"]}
    assert ack["note"]["text"] == CREATE["text"]
    assert ack["note"]["team"] == "support"
    assert ack["note"] == await db(selectors.note_data)(ack["note"]["id"])
    assert await vera.next("event") == event
    assert await vera.nothing()


async def test_an_update_with_the_right_version_is_applied(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    data = {"id": note["id"], "version": 1, "text": "Edited", "color": "blue"}
    await socket.op("note.update", data, op_id="edit-1")
    event = await socket.next("event")
    ack = await socket.next("ack")
    assert event["kind"] == "note.updated"
    assert ack["note"]["text"] == "Edited"
    assert ack["note"]["color"] == "blue"
    assert ack["note"]["version"] == 2


async def test_a_move_needs_no_version(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.update", {"id": note["id"], "section": "pains", "position": 2.5}, "m1")
    event = await socket.next("event")
    assert event["kind"] == "note.moved"
    assert (event["note"]["section"], event["note"]["position"]) == ("pains", 2.5)
    assert (await socket.next("ack"))["seq"] == event["seq"]


async def test_a_delete_is_a_soft_delete_sent_to_everyone(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.delete", {"id": note["id"], "version": 1}, op_id="del-1")
    ack = await socket.next("ack")
    assert ack["note"]["deleted"] is True
    event = await vera.next("event")
    assert (event["kind"], event["note"]["id"]) == ("note.deleted", note["id"])


async def test_the_same_op_twice_is_applied_once_and_acked_the_same(
    open_socket, tokens, empathy_map
):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.create", CREATE, op_id="twice")
    first = await socket.next("ack")
    await socket.op("note.create", CREATE, op_id="twice")
    assert await socket.next("ack", "event") == first
    assert await db(count)(Note, map=empathy_map) == 1
    assert await db(count)(MapEvent, map=empathy_map) == 1


async def test_a_retried_op_on_a_new_connection_gets_the_stored_ack(
    open_socket, tokens, empathy_map
):
    # The ack is stored with the event, so it holds across connections, processes and restarts.
    first_socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await first_socket.op("note.create", CREATE, op_id="retry-me")
    first = await first_socket.next("ack")
    await first_socket.communicator.disconnect()
    second_socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await second_socket.op("note.create", CREATE, op_id="retry-me")
    assert await second_socket.next("ack", "event") == first
    assert await db(count)(Note, map=empathy_map) == 1


async def test_op_ids_belong_to_their_sender(open_socket, tokens, empathy_map):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    alice = await open_socket(empathy_map.pk, token=tokens["alice"])
    await bob.op("note.create", CREATE, op_id="same-id")
    await bob.next("ack")
    await alice.op("note.create", CREATE, op_id="same-id")
    ack = await alice.next("ack")
    assert ack["seq"] == 2
    assert ack["note"]["author"] == "alice"


async def test_a_twin_that_wins_the_race_gives_its_ack_to_the_loser(
    open_socket, tokens, bob, empathy_map, monkeypatch
):
    # The stored events of ops are read under the map's lock, so a twin committed through
    # another process is found there; should it still be missed, the loser's insert fails on
    # the unique op_id, and the op, applied again alone, answers with the winner's ack.
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.create", CREATE, op_id="racer")
    winner = await socket.next("ack")
    looked_up = []
    real_stored_events = services._NoteOpBatch._stored_events

    def stored_events(batch, actor_ids):
        looked_up.append(actor_ids)
        return {} if len(looked_up) == 1 else real_stored_events(batch, actor_ids)

    monkeypatch.setattr(services._NoteOpBatch, "_stored_events", stored_events)
    await socket.op("note.create", CREATE, op_id="racer")
    assert await socket.next("ack", "error") == winner
    assert len(looked_up) == 2
    assert await db(count)(MapEvent, map=empathy_map, op_id="racer") == 1
    assert await db(count)(Note, map=empathy_map) == 1


async def test_a_stale_version_is_a_conflict_with_the_current_note(
    open_socket, tokens, alice, bob, empathy_map
):
    note = await db(create)(bob, empathy_map)
    await db(services.note_update)(actor=alice, note_id=note["id"], version=1, text="Theirs")
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.update", {"id": note["id"], "version": 1, "text": "Mine"}, "stale")
    error = await socket.next("error", "ack")
    assert error["type"] == "error"
    assert (error["op_id"], error["code"]) == ("stale", "conflict")
    assert error["detail"]
    assert error["current"]["text"] == "Theirs"
    assert error["current"]["version"] == 2
    assert await db(count)(MapEvent, map=empathy_map) == 2
    await socket.op("note.delete", {"id": note["id"], "version": 1}, "stale-delete")
    assert (await socket.next("error"))["code"] == "conflict"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("note.create", {"section": "says", "text": "   "}, "text"),
        ("note.create", {"section": "says", "text": "x" * 1001}, "text"),
        ("note.create", {"section": "nowhere", "text": "Hi"}, "section"),
        ("note.create", {"text": "Hi"}, "section"),
        ("note.create", {"section": "says", "text": "Hi", "team": "aliens"}, "team"),
        ("note.create", {"section": "says", "text": "Hi", "color": "<b>"}, "color"),
        ("note.create", {"section": "says", "text": "Hi", "position": "top"}, "position"),
        ("note.update", {"id": "NOTE", "text": "No version"}, "version"),
        ("note.update", {"id": "NOTE", "version": 0, "text": "Bad"}, "version"),
        ("note.update", {"id": "NOTE"}, "text"),
        ("note.update", {"text": "No id", "version": 1}, "id"),
        ("note.delete", {"id": "7"}, "id"),
    ],
)
async def test_invalid_data_is_refused_with_the_field(
    open_socket, tokens, bob, empathy_map, action, data, field
):
    note = await db(create)(bob, empathy_map)
    data = {name: note["id"] if value == "NOTE" else value for name, value in data.items()}
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op(action, data, op_id="bad")
    error = await socket.next("error", "ack")
    assert (error["type"], error["op_id"], error["code"]) == ("error", "bad", "invalid")
    assert error["field"] == field
    assert error["detail"]
    assert await db(count)(MapEvent, map=empathy_map) == 1


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "op", "action": "note.create", "data": CREATE}, "op_id"),
        ({"type": "op", "op_id": "", "action": "note.create", "data": CREATE}, "op_id"),
        ({"type": "op", "op_id": "x" * 65, "action": "note.create", "data": CREATE}, "op_id"),
        ({"type": "op", "op_id": "a", "action": "note.restore", "data": {"id": 1}}, "action"),
        ({"type": "op", "op_id": "a", "action": "note.create", "data": ["x"]}, "data"),
        ({"type": "dance"}, "type"),
        ({"no": "type"}, "type"),
    ],
)
async def test_malformed_messages_are_refused_and_the_socket_stays_open(
    open_socket, tokens, empathy_map, message, field
):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.send(message)
    error = await socket.next("error")
    assert (error["code"], error["field"]) == ("invalid", field)
    await socket.op("note.create", CREATE, op_id="still-works")
    assert (await socket.next("ack"))["op_id"] == "still-works"


async def test_text_that_is_not_a_json_object_is_refused(open_socket, tokens, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    for text in ("{not json", "[1, 2]", '"op"'):
        await socket.communicator.send_to(text_data=text)
        error = await socket.next("error")
        assert (error["code"], error["op_id"]) == ("invalid", None)
    await socket.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await socket.next("error"))["code"] == "invalid"


async def test_a_viewer_is_forbidden(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    for action, data in [
        ("note.create", CREATE),
        ("note.update", {"id": note["id"], "version": 1, "text": "Mine"}),
        ("note.delete", {"id": note["id"]}),
    ]:
        await socket.op(action, data, op_id=action)
        error = await socket.next("error")
        assert (error["op_id"], error["code"]) == (action, "forbidden")
    assert await db(count)(MapEvent, map=empathy_map) == 1


async def test_a_deleted_note_or_one_on_another_map_is_not_found(
    open_socket, tokens, alice, bob, workspace, empathy_map
):
    gone = await db(create)(bob, empathy_map)
    await db(services.note_delete)(actor=bob, note_id=gone["id"])
    other_map = await db(MapFactory)(workspace=workspace)
    elsewhere = await db(create)(bob, other_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    for note_id in (gone["id"], elsewhere["id"], 987654):
        await socket.op("note.update", {"id": note_id, "section": "pains"}, op_id=f"n{note_id}")
        error = await socket.next("error")
        assert error["code"] == "not_found", error
    assert await db(Note.objects.get)(pk=elsewhere["id"]) is not None
    assert (await db(Note.objects.get)(pk=elsewhere["id"])).section == "says"


async def test_an_archived_map_refuses_changes(open_socket, tokens, alice, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(services.map_archive)(actor=alice, map_id=empathy_map.pk)
    await socket.op("note.create", CREATE, op_id="late")
    error = await socket.next("error")
    assert (error["code"], error["field"]) == ("invalid", "map")


async def test_http_and_socket_changes_share_one_stream(
    open_socket, tokens, api, alice, empathy_map
):
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    await bob.op("note.create", CREATE, op_id="ws-1")
    await bob.next("ack")
    await db(api(alice).post)(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "feels", "text": "From HTTP"}
    )
    await bob.op("note.create", {**CREATE, "text": "Again"}, op_id="ws-2")
    await bob.next("ack")
    events = await vera.collect(3, "event")
    assert [(event["seq"], event["actor"], event["op_id"]) for event in events] == [
        (1, "bob", "ws-1"),
        (2, "alice", None),
        (3, "bob", "ws-2"),
    ]


def refuse_event_writes():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'writes refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_writes BEFORE INSERT ON maps_mapevent "
                "FOR EACH ROW EXECUTE FUNCTION refuse_writes()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_writes BEFORE INSERT ON maps_mapevent "
                "BEGIN SELECT RAISE(FAIL, 'writes refused'); END"
            )


def allow_event_writes():
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER refuse_writes ON maps_mapevent"
            if connection.vendor == "postgresql"
            else "DROP TRIGGER refuse_writes"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION refuse_writes()")


async def test_a_write_the_database_refuses_is_an_error_and_no_event(
    open_socket, tokens, empathy_map
):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    await db(refuse_event_writes)()
    try:
        await bob.op("note.create", CREATE, op_id="refused")
        error = await bob.next("error", "ack", "event")
    finally:
        await db(allow_event_writes)()
    assert (error["op_id"], error["code"]) == ("refused", "unavailable")
    assert await vera.nothing(0.3)
    assert await db(count)(Note, map=empathy_map) == 0
    # Sent again once the database takes writes, it is applied once.
    await bob.op("note.create", CREATE, op_id="refused")
    assert (await bob.next("ack", "error"))["seq"] == 1
    assert (await vera.next("event"))["op_id"] == "refused"


async def test_ops_sent_together_by_several_sockets_keep_each_sockets_order_and_the_seq(
    open_socket, tokens, bob, empathy_map, monkeypatch
):
    """Ops that reach the server together on one map are applied in batches (one transaction
    each); each sender still gets its answers in the order of its ops, a refused op is answered
    alone, and every socket gets every event once, in seq order."""
    from maps import consumers

    notes = [await db(create)(bob, empathy_map, f"Note {number}") for number in range(2)]
    batches = []
    real_apply_note_ops = consumers.apply_note_ops

    def apply_note_ops(**kwargs):
        batches.append(len(kwargs["ops"]))
        return real_apply_note_ops(**kwargs)

    monkeypatch.setattr(consumers, "apply_note_ops", apply_note_ops)
    alice = await open_socket(empathy_map.pk, token=tokens["alice"])
    bob_socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    for number in range(1, 6):
        for socket, name, note in ((alice, "a", notes[0]), (bob_socket, "b", notes[1])):
            data = {"id": note["id"], "version": number, "text": f"{name} {number}"}
            if name == "b" and number == 3:
                data["text"] = " "  # refused; the version stays 3 for the next one
            elif name == "b" and number > 3:
                data["version"] = number - 1
            await socket.op("note.update", data, op_id=f"{name}{number}")
    alice_answers = [await alice.next("ack", "error") for _ in range(5)]
    bob_answers = [await bob_socket.next("ack", "error") for _ in range(5)]
    assert [answer["op_id"] for answer in alice_answers] == ["a1", "a2", "a3", "a4", "a5"]
    assert [answer["op_id"] for answer in bob_answers] == ["b1", "b2", "b3", "b4", "b5"]
    assert [answer["type"] for answer in bob_answers] == ["ack", "ack", "error", "ack", "ack"]
    assert bob_answers[2]["field"] == "text"
    assert all(answer["type"] == "ack" for answer in alice_answers)
    seqs = [(await vera.next("event"))["seq"] for _ in range(9)]
    assert seqs == list(range(3, 12))
    assert await vera.nothing_but("presence")
    assert sum(batches) == 10
    texts = await db(lambda: sorted(Note.objects.values_list("text", flat=True)))()
    assert texts == ["a 5", "b 5"]
