"""The board as an empathy-map canvas, and a lead's change of layout seen live."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.test_board import card, section, wait_live

pytestmark = pytest.mark.browser

LIVE = 2000


def box(locator) -> dict:
    value = locator.bounding_box()
    assert value is not None
    return value


def centre(value: dict) -> tuple[float, float]:
    return value["x"] + value["width"] / 2, value["y"] + value["height"] / 2


def test_the_canvas_puts_the_persona_in_the_middle_and_the_sections_around_it(
    board_server, open_as
):
    board = board_server.new_map(title="Canvas map")
    status, _ = board_server.request(
        "PATCH",
        f"/api/v1/maps/{board['id']}/",
        {"persona": "Priya Shah", "description": "Runs finance alone at a design agency."},
    )
    assert status == 200
    for name in ("says", "thinks", "does", "feels", "goals", "pains", "gains", "sees", "hears"):
        board_server.add_note(board["id"], f"A note about {name}", section=name)
    for number in range(12):
        board_server.add_note(board["id"], f"Another thing she says, {number}", section="says")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    views = bob.get_by_role("group", name="Board view")
    expect(views.get_by_role("button", name="Grid")).to_have_attribute("aria-pressed", "true")
    expect(bob.get_by_role("region", name="Priya Shah")).to_be_hidden()

    views.get_by_role("button", name="Canvas").click()
    expect(views.get_by_role("button", name="Canvas")).to_have_attribute("aria-pressed", "true")
    expect(views.get_by_role("button", name="Grid")).to_have_attribute("aria-pressed", "false")
    persona = bob.get_by_role("region", name="Priya Shah")
    expect(persona).to_be_visible()
    expect(persona).to_contain_text("Runs finance alone at a design agency.")
    expect(persona.locator(".persona-avatar")).to_have_text("PS")

    px, py = centre(box(persona))
    says, thinks, does, feels = (
        centre(box(section(bob, name))) for name in ("Says", "Thinks", "Does", "Feels")
    )
    assert says[0] < px < thinks[0] and does[0] < px < feels[0]
    assert says[1] < does[1] and thinks[1] < feels[1]
    for name in ("Sees", "Goals", "Hears"):
        assert (
            box(section(bob, name))["y"] + box(section(bob, name))["height"]
            <= box(persona)["y"] + 1
        )
    for name in ("Pains", "Gains"):
        assert box(section(bob, name))["y"] >= box(persona)["y"] + box(persona)["height"] - 1
    # Sections grow with their notes: all thirteen notes of Says without an inner scroll.
    notes = section(bob, "Says").locator("ol.notes")
    assert notes.evaluate("(node) => node.scrollHeight <= node.clientHeight + 1")
    assert run_axe(bob) == []

    # Remembered for bob on this browser, after a reload; not imposed on anyone else.
    bob.reload()
    expect(bob.get_by_role("region", name="Priya Shah")).to_be_visible()
    expect(views.get_by_role("button", name="Canvas")).to_have_attribute("aria-pressed", "true")
    vera = open_as("vera", f"/maps/{board['id']}/")
    expect(vera.get_by_role("button", name="Grid")).to_have_attribute("aria-pressed", "true")

    # A new persona name reaches the open canvas live.
    board_server.request("PATCH", f"/api/v1/maps/{board['id']}/", {"persona": "Maya Okafor"})
    expect(bob.get_by_role("region", name="Maya Okafor")).to_be_visible(timeout=LIVE)
    assert bob.errors == []


def test_the_canvas_fits_a_tablet_and_prints_without_controls(board_server, open_as):
    board = board_server.new_map(title="Tablet canvas", layout="classic")
    board_server.add_note(board["id"], "Wants the close done by Tuesday", section="thinks")
    bob = open_as("bob", f"/maps/{board['id']}/", viewport={"width": 820, "height": 1180})
    wait_live(bob)
    bob.get_by_role("button", name="Canvas").click()
    assert bob.evaluate("document.documentElement.scrollWidth") == 820
    expect(card(bob, "Wants the close done by Tuesday")).to_be_visible()
    bob.emulate_media(media="print")
    expect(bob.get_by_role("group", name="Board view")).to_be_hidden()
    expect(bob.get_by_role("region", name="Not named yet")).to_be_visible()
    expect(card(bob, "Wants the close done by Tuesday")).to_be_visible()


def test_a_switch_to_classic_keeps_notes_outside_the_layout_live_and_back(board_server, open_as):
    board = board_server.new_map(title="Switching map")
    board_server.add_note(board["id"], "Close the month in a day", section="goals")
    board_server.add_note(board["id"], "Loses receipts", section="pains")
    board_server.add_note(board["id"], "Says it is fine", section="says")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    expect(bob.get_by_role("region", name="Outside this layout")).to_be_hidden()

    status, payload = board_server.request(
        "PATCH", f"/api/v1/maps/{board['id']}/", {"layout": "classic"}
    )
    assert status == 200 and payload["sections"] == ["says", "thinks", "does", "feels"]
    tray = bob.get_by_role("region", name="Outside this layout")
    expect(tray).to_be_visible(timeout=LIVE)
    expect(card(tray, "Close the month in a day")).to_be_visible()
    expect(card(tray, "Loses receipts")).to_be_visible()
    expect(section(tray, "Goals")).to_be_visible()
    expect(section(tray, "Gains")).to_be_hidden()  # no notes there: nothing to show
    expect(bob.locator("#filter-summary")).to_have_text("3 notes")
    # Nothing can be added outside the layout, but a note there moves into it.
    expect(tray.get_by_role("button", name="Add a note to Goals")).to_be_hidden()
    card(tray, "Close the month in a day").hover()
    card(tray, "Close the month in a day").get_by_role("button", name="Move to…").click()
    menu = bob.get_by_role("group", name="Move to section")
    expect(menu.get_by_role("button")).to_have_text(["Says", "Thinks", "Does", "Feels"])
    menu.get_by_role("button", name="Thinks").click()
    expect(card(section(bob, "Thinks"), "Close the month in a day")).to_be_visible()
    expect(section(tray, "Goals")).to_be_hidden()

    # A fresh page of the classic map shows the same: the tray holds what is left outside.
    vera = open_as("vera", f"/maps/{board['id']}/")
    expect(
        card(vera.get_by_role("region", name="Outside this layout"), "Loses receipts")
    ).to_be_visible()

    board_server.request("PATCH", f"/api/v1/maps/{board['id']}/", {"layout": "extended"})
    expect(tray).to_be_hidden(timeout=LIVE)
    expect(card(section(bob, "Pains"), "Loses receipts")).to_be_visible()
    expect(card(section(vera, "Pains"), "Loses receipts")).to_be_visible(timeout=LIVE)
    expect(section(bob, "Goals").get_by_role("button", name="Add a note to Goals")).to_be_visible()
    assert bob.errors == [] and vera.errors == []
