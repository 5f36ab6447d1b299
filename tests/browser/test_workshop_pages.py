"""The workshop's pages in Chromium: alignment (with its one action) and the mentions inbox."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe

pytestmark = pytest.mark.browser


def workshop_map(board_server) -> tuple[dict, list[dict]]:
    board = board_server.new_map(title="Workshop map")
    notes = [
        board_server.add_note(board["id"], text, section=section)
        for text, section in [("Hates month end", "pains"), ("Checks the bank daily", "does")]
    ]
    board_server.request("POST", f"/api/v1/maps/{board['id']}/review/")
    for user in ("alice", "bob", "vera"):
        status, _ = board_server.request(
            "PUT", f"/api/v1/notes/{notes[0]['id']}/stance/", {"stance": "agree"}, user=user
        )
        assert status == 200
    board_server.request("POST", f"/api/v1/maps/{board['id']}/review/")
    return board, notes


def test_a_lead_reads_the_alignment_and_asks_for_research(board_server, open_as):
    board, notes = workshop_map(board_server)
    page = open_as("alice", f"/maps/{board['id']}/alignment/")
    expect(page.get_by_role("heading", name="Alignment: Workshop map")).to_be_visible()
    chart = page.get_by_role("img", name="Alignment score at each review checkpoint")
    expect(chart).to_be_visible()
    loud = page.get_by_role("region", name=re.compile("^Loud assumptions"))
    expect(loud.get_by_role("listitem").first).to_contain_text("Hates month end")
    assert run_axe(page) == []
    loud.get_by_role("button", name="Ask for research: Hates month end").click()
    expect(page.get_by_text("Research asked for", exact=True)).to_be_visible()
    assert board_server.note(notes[0]["id"])["review"]["state"] == "needs_research"


def test_a_mention_shows_in_the_header_and_opens_the_note(board_server, open_as):
    board, notes = workshop_map(board_server)
    status, _ = board_server.request(
        "POST",
        f"/api/v1/notes/{notes[1]['id']}/comments/",
        {"text": "@vera does support hear this?"},
        user="bob",
    )
    assert status == 201
    page = open_as("vera", "/")
    page.get_by_role("link", name=re.compile(r"^Mentions \(\d+\)")).click()
    expect(page.get_by_role("heading", name="Mentions", exact=True)).to_be_visible()
    assert run_axe(page) == []
    page.get_by_role("link", name="@vera does support hear this?").first.click()
    expect(page).to_have_url(re.compile(rf"/maps/{board['id']}/#note-{notes[1]['id']}$"))
