"""The caps per map over the socket: `note.create` and `comment.create` past them are refused
with `invalid`, the field and the cap's code as `reason`, nothing applied and the socket open."""

import pytest
from channels.db import database_sync_to_async as db

from maps.models import Comment, Note
from tests.factories import NoteFactory
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB


@pytest.fixture
def caps(settings):
    settings.MAX_NOTES_PER_MAP = 2
    settings.MAX_COMMENTS_PER_MAP = 1
    return settings


def count(model, **filters):
    return model.objects.filter(**filters).count()


async def test_a_note_create_past_the_cap_is_invalid_naming_it(
    open_socket, tokens, caps, bob, empathy_map
):
    await db(NoteFactory.create_batch)(2, map=empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])

    await socket.op("note.create", {"section": "says", "text": "Third"}, op_id="full-1")

    error = await socket.next("error", "ack", "event")
    assert error["code"] == "invalid"
    assert (error["op_id"], error["field"], error["reason"]) == (
        "full-1",
        "notes",
        "too_many_notes",
    )
    assert "at most 2 notes (MAX_NOTES_PER_MAP)" in error["detail"]
    assert await db(count)(Note, map=empathy_map) == 2
    # The socket stays open and usable: a move is not a new note.
    note = await db(Note.objects.filter(map=empathy_map).first)()
    await socket.op("note.update", {"id": note.pk, "section": "pains"}, op_id="move-1")
    assert (await socket.next("ack"))["note"]["section"] == "pains"


async def test_a_comment_create_past_the_cap_is_invalid_naming_it(
    open_socket, tokens, caps, bob, empathy_map
):
    note = await db(NoteFactory)(map=empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("comment.create", {"note": note.pk, "text": "First"}, op_id="c1")
    assert (await socket.next("ack"))["op_id"] == "c1"

    await socket.op("comment.create", {"note": note.pk, "text": "Second"}, op_id="c2")

    error = await socket.next("error")
    assert (error["op_id"], error["code"], error["field"]) == ("c2", "invalid", "comments")
    assert error["reason"] == "too_many_comments"
    assert "MAX_COMMENTS_PER_MAP" in error["detail"]
    assert await db(count)(Comment, note=note) == 1
