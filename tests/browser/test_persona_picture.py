"""A lead gives the persona a picture on the settings page; open canvases show it live."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.test_board import wait_live
from tests.picture_files import png

pytestmark = pytest.mark.browser

LIVE = 2000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_picture_uploaded_on_the_settings_page_replaces_the_initials_on_an_open_canvas_live(
    board_server, open_as
):
    board = board_server.new_map(title="Picture map")
    status, _ = board_server.request(
        "PATCH",
        f"/api/v1/maps/{board['id']}/",
        {"persona": "Priya Shah", "description": "Runs finance alone at a design agency."},
    )
    assert status == 200
    for name, text in (
        ("says", "“I just need the numbers to add up”"),
        ("thinks", "Worries the invoices are late"),
        ("does", "Reconciles the bank on Sunday night"),
        ("feels", "Alone with the books"),
    ):
        board_server.add_note(board["id"], text, section=name)
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    bob.get_by_role("group", name="Board view").get_by_role("button", name="Canvas").click()
    persona = bob.get_by_role("region", name="Priya Shah")
    expect(persona.locator(".persona-avatar")).to_have_text("PS")
    expect(persona.get_by_role("img", name="Picture of Priya Shah")).to_have_count(0)

    alice = open_as("alice", f"/maps/{board['id']}/settings/")
    expect(alice.get_by_text("No picture yet")).to_be_visible()
    assert run_axe(alice) == []
    picture = png(width=96, height=96)
    alice.get_by_label("Picture file").set_input_files(
        {"name": "priya.png", "mimeType": "image/png", "buffer": picture}
    )
    alice.get_by_role("button", name="Upload picture").click()
    expect(alice.get_by_text("Persona picture saved")).to_be_visible()
    expect(alice.get_by_role("img", name="Picture of Priya Shah")).to_be_visible()
    expect(alice.get_by_role("button", name="Remove picture")).to_be_visible()
    assert run_axe(alice) == []

    # Bob's open canvas shows the picture in place of the initials, without a reload.
    image = persona.get_by_role("img", name="Picture of Priya Shah")
    expect(image).to_be_visible(timeout=LIVE)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("(img) => img.naturalWidth") == 96
    expect(persona.locator(".persona-avatar")).not_to_contain_text("PS")
    assert run_axe(bob) == []
    if os.environ.get("EMPATHYMAP_SCREENSHOTS"):
        bob.screenshot(path=str(SCREENSHOTS / "canvas-persona-picture.png"), full_page=True)

    # Removed on the settings page: the initials come back live.
    alice.get_by_role("button", name="Remove picture").click()
    expect(alice.get_by_text("Persona picture removed")).to_be_visible()
    expect(persona.locator(".persona-avatar")).to_have_text("PS", timeout=LIVE)
    expect(persona.get_by_role("img", name="Picture of Priya Shah")).to_have_count(0)
    assert bob.errors == [] and alice.errors == []


def test_a_file_that_is_not_a_picture_is_refused_on_the_settings_page(board_server, open_as):
    board = board_server.new_map(title="Refused picture")
    alice = open_as("alice", f"/maps/{board['id']}/settings/")
    alice.get_by_label("Picture file").set_input_files(
        {"name": "evil.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)>"}
    )
    alice.get_by_role("button", name="Upload picture").click()
    expect(alice.get_by_text("must be a PNG, JPEG or WebP")).to_be_visible()
    expect(alice.get_by_text("No picture yet")).to_be_visible()
