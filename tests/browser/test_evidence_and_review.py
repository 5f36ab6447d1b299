"""The evidence panel, the lead's review, the library and the review dashboard, in a browser;
and axe-core's check of the board, library and review pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe

pytestmark = pytest.mark.browser

LIVE = 2000


def card(page, text: str):
    return page.locator("article.note").filter(has_text=text)


def wait_live(page):
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()


def test_a_researcher_links_evidence_and_everyone_sees_the_note_become_supported(
    board_server, open_as
):
    board = board_server.new_map()
    board_server.add_note(board["id"], "Closing the month is slow")
    rita = open_as("rita", f"/maps/{board['id']}/")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(rita)
    wait_live(bob)
    expect(card(bob, "Closing the month")).to_contain_text("Assumption")

    card(rita, "Closing the month").get_by_role("button", name="Evidence").click()
    panel = rita.get_by_role("complementary", name="Evidence")
    expect(panel.get_by_role("heading", name="Evidence", exact=True)).to_be_focused()
    panel.get_by_label("Search the evidence library").fill("month spreadsheets")
    panel.get_by_role("button", name="Search").click()
    results = panel.get_by_role("list", name="Search results")
    result = results.get_by_role("listitem").filter(has_text="three days of copying")
    result.get_by_role("button", name=re.compile("^Link as supporting")).click()
    # The reason is optional: linking without one is the second click.
    result.get_by_role("button", name=re.compile("^Link as supporting")).click()

    linked = panel.get_by_role("list", name="Linked evidence")
    expect(linked).to_contain_text("Supports")
    expect(linked).to_contain_text("Interview: Interview with Priya")
    expect(linked).to_contain_text("Small agencies")
    expect(linked.get_by_role("link", name=re.compile("Original"))).to_have_attribute(
        "href", "https://example.com/interviews/priya"
    )
    expect(card(bob, "Closing the month")).to_contain_text("Supported", timeout=LIVE)
    expect(card(bob, "Closing the month")).to_contain_text("1 supporting")
    bob.get_by_label("Segment").select_option(label="Small agencies")
    expect(card(bob, "Closing the month")).to_be_visible()

    linked.get_by_role("button", name=re.compile("^Unlink")).click()
    expect(card(bob, "Closing the month")).to_contain_text("Assumption", timeout=LIVE)
    expect(card(bob, "Closing the month")).to_be_hidden()  # the segment filter still applies
    panel.get_by_role("button", name="Close evidence panel").click()
    expect(panel).to_be_hidden()
    expect(card(rita, "Closing the month").get_by_role("button", name="Evidence")).to_be_focused()


def test_a_lead_reviews_a_note_from_its_card(board_server, open_as):
    board = board_server.new_map()
    note = board_server.add_note(board["id"], "Trusts the accountant more than the software")
    alice = open_as("alice", f"/maps/{board['id']}/")
    bob = open_as("bob", f"/maps/{board['id']}/")
    wait_live(alice)
    wait_live(bob)
    expect(card(bob, "Trusts the accountant").get_by_role("button", name="Review")).to_have_count(0)

    card(alice, "Trusts the accountant").get_by_role("button", name="Review").click()
    state = alice.get_by_label("Review state")
    expect(state).to_be_focused()
    researcher = alice.get_by_label("Researcher")
    expect(researcher).to_be_hidden()  # only a research request has one
    state.select_option("needs_research")
    expect(researcher.locator("option")).to_have_text(["Nobody yet", "alice", "rita"])
    researcher.select_option("rita")
    alice.get_by_label("Due").fill("2031-03-14")
    alice.get_by_label("Comment", exact=True).fill("Ask Maya to check the interviews")
    alice.get_by_role("button", name="Save review").click()
    expect(card(bob, "Trusts the accountant")).to_contain_text("Needs research", timeout=LIVE)
    expect(card(alice, "Trusts the accountant")).to_contain_text("Needs research")
    expect(alice.get_by_role("complementary", name="Evidence")).to_contain_text(
        "Research assigned to rita, due"
    )
    saved = board_server.note(note["id"])
    assert saved["research"] == {"assignee": "rita", "due": "2031-03-14"}


def test_the_review_dashboard_reads_at_a_glance(board_server, open_as):
    board = board_server.new_map()
    board_server.add_note(board["id"], "Hates chasing late invoices", section="pains")
    page = open_as("alice", f"/maps/{board['id']}/review/")
    expect(page.get_by_role("heading", name=re.compile("^Review"))).to_be_visible()
    matrix = page.get_by_role("table", name=re.compile("by evidence status"))
    row = matrix.get_by_role("row", name=re.compile("^Pains"))
    expect(row.get_by_role("cell").nth(0)).to_have_text("1")  # assumption column
    expect(page.get_by_role("region", name=re.compile("^Assumptions"))).to_contain_text(
        "Hates chasing late invoices"
    )
    expect(page.get_by_text("Where the map lacks evidence")).to_be_visible()


def test_the_library_searches_and_shows_where_evidence_is_used(board_server, open_as):
    page = open_as("vera", "/w/acme/evidence/")
    page.get_by_role("searchbox", name="Search").fill("dashboard")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 matching item")).to_be_visible()
    page.get_by_role("link", name=re.compile("never look at the dashboard")).click()
    expect(page.get_by_role("heading", name="Evidence from Interview with Priya")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^Supports"))).to_be_visible()


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/maps/{id}/", "rita"),
        ("/maps/{id}/review/", "alice"),
        ("/w/acme/evidence/", "rita"),
        ("/", "alice"),
        ("/w/acme/members/", "alice"),
        ("/w/acme/requests/", "rita"),
        ("/w/acme/evidence/{evidence}/", "rita"),
    ],
    ids=["board", "review", "library", "home", "members", "requests", "evidence-detail"],
)
def test_pages_have_no_serious_accessibility_violations(board_server, open_as, path, user):
    board = board_server.new_map(title="Accessible map")
    for section, text in [("says", "Says it is fine"), ("pains", "Loses receipts")]:
        board_server.add_note(board["id"], text, section=section)
    status, evidence = board_server.request("GET", "/api/v1/evidence/?workspace=acme")
    assert status == 200 and evidence
    page = open_as(user, path.format(id=board["id"], evidence=evidence[0]["id"]))
    if path.startswith("/maps/") and not path.endswith("review/"):
        wait_live(page)
        card(page, "Loses receipts").get_by_role("button", name="Evidence").click()
        expect(page.get_by_role("list", name="Linked evidence")).to_be_attached()
    assert run_axe(page) == []


def test_a_corrected_evidence_date_turns_the_note_stale_for_everyone(board_server, open_as):
    import datetime

    board = board_server.new_map(title="Corrections")
    note = board_server.add_note(board["id"], "Closes the month by hand")
    status, sources = board_server.request("GET", "/api/v1/sources/?workspace=acme")
    assert status == 200
    status, evidence = board_server.request(
        "POST",
        "/api/v1/evidence/",
        {"source": sources[0]["id"], "text": "I close the month by hand, every month."},
        user="rita",
    )
    assert status == 201, evidence
    status, _ = board_server.request(
        "POST",
        f"/api/v1/notes/{note['id']}/links/",
        {"evidence": evidence["id"], "stance": "supports"},
        user="rita",
    )
    assert status == 201
    status, segment = board_server.request(
        "POST", "/api/v1/segments/", {"workspace": "acme", "name": "Freelancers"}, user="rita"
    )
    assert status == 201, segment
    page = open_as("bob", f"/maps/{board['id']}/")
    wait_live(page)
    expect(card(page, "Closes the month")).to_contain_text("Supported")

    long_ago = str(datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=800))
    status, _ = board_server.request(
        "PATCH", f"/api/v1/evidence/{evidence['id']}/", {"collected_on": long_ago}, user="rita"
    )
    assert status == 200
    expect(card(page, "Closes the month")).to_contain_text("Stale", timeout=LIVE)

    # Its segment corrected too: the segment filter follows, without a reload.
    page.get_by_label("Segment").select_option(label="Freelancers")
    expect(card(page, "Closes the month")).to_be_hidden()
    status, _ = board_server.request(
        "PATCH", f"/api/v1/evidence/{evidence['id']}/", {"segment": segment["id"]}, user="rita"
    )
    assert status == 200
    expect(card(page, "Closes the month")).to_be_visible(timeout=LIVE)
