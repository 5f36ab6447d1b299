"""A new user, from sign-up to a map whose note is backed by evidence, as a person would."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_new_user_fills_a_map_and_backs_a_note_with_evidence(new_context):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Password", exact=True).fill("a-long-workshop-pw-42")
    page.get_by_label("Password confirmation").fill("a-long-workshop-pw-42")
    page.get_by_role("button", name="Sign up").click()

    page.get_by_label("Workspace name").fill("Nadia's team")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name="Nadia's team")).to_be_visible()
    # A title pasted past its 200 characters is kept whole, counted and not sent.
    title = page.get_by_label("Title")
    title.fill("New customers " * 18)  # 252 characters
    page.get_by_role("button", name="Create map").click()
    expect(page.locator("#id_map-title-count")).to_have_text(
        "251 characters: 51 over the limit of 200. Shorten the text to save it."
    )
    expect(title).to_be_focused()
    expect(title).to_have_value("New customers " * 18)
    title.fill("New customers")
    expect(page.locator("#id_map-title-count")).to_be_hidden()
    page.get_by_label("Persona").fill("Sam, first-time founder")
    page.get_by_role("button", name="Create map").click()
    expect(page.get_by_role("heading", name="New customers", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()

    pains = page.get_by_role("region", name=re.compile("^Pains"))
    pains.get_by_role("button", name="Add a note to Pains").click()
    pains.get_by_label("New note in Pains").fill("Setting up payroll takes a whole weekend")
    pains.get_by_label("New note in Pains").press("Enter")
    note = pains.locator("article.note", has_text="payroll")
    expect(note).to_contain_text("Assumption")

    page.get_by_role("link", name="Evidence library").first.click()
    source = page.get_by_role("region", name="Add a source")
    source.get_by_label("Kind").select_option("interview")
    source.get_by_label("Title").fill("Call with Sam")
    source.get_by_role("button", name="Add source").click()
    evidence = page.get_by_role("region", name="Add evidence")
    evidence.get_by_label("Quote or finding").fill("Payroll ate my whole weekend, twice.")
    evidence.get_by_role("button", name="Add evidence").click()
    expect(
        page.get_by_role("link", name=re.compile("Payroll ate my whole weekend"))
    ).to_be_visible()

    page.get_by_role("link", name="Workspaces").click()
    page.get_by_role("link", name="New customers", exact=True).click()
    note = page.locator("article.note", has_text="payroll")
    note.get_by_role("button", name="Evidence").click()
    panel = page.get_by_role("complementary", name="Evidence")
    panel.get_by_label("Search the evidence library").fill("payroll")
    panel.get_by_role("button", name="Search").click()
    for _step in ("open the reason form", "link without a reason"):
        panel.get_by_role("list", name="Search results").get_by_role(
            "button", name=re.compile("^Link as supporting")
        ).click()
    expect(note).to_contain_text("Supported")

    page.get_by_role("link", name="Review").click()
    at_a_glance = page.get_by_role("region", name="At a glance")
    expect(at_a_glance.get_by_role("listitem").filter(has_text="Supported")).to_contain_text("1")
