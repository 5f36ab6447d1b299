"""A whole alignment workshop on the board, in three browsers: the lead starts drafting and a
timer from the Workshop panel, two teams draft without seeing each other, the lead reveals,
opens a vote, members vote and agree or disagree, discuss in comments (live, with a mention),
the lead closes the vote, and the alignment page shows the shared and the disputed note."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe

pytestmark = pytest.mark.browser

LIVE = 5000


def card(page, text: str):
    return page.locator("article.note").filter(has_text=text)


def wait_live(page):
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()


def add_note(page, text: str, section: str = "Says"):
    region = page.get_by_role("region", name=re.compile(rf"^{section}\b"))
    region.get_by_role("button", name=f"Add a note to {section}").click()
    region.get_by_label(f"New note in {section}").fill(text)
    region.get_by_role("button", name="Add note").click()


def axe_violations(page):
    # Presence avatars' colours come from the username and some fail contrast: not this page's.
    return [
        v
        for v in run_axe(page)
        if not (v["id"] == "color-contrast" and all(".avatar" in n for n in v["nodes"]))
    ]


@pytest.fixture
def teams(board_server):
    """bob is in product, rita in design; put back afterwards (the server is shared)."""
    for name, team in (("bob", "product"), ("rita", "design")):
        status, _ = board_server.request(
            "PATCH", f"/api/v1/workspaces/acme/members/{name}/", {"team": team}
        )
        assert status == 200
    yield
    board_server.request("PATCH", "/api/v1/workspaces/acme/members/rita/", {"team": "other"})


def test_a_lead_runs_a_whole_workshop_on_the_board(board_server, open_as, teams):
    board = board_server.new_map(title="Workshop on the board")
    path = f"/maps/{board['id']}/"
    alice = open_as("alice", path)
    bob = open_as("bob", path)
    rita = open_as("rita", path)
    for page in (alice, bob, rita):
        wait_live(page)
    expect(alice.get_by_role("link", name="Alignment")).to_have_attribute(
        "href", f"/maps/{board['id']}/alignment/"
    )
    # Only a lead has the facilitation panel.
    expect(bob.get_by_role("button", name="Workshop")).to_have_count(0)

    # Drafting, against a timer.
    toggle = alice.get_by_role("button", name="Workshop")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    panel = alice.locator("#workshop-panel")
    panel.get_by_role("button", name="Start drafting").click()
    panel.get_by_label("Minutes").fill("5")
    panel.get_by_role("button", name="Start timer").click()
    for page in (bob, rita):
        expect(page.locator("#workshop-step")).to_have_text("Step: Draft (drafting)", timeout=LIVE)
        expect(page.get_by_role("timer")).to_have_text(re.compile(r"^Time left: [45]:\d\d$"))
    expect(bob.locator("#drafting-banner")).to_be_visible()
    assert axe_violations(alice) == []

    add_note(bob, "Product: she wants one click")
    add_note(rita, "Design: she prints every invoice")
    expect(card(alice, "she wants one click")).to_be_visible(timeout=LIVE)
    expect(card(alice, "she prints every invoice")).to_be_visible(timeout=LIVE)
    expect(card(bob, "she prints every invoice")).to_have_count(0)
    expect(card(rita, "she wants one click")).to_have_count(0)

    # The reveal reaches both teams live; the timer survives a reload.
    panel.get_by_role("button", name="Reveal").click()
    expect(card(bob, "she prints every invoice")).to_be_visible(timeout=LIVE)
    expect(card(rita, "she wants one click")).to_be_visible(timeout=LIVE)
    expect(rita.locator("#workshop-step")).to_have_text("Step: Reveal", timeout=LIVE)
    rita.reload()
    wait_live(rita)
    expect(rita.get_by_role("timer")).to_have_text(re.compile(r"^Time left: [45]:\d\d$"))

    # A vote of two per person.
    panel.get_by_label("Votes per person").fill("2")
    panel.get_by_role("button", name="Open vote").click()
    expect(bob.locator("#votes-left")).to_have_text("2 votes left", timeout=LIVE)
    design = card(bob, "she prints every invoice")
    design.get_by_role("button", name="Vote", exact=True).click()
    expect(bob.locator("#votes-left")).to_have_text("1 vote left")
    design.get_by_role("button", name="Vote", exact=True).click()
    expect(bob.locator("#votes-left")).to_have_text("0 votes left")
    expect(design).to_contain_text("2 votes · 2 mine")
    spent = card(bob, "she wants one click").get_by_role("button", name="Vote", exact=True)
    expect(spent).to_have_attribute("aria-disabled", "true")  # says why, sends nothing
    spent.click(force=True)  # aria-disabled: Playwright would wait for it to be enabled
    expect(bob.locator(".toast.toast-info").filter(has_text="no votes left")).to_be_visible()
    design.get_by_role("button", name="Take back a vote").click()
    expect(bob.locator("#votes-left")).to_have_text("1 vote left")
    expect(spent).not_to_have_attribute("aria-disabled", "true")
    expect(card(rita, "she prints every invoice")).to_contain_text("1 vote", timeout=LIVE)

    # Stances: both teams see the design note; design does not see the product note.
    agree = design.get_by_role("button", name="I see this too")
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    card(bob, "she wants one click").get_by_role("button", name="I see this too").click()
    card(rita, "she prints every invoice").get_by_role("button", name="I see this too").click()
    disagree = card(rita, "she wants one click").get_by_role("button", name="Not what I see")
    disagree.click()
    expect(disagree).to_have_attribute("aria-pressed", "true")
    expect(card(alice, "she prints every invoice")).to_contain_text(
        "Agree: Design 1, Product 1", timeout=LIVE
    )
    expect(card(alice, "she wants one click")).to_contain_text(
        "Agree: Product 1 · Disagree: Design 1", timeout=LIVE
    )
    # Another member's stance arriving as an event keeps bob's own stance pressed.
    expect(agree).to_have_attribute("aria-pressed", "true")

    # Comments: rita reads the thread while bob asks her, by mention.
    card(rita, "she wants one click").get_by_role("button", name="Comments").click()
    thread = rita.get_by_role("list", name="Comments")
    expect(rita.get_by_text("No comments yet.")).to_be_visible()
    card(bob, "she wants one click").get_by_role("button", name="Comments").click()
    bob.get_by_label("Add a comment").fill("@rita where did you hear otherwise?")
    bob.get_by_role("button", name="Post comment").click()
    expect(thread.get_by_role("listitem")).to_have_count(1, timeout=LIVE)
    expect(thread.get_by_role("listitem")).to_contain_text("bob")
    expect(thread.get_by_role("listitem")).to_contain_text("@rita where did you hear otherwise?")
    commented = card(alice, "she wants one click")
    expect(commented.get_by_role("button", name="Comments (1)")).to_be_visible(timeout=LIVE)
    status, unread = board_server.request("GET", "/api/v1/mentions/unread/", user="rita")
    assert (status, unread["unread"]) == (200, 1)
    # rita's header counts it at once, without a reload; bob's does not.
    expect(rita.get_by_role("link", name="Mentions (1) unread")).to_be_visible()
    expect(bob.get_by_role("link", name=re.compile(r"^Mentions"))).not_to_contain_text("(")
    assert axe_violations(rita) == []

    # Closing the vote; the board sorts by votes.
    panel.get_by_role("button", name="Close vote").click()
    expect(bob.locator("#votes-left")).to_be_hidden(timeout=LIVE)
    expect(bob.locator("#workshop-vote")).to_have_text("Vote closed")
    sort = alice.get_by_role("button", name="Sort by votes")
    sort.click()
    expect(sort).to_have_attribute("aria-pressed", "true")
    says = alice.get_by_role("region", name=re.compile(r"^Says\b"))
    expect(says.locator("article.note").first).to_contain_text("she prints every invoice")
    assert axe_violations(alice) == []

    # Sorted by votes, the order on screen is not the notes' own: a drag within Says changes
    # nothing, a drag to Pains moves the note to the end of Pains.
    def places():
        status, state = board_server.request("GET", f"/api/v1/maps/{board['id']}/")
        assert status == 200
        return {note["text"]: (note["section"], note["position"]) for note in state["notes"]}

    before = places()
    says.locator("article.note").first.drag_to(says.locator("article.note").last)
    pains = alice.get_by_role("region", name=re.compile(r"^Pains\b"))
    says.locator("article.note").first.drag_to(pains.locator("ol"))
    expect(pains.locator("article.note")).to_contain_text(["she prints every invoice"])
    bob_pains = bob.get_by_role("region", name=re.compile(r"^Pains\b"))
    expect(bob_pains.locator("article.note")).to_contain_text(
        ["she prints every invoice"], timeout=LIVE
    )
    moved = next(text for text in before if "she prints every invoice" in text)
    after = places()
    assert after.pop(moved)[0] == "pains"
    assert after == {text: place for text, place in before.items() if text != moved}

    # Stopping the timer, then the alignment page.
    panel.get_by_role("button", name="Stop timer").click()
    expect(bob.get_by_role("timer")).to_be_hidden(timeout=LIVE)
    alice.get_by_role("link", name="Alignment").click()
    disputed = alice.get_by_role("region", name=re.compile("^Disputed"))
    shared = alice.get_by_role("region", name=re.compile("^Shared"))
    expect(disputed).to_contain_text("she wants one click")
    expect(shared).to_contain_text("she prints every invoice")
    for page in (alice, bob, rita):
        assert page.errors == []


def test_the_countdown_says_times_up_and_a_blind_vote_hides_totals_until_closed(
    board_server, open_as, teams
):
    board = board_server.new_map(title="Blind vote")
    note = board_server.add_note(board["id"], "Checks the bank daily", user="bob")
    path = f"/maps/{board['id']}/"
    bob = open_as("bob", path)
    wait_live(bob)
    status, _ = board_server.request("POST", f"/api/v1/maps/{board['id']}/timer/", {"seconds": 10})
    assert status in (200, 201)
    countdown = bob.get_by_role("timer")
    expect(countdown).to_have_text(re.compile(r"^Time left: 0:(10|0\d)$"), timeout=LIVE)
    expect(bob.get_by_role("timer")).to_have_text("Time's up", timeout=15000)

    status, _ = board_server.request(
        "PATCH", f"/api/v1/maps/{board['id']}/", {"vote": {"open": True, "blind": True}}
    )
    assert status == 200
    status, _ = board_server.request("POST", f"/api/v1/notes/{note['id']}/votes/", user="rita")
    assert status in (200, 201)
    bank = card(bob, "Checks the bank daily")
    bank.get_by_role("button", name="Vote", exact=True).click()
    expect(bank).to_contain_text("Votes hidden · 1 mine")
    # The lead sees the totals of a blind vote: its events name no note, so the board reads them.
    alice = open_as("alice", path)
    wait_live(alice)
    lead_card = card(alice, "Checks the bank daily")
    expect(lead_card).to_contain_text("2 votes")
    status, _ = board_server.request("POST", f"/api/v1/notes/{note['id']}/votes/", user="rita")
    expect(lead_card).to_contain_text("3 votes", timeout=LIVE)
    expect(bank).to_contain_text("Votes hidden · 1 mine")
    expect(bob.locator("#workshop-vote")).to_have_text("Vote open: 3 per person, blind")
    board_server.request("PATCH", f"/api/v1/maps/{board['id']}/", {"vote": {"open": False}})
    expect(bank).to_contain_text("3 votes · 1 mine", timeout=LIVE)
    assert bob.errors == [] and alice.errors == []
