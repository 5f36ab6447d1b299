"""One client cannot wear a process down: a message past WS_MAX_MESSAGE_BYTES closes its socket
with 4009 (1009 moved into the application range) and says why; ops past WS_OP_RATE are refused
with `rate_limited`, counted as they arrive; a user's sockets past WS_MAX_CONNECTIONS_PER_USER
are refused with 4429."""

import pytest

from maps.models import Note
from maps.socket_limits import TokenBucket
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB

CREATE = {"section": "says", "text": "Still here", "team": "support"}


async def test_a_message_over_the_size_limit_closes_the_socket_with_4009_and_a_reason(
    open_socket, tokens, empathy_map, settings
):
    settings.WS_MAX_MESSAGE_BYTES = 2000
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    text = "x" * 3000
    await socket.op("note.create", {"section": "says", "text": text}, op_id="big")
    error = await socket.next("error")
    assert error["code"] == "too_large"
    assert "2000 bytes" in error["detail"]
    assert await socket.close_code() == 4009
    assert await Note.objects.acount() == 0


async def test_a_message_under_the_limit_is_fine(open_socket, tokens, empathy_map, settings):
    settings.WS_MAX_MESSAGE_BYTES = 2000
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op("note.create", {"section": "says", "text": "x" * 900}, op_id="ok")
    assert (await socket.next("ack"))["op_id"] == "ok"


async def test_a_flood_of_ops_is_told_to_slow_down_and_nothing_is_applied_twice(
    open_socket, tokens, empathy_map, settings
):
    settings.WS_OP_RATE = 1
    settings.WS_OP_BURST = 3
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    for number in range(8):
        await socket.op("note.create", CREATE, op_id=f"flood-{number}")
    answers = [await socket.next("ack", "error") for _ in range(8)]
    acked = [answer["op_id"] for answer in answers if answer["type"] == "ack"]
    limited = [answer for answer in answers if answer.get("code") == "rate_limited"]
    assert acked == ["flood-0", "flood-1", "flood-2"]
    assert [answer["op_id"] for answer in limited] == [f"flood-{n}" for n in range(3, 8)]
    assert all(answer["retry_after"] > 0 for answer in limited)
    assert await Note.objects.acount() == 3


async def test_a_user_with_too_many_sockets_gets_4429_and_a_closed_one_frees_a_place(
    open_socket, tokens, empathy_map, settings
):
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    first = await open_socket(empathy_map.pk, token=tokens["bob"])
    await open_socket(empathy_map.pk, token=tokens["bob"])
    third = await open_socket(empathy_map.pk, token=tokens["bob"], welcome=False)
    assert await third.close_code() == 4429
    # Another user is not affected.
    await open_socket(empathy_map.pk, token=tokens["vera"])
    await first.communicator.disconnect()
    again = await open_socket(empathy_map.pk, token=tokens["bob"])
    assert again.welcome["type"] == "welcome"


def test_the_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=2, clock=lambda: now[0])
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    assert bucket.wait_seconds() == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.take()
    assert not bucket.take()


async def test_the_bucket_counts_ops_as_they_arrive_not_as_they_are_applied(
    open_socket, tokens, empathy_map, settings, monkeypatch
):
    """Ops slower to apply than the bucket refills are still limited: they are counted on
    arrival, so a flood cannot queue up behind the database unseen."""
    import time

    from maps import consumers

    real_apply_note_ops = consumers.apply_note_ops

    def slow_apply_note_ops(**kwargs):
        time.sleep(0.1)  # a database under load
        return real_apply_note_ops(**kwargs)

    monkeypatch.setattr(consumers, "apply_note_ops", slow_apply_note_ops)
    settings.WS_OP_RATE = 20
    settings.WS_OP_BURST = 3
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    for number in range(10):
        await socket.op("note.create", CREATE, op_id=f"flood-{number}")
    answers = [await socket.next("ack", "error") for _ in range(10)]
    acked = sorted(answer["op_id"] for answer in answers if answer["type"] == "ack")
    limited = [answer for answer in answers if answer.get("code") == "rate_limited"]
    assert len(acked) <= 6
    assert len(limited) == 10 - len(acked)
    assert await Note.objects.acount() == len(acked)
