"""Two people on one board in two browsers: live notes, conflicts, offline edits, the keyboard.

Controls are found by role and accessible name, as a person (or a screen reader) finds them.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LIVE = 2000  # ms: a change by one person shows for the other within two seconds


def section(page, name: str):
    return page.get_by_role("region", name=re.compile(rf"^{name}\b"))


def card(page, text: str):
    return page.locator("article.note").filter(has_text=text)


def wait_live(page):
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()


def add_note(page, section_name: str, text: str):
    region = section(page, section_name)
    region.get_by_role("button", name=f"Add a note to {section_name}").click()
    region.get_by_label(f"New note in {section_name}").fill(text)
    region.get_by_role("button", name="Add note").click()


def test_notes_added_edited_and_deleted_by_one_appear_for_the_other(board_server, open_as):
    board = board_server.new_map()
    bob = open_as("bob", f"/maps/{board['id']}/")
    alice = open_as("alice", f"/maps/{board['id']}/")
    wait_live(bob)
    wait_live(alice)

    # Alice is half-way through typing a note of her own while Bob works.
    alice_says = section(alice, "Says")
    alice_says.get_by_role("button", name="Add a note to Says").click()
    draft = alice_says.get_by_label("New note in Says")
    draft.fill("Half-typed thought")

    add_note(bob, "Says", "Month-end close takes three days")
    expect(card(alice, "Month-end close takes three days")).to_be_visible(timeout=LIVE)
    expect(section(alice, "Says").locator("[data-count]")).to_have_text("1")

    note = card(bob, "Month-end close takes three days")
    note.get_by_role("button", name="Edit").click()
    bob.get_by_label("Note text").fill("Month-end close takes four days")
    bob.get_by_role("button", name="Save").click()
    expect(card(alice, "Month-end close takes four days")).to_be_visible(timeout=LIVE)

    card(bob, "four days").get_by_role("button", name="Delete").click()
    expect(card(alice, "four days")).to_have_count(0, timeout=LIVE)

    # Nothing Bob did took Alice's focus or her draft.
    expect(draft).to_be_focused()
    expect(draft).to_have_value("Half-typed thought")

    # Undo brings the note back, for both.
    bob.get_by_role("button", name="Undo").click()
    expect(card(bob, "four days")).to_be_visible()
    expect(card(alice, "four days")).to_be_visible(timeout=LIVE)
    assert bob.errors == [] and alice.errors == []


def test_a_note_added_over_the_api_appears_for_both(board_server, open_as):
    board = board_server.new_map()
    pages = [open_as(name, f"/maps/{board['id']}/") for name in ("bob", "vera")]
    for page in pages:
        wait_live(page)
    board_server.add_note(board["id"], "Asks the partners for a spreadsheet", section="does")
    for page in pages:
        region = section(page, "Does")
        expect(region.locator("article.note", has_text="Asks the partners")).to_be_visible(
            timeout=LIVE
        )


def test_markup_in_a_note_is_shown_as_text_and_never_runs(board_server, open_as):
    board = board_server.new_map()
    payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    board_server.add_note(board["id"], payload)
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    board_server.add_note(board["id"], payload + " (live)")
    expect(bob.locator(".note-text", has_text="(live)")).to_be_visible(timeout=LIVE)
    texts = bob.locator(".note-text").all_text_contents()
    assert payload in texts and payload + " (live)" in texts
    assert bob.locator("#board img").count() == 0
    assert bob.evaluate("window.__pwned") is None


def test_an_edit_made_offline_is_sent_on_reconnect(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Uses spreadsheets for everything")
    bob = open_as("bob", f"/maps/{board['id']}/")
    alice = open_as("alice", f"/maps/{board['id']}/")
    wait_live(bob)
    wait_live(alice)

    bob.context.set_offline(True)
    expect(bob.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    card(bob, "spreadsheets").get_by_role("button", name="Edit").click()
    bob.get_by_label("Note text").fill("Uses spreadsheets for everything, even payroll")
    bob.get_by_role("button", name="Save").click()
    add_note(bob, "Feels", "Dreads the Monday numbers meeting")
    expect(bob.get_by_role("status").filter(has_text="2 changes waiting")).to_be_visible()
    assert board_server.note(note["id"])["text"] == "Uses spreadsheets for everything"

    bob.context.set_offline(False)
    expect(card(alice, "even payroll")).to_be_visible(timeout=5000)
    expect(card(alice, "Dreads the Monday")).to_be_visible(timeout=LIVE)
    wait_live(bob)
    assert board_server.note(note["id"])["text"] == "Uses spreadsheets for everything, even payroll"
    expect(card(bob, "Dreads the Monday")).to_have_count(1)


def test_a_stale_edit_shows_both_versions_and_keeps_the_chosen_one(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Wants fewer tools")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    card(bob, "Wants fewer tools").get_by_role("button", name="Edit").click()
    editor = bob.get_by_label("Note text")
    editor.fill("Wants one tool for invoices and expenses")

    status, _ = board_server.request(
        "PATCH",
        f"/api/v1/notes/{note['id']}/",
        {"text": "Wants fewer tools, not more", "version": note["version"]},
        user="alice",
    )
    assert status == 200
    expect(bob.get_by_text("Someone else changed this note")).to_be_visible(timeout=LIVE)
    bob.get_by_role("button", name="Save").click()

    conflict = bob.get_by_role("group", name="Edit conflict")
    expect(conflict).to_be_visible(timeout=LIVE)
    expect(conflict).to_contain_text("Wants fewer tools, not more")
    expect(conflict).to_contain_text("Wants one tool for invoices and expenses")
    conflict.get_by_role("button", name="Keep mine").click()
    expect(card(bob, "Wants one tool for invoices")).to_be_visible()
    expect(conflict).to_have_count(0)
    bob.wait_for_function(
        "() => document.querySelector('.note-saving') === null"
        " || [...document.querySelectorAll('.note-saving')].every((n) => n.hidden)"
    )
    assert board_server.note(note["id"])["text"] == "Wants one tool for invoices and expenses"


def test_notes_move_between_sections_from_the_keyboard_alone(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Checks the bank balance every morning")
    bob = open_as("bob", f"/maps/{board['id']}/")
    alice = open_as("alice", f"/maps/{board['id']}/")
    wait_live(bob)
    wait_live(alice)

    target = card(bob, "bank balance")
    for _ in range(40):
        if target.evaluate("(node) => node === document.activeElement"):
            break
        bob.keyboard.press("Tab")
    expect(target).to_be_focused()

    bob.keyboard.press("Alt+ArrowRight")
    expect(section(bob, "Thinks").locator("article.note", has_text="bank balance")).to_be_focused()
    expect(section(alice, "Thinks").locator("article.note", has_text="bank balance")).to_be_visible(
        timeout=LIVE
    )

    # The "Move to" control, by keyboard: Tab to it, open it, arrow to a section, Enter.
    moved = section(bob, "Thinks").locator("article.note", has_text="bank balance")
    move = moved.get_by_role("button", name="Move to…")
    for _ in range(10):
        if move.evaluate("(node) => node === document.activeElement"):
            break
        bob.keyboard.press("Tab")
    expect(move).to_be_focused()
    bob.keyboard.press("Enter")
    menu = moved.get_by_role("group", name="Move to section")
    expect(menu.get_by_role("button", name="Says")).to_be_focused()
    bob.keyboard.press("ArrowDown")  # Thinks is where it is, so the next is Does
    expect(menu.get_by_role("button", name="Does")).to_be_focused()
    bob.keyboard.press("Enter")
    expect(section(alice, "Does").locator("article.note", has_text="bank balance")).to_be_visible(
        timeout=LIVE
    )
    assert board_server.note(note["id"])["section"] == "does"


def test_a_note_dragged_to_another_section_moves_for_everyone(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Exports to the accountant")
    bob = open_as("bob", f"/maps/{board['id']}/")
    alice = open_as("alice", f"/maps/{board['id']}/")
    wait_live(bob)
    card(bob, "Exports to the accountant").drag_to(section(bob, "Pains").locator("ol"))
    expect(section(alice, "Pains").locator("article.note", has_text="Exports to")).to_be_visible(
        timeout=LIVE
    )
    assert board_server.note(note["id"])["section"] == "pains"


def test_presence_shows_who_is_here_and_what_they_are_editing(board_server, open_as):
    board = board_server.new_map()
    board_server.add_note(board["id"], "Keeps receipts in a shoebox")
    alice = open_as("alice", f"/maps/{board['id']}/")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    presence = alice.locator("#presence-list")
    expect(presence).to_contain_text("bob", timeout=LIVE)
    # With the team bob's view comes from (whatever other tests on this server made it).
    status, members = board_server.request("GET", "/api/v1/workspaces/acme/members/", user="alice")
    assert status == 200
    team = {member["username"]: member["team"] for member in members}["bob"]
    expect(presence.locator(".presence-team")).to_have_text(team.capitalize())
    card(bob, "shoebox").get_by_role("button", name="Edit").click()
    expect(presence).to_contain_text("editing “Keeps receipts in a shoebox”", timeout=LIVE)
    expect(card(alice, "shoebox")).to_contain_text("bob is editing")
    bob.get_by_role("button", name="Cancel").click()
    expect(card(alice, "shoebox")).not_to_contain_text("bob is editing", timeout=LIVE)


def test_filters_narrow_the_board(board_server, open_as):
    board = board_server.new_map()
    board_server.add_note(board["id"], "Invoices late every month", section="pains")
    board_server.add_note(board["id"], "Wants a calm Monday", section="goals")
    bob = open_as("bob", f"/maps/{board['id']}/")
    bob.get_by_label("Search notes").fill("invoices")
    expect(card(bob, "Wants a calm Monday")).to_be_hidden()
    expect(card(bob, "Invoices late")).to_be_visible()
    expect(bob.locator("#filter-summary")).to_have_text("Showing 1 of 2 notes")
    bob.get_by_role("button", name="Clear filters").click()
    expect(card(bob, "Wants a calm Monday")).to_be_visible()
    bob.get_by_label("Evidence").select_option("supported")
    expect(bob.locator("#filter-summary")).to_have_text("Showing 0 of 2 notes")


def test_a_board_that_misses_an_event_notices_the_gap_and_catches_up(board_server, open_as):
    board = board_server.new_map()
    dropped = []

    def lossy(ws):
        server = ws.connect_to_server()

        def from_server(message):
            is_event = '"type": "event"' in message or '"type":"event"' in message
            if is_event and not dropped:
                dropped.append(message)
                return  # lost on the way, as a flaky network or a busy layer might
            ws.send(message)

        server.on_message(from_server)
        ws.on_message(lambda message: server.send(message))

    bob = open_as("bob", "/")
    bob.route_web_socket(re.compile(r".*/ws/maps/\d+/(\?.*)?$"), lossy)
    bob.goto(f"/maps/{board['id']}/")
    wait_live(bob)
    board_server.add_note(board["id"], "First: lost on the way")
    board_server.add_note(board["id"], "Second: reveals the gap")
    expect(card(bob, "Second: reveals the gap")).to_be_visible(timeout=LIVE)
    expect(card(bob, "First: lost on the way")).to_be_visible(timeout=LIVE)
    assert len(dropped) == 1


def test_the_move_menu_of_the_last_note_in_a_full_section_shows_every_section(
    board_server, open_as
):
    board = board_server.new_map()
    for number in range(8):
        board_server.add_note(board["id"], f"Thought number {number}", section="thinks")
    page = open_as("bob", f"/maps/{board['id']}/")
    wait_live(page)
    last = card(page, "Thought number 7")
    last.scroll_into_view_if_needed()
    last.hover()
    last.get_by_role("button", name="Move to…").click()
    menu = last.get_by_role("group", name="Move to section")
    options = menu.get_by_role("button")
    expect(options).to_have_count(9)
    # Every option is inside the window and is what a click at its centre would hit: nothing
    # (a section's scroll box, another card) clips or covers it.
    for index in range(9):
        hit = options.nth(index).evaluate(
            """(option) => {
                const box = option.getBoundingClientRect();
                const inside = box.top >= 0 && box.left >= 0 &&
                    box.bottom <= window.innerHeight && box.right <= window.innerWidth;
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                return inside && option.contains(document.elementFromPoint(x, y));
            }"""
        )
        assert hit, options.nth(index).inner_text()
    options.filter(has_text="Gains").click()
    expect(section(page, "Gains").locator("article.note", has_text="number 7")).to_be_visible()


def test_a_note_added_under_filters_that_hide_it_says_so(board_server, open_as):
    board = board_server.new_map()
    page = open_as("bob", f"/maps/{board['id']}/")
    wait_live(page)
    page.get_by_label("Search notes").fill("zzzz")
    add_note(page, "Says", "Invoices go out late")
    notice = page.locator(".toast").filter(has_text="Note added to Says. Your filters hide it.")
    expect(notice).to_be_visible()
    expect(card(page, "Invoices go out late")).to_be_hidden()
    notice.get_by_role("button", name="Clear filters").click()
    expect(card(page, "Invoices go out late")).to_be_visible()
    expect(page.get_by_label("Search notes")).to_have_value("")


def test_a_refused_move_or_delete_puts_the_note_back(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Reconciles on Fridays")
    page = open_as("bob", f"/maps/{board['id']}/")
    wait_live(page)
    status, _ = board_server.request("PATCH", "/api/v1/workspaces/acme/", {"archived": True})
    assert status == 200
    try:
        expect(
            page.locator(".toast").filter(has_text="workspace has just been archived")
        ).to_be_visible(timeout=LIVE)
        target = card(page, "Reconciles on Fridays")
        target.focus()
        page.keyboard.press("Alt+ArrowRight")
        expect(page.locator(".toast-error").filter(has_text="archived").first).to_be_visible()
        expect(section(page, "Says").locator("article.note", has_text="Fridays")).to_be_visible()
        expect(section(page, "Thinks").locator("article.note", has_text="Fridays")).to_have_count(0)

        card(page, "Reconciles on Fridays").get_by_role("button", name="Delete").click()
        expect(page.locator(".toast-error")).to_have_count(2)
        expect(page.locator(".toast").filter(has_text="Note deleted")).to_have_count(0)
        expect(card(page, "Reconciles on Fridays")).to_be_visible()
        assert board_server.note(note["id"])["section"] == "says"
    finally:
        status, _ = board_server.request("PATCH", "/api/v1/workspaces/acme/", {"archived": False})
        assert status == 200


def test_a_note_added_to_a_full_section_is_brought_into_sight(board_server, open_as):
    board = board_server.new_map()
    for number in range(10):
        board_server.add_note(board["id"], f"Earlier thought {number}", section="says")
    page = open_as("bob", f"/maps/{board['id']}/")
    wait_live(page)
    add_note(page, "Says", "The newest thought")
    added = card(page, "The newest thought")
    expect(added).to_be_visible()
    # Wholly inside the section's scroll box, not cut off below its edge (once acknowledged).
    page.wait_for_function(
        """() => {
            const note = [...document.querySelectorAll("article.note")].find(
                (node) => node.textContent.includes("The newest thought"));
            if (!note) return false;
            const box = note.getBoundingClientRect();
            const list = note.closest(".notes").getBoundingClientRect();
            return box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
        }""",
        timeout=LIVE,
    )
    expect(section(page, "Says").get_by_label("New note in Says")).to_be_focused()


def test_text_past_the_limit_is_kept_counted_and_not_sent_until_shortened(board_server, open_as):
    board = board_server.new_map(title="Limits")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(bob)
    says = section(bob, "Says")
    says.get_by_role("button", name="Add a note to Says").click()
    box = says.get_by_label("New note in Says")
    pasted = "Customers paste whole interview notes here. " * 70  # 3,080 characters
    box.fill(pasted)

    expect(box).to_have_value(pasted)  # nothing cut off
    count = says.locator(".char-count")
    expect(count).to_have_text(
        "3,079 characters: 2,079 over the limit of 1,000. Shorten the note to save it."
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    says.get_by_role("button", name="Add note").click()
    expect(box).to_be_focused()
    expect(box).to_have_value(pasted)
    status, state = board_server.request("GET", f"/api/v1/maps/{board['id']}/")
    assert status == 200 and state["notes"] == []

    box.fill(pasted[:990])
    expect(count).to_have_text("989 of 1,000 characters")
    says.get_by_role("button", name="Add note").click()
    expect(card(bob, "Customers paste")).to_have_count(1)
    expect(count).to_be_hidden()

    card(bob, "Customers paste").get_by_role("button", name="Edit").click()
    editor = bob.get_by_label("Note text")
    editor.fill(pasted[:1500])
    bob.get_by_role("button", name="Save").click()
    expect(editor).to_be_focused()  # the editor stays open with every character
    expect(editor).to_have_value(pasted[:1500])
    expect(bob.locator(".note-editor .char-count")).to_contain_text("500 over the limit")
    status, state = board_server.request("GET", f"/api/v1/maps/{board['id']}/")
    assert [len(note["text"]) for note in state["notes"]] == [989]
    assert bob.errors == []
