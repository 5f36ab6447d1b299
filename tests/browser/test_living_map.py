"""The map's past and its drift, in a browser: the time slider and day picker, the recycle
bin, and the drift panel's two actions."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe

pytestmark = pytest.mark.browser

CUSTOMS = [
    "Sending to the US now needs a CN22 customs form and I have no idea what tariff code to use.",
    "My buyer in Norway was charged import duty and VAT on delivery and left a one-star review.",
    "Filling in the customs commodity code and item value for every overseas order takes ages.",
]


def test_the_slider_shows_the_map_as_it_was_read_only(board_server, open_as):
    board = board_server.new_map(title="Time travel")
    note = board_server.add_note(board["id"], "Pays by invoice")
    board_server.add_note(board["id"], "Hates month end", section="feels")
    status, _ = board_server.request(
        "PATCH", f"/api/v1/notes/{note['id']}/", {"text": "Pays by card", "version": 1}, user="bob"
    )
    assert status == 200
    page = open_as("vera", f"/maps/{board['id']}/")

    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Travel in time").click()
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 3) — read-only")
    expect(page.get_by_text("Pays by card", exact=True)).to_be_visible()

    page.get_by_label(re.compile("^Event")).fill("1")
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 1) — read-only")
    expect(page.get_by_text("Pays by invoice", exact=True)).to_be_visible()
    expect(page.get_by_text("Pays by card", exact=True)).to_be_hidden()
    expect(page.get_by_text("Hates month end", exact=True)).to_be_hidden()
    assert page.get_by_role("button", name=re.compile("Add|Delete|Edit")).count() == 0
    assert run_axe(page) == []

    page.get_by_label(re.compile("Or pick a day")).fill(board["created_at"][:10])
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 3) — read-only")
    page.get_by_role("link", name="Back to the live board").click()
    expect(page).to_have_url(re.compile(f"/maps/{board['id']}/$"))
    assert page.errors == []


def test_a_slider_moved_before_the_script_arrives_still_loads_that_moment(board_server, open_as):
    # On a slow connection the page is usable before its script runs: a slider let go then
    # fires its change unheard, and the script, once it runs, loads the moment it points at.
    board = board_server.new_map(title="Slow time travel")
    board_server.add_note(board["id"], "Pays by invoice")
    board_server.add_note(board["id"], "Hates month end", section="feels")
    page = open_as("vera", f"/maps/{board['id']}/")
    held = []
    page.route("**/js/time-travel.js", lambda route: held.append(route))  # answered below
    page.goto(f"/maps/{board['id']}/as-of/", wait_until="commit")
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 2) — read-only")
    page.get_by_label(re.compile("^Event")).fill("1")
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 2) — read-only")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 1) — read-only")
    expect(page.get_by_text("Pays by invoice", exact=True)).to_be_visible()
    expect(page.get_by_text("Hates month end", exact=True)).to_be_hidden()
    assert page.errors == []


def test_going_back_shows_the_moment_and_the_slider_that_points_at_it(board_server, open_as):
    # The browser may restore a control's last value on Back; it would then point elsewhere
    # than the moment shown, and the script, seeing it moved, would load that moment instead.
    board = board_server.new_map(title="Back in time")
    board_server.add_note(board["id"], "Pays by invoice")
    board_server.add_note(board["id"], "Hates month end", section="feels")
    page = open_as("vera", f"/maps/{board['id']}/as-of/")
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 2) — read-only")
    page.get_by_label(re.compile("^Event")).fill("1")
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 1) — read-only")
    page.go_back()
    page.wait_for_load_state()
    expect(page.locator("#as-of-banner")).to_contain_text("(seq 2) — read-only")
    expect(page.get_by_label(re.compile("^Event"))).to_have_value("2")
    expect(page).to_have_url(re.compile(r"/as-of/$"))
    assert page.errors == []


def test_an_editor_restores_a_note_from_the_bin(board_server, open_as):
    board = board_server.new_map(title="Bin")
    note = board_server.add_note(board["id"], "Deleted by mistake")
    status, _ = board_server.request("DELETE", f"/api/v1/notes/{note['id']}/", user="bob")
    assert status == 204
    viewer = open_as("vera", f"/maps/{board['id']}/bin/")
    expect(viewer.get_by_text("Deleted by mistake", exact=True)).to_be_visible()
    expect(viewer.get_by_text(re.compile("Deleted by bob"))).to_be_visible()
    expect(viewer.get_by_role("button", name=re.compile("^Restore"))).to_have_count(0)

    page = open_as("bob", f"/maps/{board['id']}/")
    page.get_by_text("More", exact=True).click()
    page.get_by_role("link", name="Recycle bin").click()
    page.get_by_role("button", name=re.compile("^Restore")).click()

    expect(page.get_by_text("Restored “Deleted by mistake”")).to_be_visible()
    expect(page.get_by_text("The bin is empty.")).to_be_visible()
    assert board_server.note(note["id"])["deleted"] is False
    assert run_axe(page) == []


def test_the_drift_panel_turns_a_theme_into_a_linked_note_and_links_an_item(board_server, open_as):
    board = board_server.new_map(title="Drift")
    board_server.add_note(board["id"], "Comparing carrier rates takes too long", section="pains")
    board_server.add_note(board["id"], "Anxious when tracking shows no update", section="feels")
    status, source = board_server.request(
        "POST",
        "/api/v1/sources/",
        {"workspace": "acme", "kind": "interview", "title": "Shop owners"},
        user="rita",
    )
    assert status == 201
    for text in [*CUSTOMS, "The tracking page said in transit for a week and I panicked."]:
        status, _ = board_server.request(
            "POST", "/api/v1/evidence/", {"source": source["id"], "text": text}, user="rita"
        )
        assert status == 201
    page = open_as("rita", f"/maps/{board['id']}/review/#drift")
    panel = page.locator("#drift")
    theme = panel.locator("article.drift-theme").filter(has_text="customs")
    expect(theme).to_have_count(1)

    theme.get_by_text("Create a note from this theme").click()
    theme.get_by_label("Note").fill("Customs paperwork slows every overseas order")
    theme.get_by_role("button", name=re.compile("^Create note linked to")).click()

    expect(
        page.get_by_text(re.compile(r"Note created with \d supporting excerpts"))
    ).to_be_visible()
    item = page.locator("li.drift-item").filter(has_text="in transit for a week")
    expect(item.locator(".drift-meta")).to_contain_text("Shop owners · Interview ·")
    expect(item.get_by_label("Note")).to_have_value(re.compile(r"\d+"))
    expect(item.get_by_label("Note").locator("option").first).to_contain_text("Anxious")
    item.get_by_label("Reason").fill("Same worry, in her words")
    item.get_by_role("button", name=re.compile("^Link")).click()
    expect(page.get_by_text("Linked. The note's status now counts this evidence.")).to_be_visible()
    assert run_axe(page) == []

    status, current = board_server.request("GET", f"/api/v1/maps/{board['id']}/")
    statuses = {note["text"]: note["status"] for note in current["notes"]}
    assert statuses["Customs paperwork slows every overseas order"] == "supported"
    assert statuses["Anxious when tracking shows no update"] == "supported"
    assert page.errors == []


def test_the_more_menu_closes_on_escape_and_on_a_click_elsewhere(board_server, open_as):
    board = board_server.new_map(title="Menu")
    page = open_as("vera", f"/maps/{board['id']}/")
    menu = page.locator("details.board-menu")

    page.get_by_text("More", exact=True).click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(page.get_by_text("More", exact=True)).to_be_focused()

    page.get_by_text("More", exact=True).click()
    expect(page.get_by_role("link", name="Recycle bin")).to_be_visible()
    page.locator("h1").first.click()
    expect(menu).not_to_have_attribute("open", "")


def test_a_notes_history_in_its_panel_brings_back_an_earlier_text(board_server, open_as):
    board = board_server.new_map(title="Panel history")
    note = board_server.add_note(board["id"], "Pays by invoice")
    status, _ = board_server.request(
        "PATCH", f"/api/v1/notes/{note['id']}/", {"text": "Pays by card", "version": 1}, user="bob"
    )
    assert status == 200
    page = open_as("bob", f"/maps/{board['id']}/")
    card = page.locator("article.note").filter(has_text="Pays by card")
    card.get_by_role("button", name="Evidence").click()
    panel = page.get_by_role("complementary", name="Evidence")

    panel.get_by_text("History", exact=True).click()
    history = panel.get_by_role("list", name="History of this note")
    expect(history).to_contain_text("Edited · bob")
    expect(history).to_contain_text("Text: “Pays by invoice” → “Pays by card”")
    history.get_by_role("button", name="Bring back the earlier text “Pays by invoice”").click()

    expect(page.locator("article.note").filter(has_text="Pays by invoice")).to_be_visible()
    expect(history.locator(".history-event")).to_have_count(3)
    assert run_axe(page) == []


def test_the_board_travels_in_time_read_only_and_comes_back_to_the_live_map(board_server, open_as):
    board = board_server.new_map(title="Travel on the board")
    note = board_server.add_note(board["id"], "Pays by invoice")
    status, _ = board_server.request(
        "PATCH", f"/api/v1/notes/{note['id']}/", {"text": "Pays by card", "version": 1}, user="bob"
    )
    assert status == 200
    page = open_as("bob", f"/maps/{board['id']}/")
    expect(page.get_by_text("Pays by card", exact=True)).to_be_visible()

    page.get_by_role("button", name="Travel in time").click()
    slider = page.get_by_label(re.compile("^Moment: event"))
    expect(slider).to_be_focused()
    expect(slider).to_have_value("2")
    page.keyboard.press("ArrowLeft")

    banner = page.locator("#time-banner")
    expect(banner).to_contain_text("(seq 1) — read-only, live changes are paused in this view")
    past = page.locator("#past-board")
    expect(past.get_by_text("Pays by invoice", exact=True)).to_be_visible()
    expect(page.get_by_text("Pays by card", exact=True)).to_be_hidden()
    edit_controls = page.get_by_role("button", name=re.compile("Add|Delete|Edit|Move|Colour"))
    expect(edit_controls).to_have_count(0)
    assert run_axe(page) == []

    # Meanwhile another member edits the note: the past stays as it was.
    status, _ = board_server.request(
        "PATCH",
        f"/api/v1/notes/{note['id']}/",
        {"text": "Pays by bank transfer", "version": 2},
        user="alice",
    )
    assert status == 200
    page.wait_for_function(f"window.boardStore.get({note['id']}).text === 'Pays by bank transfer'")
    expect(past.get_by_text("Pays by invoice", exact=True)).to_be_visible()

    page.get_by_role("button", name="Back to now").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_text("Pays by bank transfer", exact=True)).to_be_visible()
    expect(page.get_by_text("Pays by invoice", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Edit").first).to_be_visible()

    # Escape returns to now too; a day before the map was made shows it as created.
    page.get_by_role("button", name="Travel in time").click()
    page.get_by_label("Or pick a day").fill("2020-01-01")
    expect(banner).to_contain_text("(seq 0)")
    page.get_by_label("Or pick a day").fill(board["created_at"][:10])
    expect(banner).to_contain_text("(seq 3)")
    slider.focus()
    page.keyboard.press("Home")
    expect(banner).to_contain_text("(seq 0)")
    page.keyboard.press("Escape")
    expect(banner).to_be_hidden()
    expect(page.get_by_text("Pays by bank transfer", exact=True)).to_be_visible()
    assert page.errors == []


def test_from_the_canvas_the_past_shows_as_a_read_only_grid_and_the_canvas_comes_back(
    board_server, open_as
):
    board = board_server.new_map(title="Travel from the canvas")
    board_server.add_note(board["id"], "Chases late payers by phone")
    board_server.add_note(board["id"], "Dreads the quarterly VAT return", section="feels")
    page = open_as("bob", f"/maps/{board['id']}/")
    page.get_by_role("button", name="Canvas").click()
    expect(page.locator("#board")).to_have_class(re.compile("view-canvas"))

    page.get_by_role("button", name="Travel in time").click()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#time-banner")).to_contain_text("(seq 1)")
    past = page.locator("#past-board")
    expect(past.get_by_text("Chases late payers by phone", exact=True)).to_be_visible()
    expect(past.get_by_text("Dreads the quarterly VAT return", exact=True)).to_have_count(0)
    expect(page.locator("#board")).to_be_hidden()

    page.get_by_role("button", name="Back to now").click()
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator("#board")).to_have_class(re.compile("view-canvas"))
    expect(page.get_by_text("Dreads the quarterly VAT return", exact=True)).to_be_visible()
    assert page.errors == []
