"""Note colours chosen on the board, avatars that keep contrast, and when a status changes."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_board import card, wait_live

pytestmark = pytest.mark.browser

LIVE = 2000

CONTRAST = """(node) => {
    const channels = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const luminance = (value) => {
        const [r, g, b] = channels(value).map((c) => {
            c /= 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const style = getComputedStyle(node);
    const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""


def test_a_chosen_colour_shows_for_everyone_and_stays(board_server, open_as):
    board = board_server.new_map(title="Colours")
    note = board_server.add_note(board["id"], "Wants fewer spreadsheets")
    bob = open_as("bob", f"/maps/{board['id']}/")
    vera = open_as("vera", f"/maps/{board['id']}/")
    wait_live(bob)
    wait_live(vera)
    expect(vera.get_by_role("button", name="Colour…")).to_have_count(0)  # a viewer cannot

    target = card(bob, "Wants fewer spreadsheets")
    target.hover()
    target.get_by_role("button", name="Colour…").click()
    menu = bob.get_by_role("group", name="Note colour")
    expect(menu.get_by_role("button")).to_have_text(
        ["Yellow", "Pink", "Blue", "Green", "Orange", "Purple"]
    )
    expect(menu.get_by_role("button", name="Yellow")).to_have_attribute("aria-pressed", "true")
    menu.get_by_role("button", name="Pink").click()
    expect(menu).to_have_count(0)
    expect(target).to_have_attribute("data-color", "pink")
    expect(card(vera, "Wants fewer spreadsheets")).to_have_attribute(
        "data-color", "pink", timeout=LIVE
    )
    paper = card(vera, "Wants fewer spreadsheets").evaluate(
        "(node) => getComputedStyle(node).backgroundColor"
    )
    assert paper == "rgb(253, 232, 240)"
    assert board_server.note(note["id"])["color"] == "pink"

    # From the keyboard alone: the button, Enter, arrows, Enter.
    target.focus()
    bob.keyboard.press("Tab")  # the card's first button
    button = target.get_by_role("button", name="Colour…")
    for _ in range(8):
        if button.evaluate("(node) => node === document.activeElement"):
            break
        bob.keyboard.press("Tab")
    bob.keyboard.press("Enter")
    expect(menu.get_by_role("button", name="Pink")).to_be_focused()
    bob.keyboard.press("ArrowDown")
    expect(menu.get_by_role("button", name="Blue")).to_be_focused()
    bob.keyboard.press("Enter")
    expect(card(vera, "Wants fewer spreadsheets")).to_have_attribute(
        "data-color", "blue", timeout=LIVE
    )
    bob.reload()
    expect(card(bob, "Wants fewer spreadsheets")).to_have_attribute("data-color", "blue")
    assert bob.errors == [] and vera.errors == []


def test_every_avatar_keeps_its_initials_readable(board_server, open_as):
    board = board_server.new_map(title="Who is here")
    pages = {name: open_as(name, f"/maps/{board['id']}/") for name in ("bob", "alice", "rita")}
    vera = open_as("vera", f"/maps/{board['id']}/")
    avatars = vera.locator(".presence-user .avatar")
    expect(avatars).to_have_count(3, timeout=LIVE)
    for index in range(3):
        assert avatars.nth(index).evaluate(CONTRAST) >= 4.5
    assert pages["bob"].errors == []


def test_the_status_says_until_when_it_is_fresh_or_since_when_it_is_stale(board_server, open_as):
    board = board_server.new_map(title="Freshness")
    fresh = board_server.add_note(board["id"], "Closes the month by hand")
    old = board_server.add_note(board["id"], "Prints every invoice")
    long_ago = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=400)
    status, source = board_server.request(
        "POST",
        "/api/v1/sources/",
        {
            "workspace": "acme",
            "kind": "interview",
            "title": "Old call",
            "collected_on": str(long_ago),
        },
        user="rita",
    )
    assert status == 201, source
    status, sources = board_server.request("GET", "/api/v1/sources/?workspace=acme")
    recent = next(item for item in sources if item["title"] == "Interview with Priya")
    for note, source_id in ((fresh, recent["id"]), (old, source["id"])):
        status, evidence = board_server.request(
            "POST", "/api/v1/evidence/", {"source": source_id, "text": "Said so."}, user="rita"
        )
        assert status == 201, evidence
        status, _ = board_server.request(
            "POST",
            f"/api/v1/notes/{note['id']}/links/",
            {"evidence": evidence["id"], "stance": "supports"},
            user="rita",
        )
        assert status == 201
    fresh_until = board_server.note(fresh["id"])["fresh_until"]
    stale_since = board_server.note(old["id"])["stale_since"]
    assert stale_since == str(long_ago + datetime.timedelta(days=181))

    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    day = bob.evaluate(
        """(iso) => new Date(`${iso}T00:00:00`).toLocaleDateString(
            undefined, {year: "numeric", month: "short", day: "numeric"})""",
        fresh_until,
    )
    stale_day = bob.evaluate(
        """(iso) => new Date(`${iso}T00:00:00`).toLocaleDateString(
            undefined, {year: "numeric", month: "short", day: "numeric"})""",
        stale_since,
    )
    expect(card(bob, "Closes the month").locator(".status")).to_have_attribute(
        "title", re.compile(rf"Fresh until {re.escape(day)}\.$")
    )
    expect(card(bob, "Prints every invoice").locator(".status")).to_have_attribute(
        "title", re.compile(rf"Went stale on {re.escape(stale_day)}\.$")
    )
    card(bob, "Prints every invoice").get_by_role("button", name="Evidence").click()
    panel = bob.get_by_role("complementary", name="Evidence")
    expect(panel).to_contain_text(f"Went stale on {stale_day}.")
    bob.get_by_role("button", name="Close evidence panel").click()
    card(bob, "Closes the month").get_by_role("button", name="Evidence").click()
    expect(panel).to_contain_text(f"Fresh until {day}.")


def test_the_panel_says_once_that_a_note_has_no_evidence(board_server, open_as):
    board = board_server.new_map(title="Panel wording")
    board_server.add_note(board["id"], "Keeps receipts in a shoebox")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    card(bob, "Keeps receipts").get_by_role("button", name="Evidence").click()
    status = bob.get_by_role("complementary", name="Evidence").locator(".panel-status")
    # Not "No supporting evidence yet. No evidence.": the status help already says it.
    expect(status).to_have_text("Assumption No supporting evidence yet.")
