"""No message a client sends ends its socket or reaches the database unchecked: deep nesting,
lone surrogates and NUL bytes are refused with `invalid`, and the socket stays open (issue 12)."""

import pytest

from maps.models import Note
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB

CREATE = {"section": "says", "text": "Still here", "team": "support"}


async def assert_still_open(socket) -> None:
    await socket.op("note.create", CREATE, op_id="after")
    ack = await socket.next("ack")
    assert ack["op_id"] == "after"


async def test_a_deeply_nested_message_is_refused_and_the_socket_stays_open(
    open_socket, tokens, empathy_map
):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.communicator.send_to(text_data="[" * 10000 + "]" * 10000)
    error = await socket.next("error")
    assert error["code"] == "invalid"
    await assert_still_open(socket)


@pytest.mark.parametrize(
    "message",
    [
        '{"type": "op", "op_id": "x\\ud800", "action": "note.create", "data": {}}',
        '{"type": "op", "op_id": "op-1", "action": "note.create",'
        ' "data": {"section": "says", "text": "a\\ud800b"}}',
        '{"type": "op", "op_id": "op-1", "action": "note.create",'
        ' "data": {"section": "says", "text": "a\\u0000b"}}',
        '{"type": "op", "op_id": "op-1", "action": "note.create",'
        ' "data": {"section": "says", "text": "ok", "team": "\\ud800"}}',
    ],
    ids=["surrogate-op-id", "surrogate-text", "nul-text", "surrogate-team"],
)
async def test_a_lone_surrogate_or_nul_is_invalid_and_nothing_is_stored(
    open_socket, tokens, empathy_map, message
):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.communicator.send_to(text_data=message)
    error = await socket.next("error")
    assert error["code"] == "invalid", error
    assert "Traceback" not in error["detail"]
    await assert_still_open(socket)
    assert await Note.objects.acount() == 1


async def test_a_refused_op_names_its_op_id_so_the_client_takes_its_change_back(
    open_socket, tokens, empathy_map
):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.communicator.send_to(
        text_data='{"type": "op", "op_id": "op-7", "action": "note.create",'
        ' "data": {"section": "says", "text": "a\\u0000b"}}'
    )
    error = await socket.next("error")
    assert (error["code"], error["op_id"]) == ("invalid", "op-7")
    await socket.communicator.send_to(
        text_data='{"type": "op", "op_id": "x\\ud800", "action": "note.create", "data": {}}'
    )
    assert (await socket.next("error"))["op_id"] is None
