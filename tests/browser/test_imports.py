"""Importing through the library page in a real browser: the date the import used, the
warning when it is today, and the question before a near-duplicate segment is created."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import run_axe

UNDATED = b"Interviewer: How do you pay suppliers?\nOmar: By hand, every second Friday.\n"
HEADED = b"Date: 20 May 2026\nInterviewer: And receipts?\nOmar: Photographed, then lost.\n"
USAGE = (
    b"period,metric,value,segment\n"
    b"2026-10,supplier payments scheduled,31,Agencies\n"
    b"2026-10,receipts photographed,212,small  AGENCIES\n"
)


def import_file(page, name: str, data: bytes, fmt: str) -> None:
    form = page.locator("form").filter(has=page.locator("input[name=action][value=import]"))
    form.get_by_label("File").set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": data}
    )
    form.get_by_label("Format").select_option(fmt)
    form.get_by_role("button", name="Import").click()


def test_the_library_says_which_date_an_import_used_and_warns_about_today(board_server, open_as):
    page = open_as("rita", "/w/acme/evidence/")
    import_file(page, "omar-payments.txt", HEADED, "transcript")
    report = page.get_by_role("status").filter(has_text="Import finished")
    expect(report).to_contain_text("Dated 20 May 2026, from the file's header.")
    expect(page.locator(".import-warning")).to_have_count(0)

    import_file(page, "omar-suppliers.txt", UNDATED, "transcript")
    warning = page.get_by_role("alert").filter(has_text="Check the date")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("every turn is dated today")
    assert page.errors == []


def test_the_library_asks_before_creating_a_near_duplicate_segment(board_server, open_as):
    page = open_as("rita", "/w/acme/evidence/")
    import_file(page, "supplier-usage.csv", USAGE, "usage_csv")
    question = page.get_by_role("region", name="New segments in supplier-usage.csv")
    expect(question).to_be_visible()
    choice = question.get_by_label("“Agencies” in the file is")
    expect(choice.locator("option:checked")).to_have_text("Small agencies")
    assert run_axe(page) == []

    question.get_by_role("button", name="Import with these segments").click()
    expect(page.get_by_role("status").filter(has_text="Import finished")).to_contain_text(
        "2 created"
    )
    page.get_by_role("combobox", name="Segment").first.select_option(label="Small agencies")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(re.compile("supplier payments scheduled was 31"))).to_be_visible()
    # Other browser tests share this server and may add segments of their own: what matters is
    # that the file's "Agencies" did not become one.
    segments = page.get_by_role("combobox", name="Segment").first.locator("option")
    expect(segments.filter(has_text="Small agencies")).to_have_count(1)
    expect(segments.filter(has_text=re.compile(r"^Agencies$"))).to_have_count(0)
