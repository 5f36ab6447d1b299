"""Who may open /ws/maps/{id}/, and what they are told first."""

import pytest
from channels.db import database_sync_to_async as db

from maps import services
from tests.ws.support import LIVE_DB, session_cookie_for

pytestmark = LIVE_DB


async def test_it_welcomes_a_member_with_a_token(open_socket, tokens, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    assert socket.welcome == {
        "type": "welcome",
        "seq": 0,
        "user": {"username": "bob", "name": "bob", "role": "editor", "team": "other"},
        "presence": [{"username": "bob", "name": "bob", "role": "editor", "team": "other"}],
    }


async def test_it_welcomes_a_member_with_the_session_cookie(open_socket, bob, empathy_map):
    cookie = await db(session_cookie_for)(bob)
    socket = await open_socket(empathy_map.pk, cookie=cookie)
    assert socket.welcome["user"]["username"] == "bob"


async def test_the_welcome_carries_the_maps_current_seq(open_socket, api, bob, tokens, empathy_map):
    for text in ("one", "two"):
        await db(api(bob).post)(
            f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": text}
        )
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    assert socket.welcome["seq"] == 2
    assert await socket.nothing()


async def test_it_closes_with_4401_without_a_user(open_socket, empathy_map):
    socket = await open_socket(empathy_map.pk, welcome=False)
    assert socket.connected
    assert await socket.close_code() == 4401


async def test_it_closes_with_4401_for_an_unknown_token(open_socket, empathy_map):
    socket = await open_socket(empathy_map.pk, token="not-a-token", welcome=False)
    assert await socket.close_code() == 4401


async def test_it_closes_with_4404_for_a_non_member(open_socket, tokens, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["mallory"], welcome=False)
    assert socket.connected
    assert await socket.close_code() == 4404


async def test_it_closes_with_4404_for_a_map_that_does_not_exist(open_socket, tokens):
    socket = await open_socket(999999, token=tokens["alice"], welcome=False)
    assert await socket.close_code() == 4404


@pytest.mark.parametrize(
    "origin", [b"https://evil.example", b"http://127.0.0.1.evil.example", b"null", None]
)
async def test_a_foreign_origin_cannot_open_a_socket_with_the_users_cookie(
    open_socket, bob, empathy_map, origin, settings
):
    assert settings.DEBUG is False
    cookie = await db(session_cookie_for)(bob)
    socket = await open_socket(empathy_map.pk, cookie=cookie, origin=origin, welcome=False)
    assert not socket.connected


async def test_an_allowed_host_on_any_port_is_a_valid_origin(open_socket, tokens, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"], origin=b"http://localhost:8123")
    assert socket.welcome["type"] == "welcome"


async def test_the_origin_rule_holds_with_empty_allowed_hosts_under_debug(
    open_socket, tokens, empathy_map, settings
):
    # Channels' AllowedHostsOriginValidator would let any origin in here; ours does not.
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    socket = await open_socket(
        empathy_map.pk, token=tokens["bob"], origin=b"http://localhost:8000", welcome=False
    )
    assert not socket.connected


async def test_a_removed_member_is_disconnected(open_socket, tokens, empathy_map, alice, bob):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(services.member_remove)(actor=alice, workspace_slug="acme", username="bob")
    assert await socket.close_code() == 4404


async def test_a_role_change_keeps_the_socket_open(open_socket, tokens, empathy_map, alice):
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(services.member_update)(
        actor=alice, workspace_slug="acme", username="bob", role="viewer"
    )
    presence = await socket.next("presence")
    bob = {"username": "bob", "name": "bob", "role": "viewer", "team": "other"}
    assert presence["users"] == [bob]
    await socket.op("note.create", {"section": "says", "text": "hi"}, op_id="o1")
    error = await socket.next("error")
    assert error["code"] == "forbidden"
