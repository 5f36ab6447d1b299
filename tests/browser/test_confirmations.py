"""Destructive actions ask first: removing a member, archiving a map or a workspace."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_removing_a_member_asks_and_a_no_keeps_them(board_server, open_as):
    page = open_as("alice", "/w/acme/members/")
    vera_row = page.get_by_role("row").filter(has_text="vera")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    vera_row.get_by_role("button", name="Remove vera").click()
    expect(vera_row).to_be_visible()
    assert asked == ["Remove vera from Acme Research? They lose access to its maps and evidence."]

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    vera_row.get_by_role("button", name="Remove vera").click()
    expect(page.get_by_text("Member removed.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="vera")).to_have_count(0)
    assert len(asked) == 2
    status, members = board_server.request("GET", "/api/v1/workspaces/acme/members/")
    assert status == 200
    assert "vera" not in [member["username"] for member in members]
    # The server is shared by the browser tests: put vera back as she was.
    status, _ = board_server.request(
        "POST", "/api/v1/workspaces/acme/members/", {"username": "vera", "role": "viewer"}
    )
    assert status == 201
