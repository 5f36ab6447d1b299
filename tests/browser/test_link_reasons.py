"""Links that cannot mislead: a suggestion shows its evidence in full before linking, a link
carries an optional reason shown in the panel and on the evidence's page, unlinking can be
undone; and imported evidence is embedded by the worker while the library shows how far it is."""

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, run_axe

pytestmark = pytest.mark.browser

LIVE = 2000


def card(page, text: str):
    return page.locator("article.note").filter(has_text=text)


def test_a_researcher_links_with_a_reason_unlinks_and_undoes(board_server, open_as):
    board = board_server.new_map("Month end")
    note = board_server.add_note(board["id"], "Closing the month takes days")
    rita = open_as("rita", f"/maps/{board['id']}/")
    card(rita, "Closing the month takes days").get_by_role("button", name="Evidence").click()
    panel = rita.get_by_role("complementary", name="Evidence")

    suggestions = panel.get_by_role("list", name="Suggested evidence")
    suggestion = suggestions.get_by_role("listitem").filter(has_text="three days of copying")
    # The evidence in full, with where it comes from, before anyone links it.
    facts = suggestion.locator("dl.evidence-facts")
    expect(facts).to_contain_text("SourceInterview with Priya")
    expect(facts).to_contain_text("KindInterview")
    expect(facts).to_contain_text("ParticipantPriya")
    expect(facts).to_contain_text("Where00:04:10")
    expect(facts).to_contain_text("SegmentSmall agencies")
    expect(facts).to_contain_text("Collected")

    suggestion.get_by_role("button", name=re.compile("^Link as supporting")).click()
    reason = suggestion.get_by_label("Why does this support the note? (optional)")
    expect(reason).to_be_focused()
    assert run_axe(rita) == []  # the facts and the reason form, as a screen reader meets them
    reason.fill("Priya: <b>three days</b> every month")
    suggestion.get_by_role("button", name=re.compile("^Link as supporting")).click()

    linked = panel.get_by_role("list", name="Linked evidence")
    expect(linked).to_contain_text("Reason: Priya: <b>three days</b> every month")  # as text
    expect(linked.locator("b")).to_have_count(0)
    expect(panel.locator(".panel-freshness")).to_contain_text("Fresh until")
    expect(card(rita, "Closing the month takes days")).to_contain_text("Supported")
    (link,) = board_server.request("GET", f"/api/v1/notes/{note['id']}/links/")[1]
    assert (link["stance"], link["comment"]) == ("supports", "Priya: <b>three days</b> every month")

    linked.get_by_role("button", name=re.compile("^Unlink")).click()
    expect(linked.get_by_role("listitem")).to_have_count(0)
    expect(card(rita, "Closing the month takes days")).to_contain_text("Assumption", timeout=LIVE)
    notice = rita.locator(".toast").filter(has_text="Evidence unlinked")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Undo").click()

    expect(linked).to_contain_text("Reason: Priya: <b>three days</b> every month")
    expect(linked).to_contain_text("Supports")
    expect(card(rita, "Closing the month takes days")).to_contain_text("Supported", timeout=LIVE)
    (back,) = board_server.request("GET", f"/api/v1/notes/{note['id']}/links/")[1]
    assert (back["evidence"]["id"], back["stance"], back["comment"]) == (
        link["evidence"]["id"],
        "supports",
        "Priya: <b>three days</b> every month",
    )

    # The evidence's page shows the reason beside the note it supports.
    evidence_page = open_as("rita", f"/w/acme/evidence/{link['evidence']['id']}/")
    supports = evidence_page.get_by_role("region", name=re.compile("^Supports"))
    expect(supports).to_contain_text("Closing the month takes days")
    expect(supports).to_contain_text("Reason: Priya: <b>three days</b> every month")


def test_a_stale_note_says_when_it_went_stale(board_server, open_as):
    board = board_server.new_map("Old research")
    note = board_server.add_note(board["id"], "Partners want spreadsheets")
    status, source = board_server.request(
        "POST",
        "/api/v1/sources/",
        {"workspace": "acme", "kind": "survey", "title": "Survey", "collected_on": "2024-01-10"},
    )
    assert status == 201, source
    status, evidence = board_server.request(
        "POST", "/api/v1/evidence/", {"source": source["id"], "text": "Partners want a CSV"}
    )
    assert status == 201, evidence
    status, _ = board_server.request(
        "POST",
        f"/api/v1/notes/{note['id']}/links/",
        {"evidence": evidence["id"], "stance": "supports"},
    )
    assert status == 201
    fresh_until = board_server.note(note["id"])["fresh_until"]
    assert fresh_until == "2024-07-08"  # 180 days after 10 January 2024

    page = open_as("vera", f"/maps/{board['id']}/")
    card(page, "Partners want spreadsheets").get_by_role("button", name="Evidence").click()
    panel = page.get_by_role("complementary", name="Evidence")
    expect(panel.locator(".panel-status")).to_contain_text("Stale")
    expect(panel.locator(".panel-freshness")).to_contain_text("Went stale on Jul 9, 2024")


def test_the_library_shows_embedding_progress_until_the_worker_is_done(board_server, open_as):
    page = open_as("rita", "/w/acme/evidence/")
    tickets = "Ticket ID,Created,Subject,Body\n" + "".join(
        f"{5100 + n},2026-02-0{n + 1},Dark mode {n},The app is too bright at night ({n})\n"
        for n in range(3)
    )
    page.get_by_label("Format").select_option("support_csv")
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "tickets.csv", "mimeType": "text/csv", "buffer": tickets.encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Import finished")).to_be_visible()
    progress = page.locator("#embedding-progress-text")
    expect(progress).to_have_text(re.compile(r"^Embedding \d+ of \d+ evidence items"))
    assert run_axe(page) == []

    # Suggestions meanwhile say they are not complete.
    board = board_server.new_map("Night use")
    board_server.add_note(board["id"], "The app is too bright at night")
    panel_page = open_as("rita", f"/maps/{board['id']}/")
    card(panel_page, "too bright").get_by_role("button", name="Evidence").click()
    panel = panel_page.get_by_role("complementary", name="Evidence")
    # At least these 3 (other tests on this shared server may have queued more).
    expect(panel.locator(".suggestions-pending")).to_contain_text(
        re.compile(r"Suggestions are not complete yet: ([3-9]|\d\d+) evidence items are still")
    )

    # A worker runs the queued tasks; the page, left open, follows without a reload.
    subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        env=board_server.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    expect(progress).to_have_text(
        re.compile(r"^All \d+ evidence items are embedded"), timeout=10000
    )
    panel.get_by_role("button", name="Check again").click()
    expect(panel.locator(".suggestions-pending")).to_be_hidden()
