"""Screenshots of an alignment workshop on the board for docs/screenshots, in three browsers
plus the lead's: the seeded demo with three teams (pia in product, dan in design, maya in
sales), a new classic map, the lead (demo) running it from the Workshop panel.

    python bench/workshop_screenshots.py [--out docs/screenshots]

workshop-drafting.png   pia's board while drafting: her team's notes only, the others counted
workshop-timer.png      the lead's board with the Workshop panel open and the countdown
workshop-revealed.png   pia's board right after the reveal: every team's notes, live
workshop-vote.png       pia's board during the vote: stances by team, totals, votes left
workshop-comments.png   pia's note panel: dan's comment mentioning her arrived live
workshop-alignment.png  the alignment page after the vote closed
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.board_screenshots import CHROMIUM, ROOT, log_in, serve_demo  # noqa: E402
from tests.browser.conftest import LAUNCH_ARGS, wait_for_server  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
LIVE = 10000

SETUP = """
from django.contrib.auth import get_user_model
from maps import services
demo = get_user_model().objects.get(username="demo")
for name, team in [("pia", "product"), ("dan", "design")]:
    get_user_model().objects.create_user(username=name, password=name, first_name=name.title())
    services.member_add(actor=demo, workspace_slug="demo", username=name, role="editor", team=team)
services.member_update(actor=demo, workspace_slug="demo", username="maya", team="sales")
board = services.map_create(
    actor=demo, workspace_slug="demo", title="Alignment workshop: finance leads",
    persona="Finance lead at a small agency", layout="classic",
)
print(board.pk)
"""

DRAFTS = {
    "pia": [
        ("Says", "I want month end closed in one click"),
        ("Thinks", "Our tool should replace her spreadsheets"),
    ],
    "dan": [
        ("Feels", "Anxious before every partner meeting"),
        ("Says", "I want month end closed in one click, but I will still check it"),
    ],
    "maya": [
        ("Does", "Copies numbers between spreadsheets for three days"),
        ("Thinks", "Our tool should replace her spreadsheets"),
    ],
}


def seed(url_env: dict) -> int:
    manage = [sys.executable, str(ROOT / "manage.py")]
    result = subprocess.run(
        [*manage, "shell", "-c", SETUP],
        env=url_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def card(page, text: str):
    return page.locator("article.note").filter(has_text=text)


def add_note(page, section: str, text: str) -> None:
    region = page.get_by_role("region", name=re.compile(rf"^{section}\b"))
    region.get_by_role("button", name=f"Add a note to {section}").click()
    region.get_by_label(f"New note in {section}").fill(text)
    region.get_by_role("button", name="Add note").click()
    expect(card(page, text).first).to_be_visible(timeout=LIVE)
    region.get_by_role("button", name="Done").click()


def shot(page, path: Path) -> None:
    page.add_style_tag(content=".note-item { content-visibility: visible !important; }")
    page.mouse.move(0, 0)
    page.screenshot(path=path, full_page=True)


def open_board(browser, url: str, user: str, map_id: int):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = log_in(context, url, user, user)
    page.goto(f"{url}/maps/{map_id}/")
    page.wait_for_selector("body[data-board-ready]")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    return page


def mark_reviewed(browser, url: str, map_id: int) -> None:
    """A review checkpoint: one point of the alignment's score over time."""
    context = browser.new_context(viewport=VIEWPORT)
    page = log_in(context, url, "demo", "demo")
    page.goto(f"{url}/maps/{map_id}/review/")
    page.get_by_role("button", name="Mark reviewed").click()
    page.wait_for_load_state()
    context.close()


def shoot(browser, url: str, map_id: int, out: Path) -> None:
    lead = open_board(browser, url, "demo", map_id)
    pages = {name: open_board(browser, url, name, map_id) for name in ("pia", "dan", "maya")}
    pia = pages["pia"]

    lead.get_by_role("button", name="Workshop").click()
    panel = lead.locator("#workshop-panel")
    panel.get_by_role("button", name="Start drafting").click()
    panel.get_by_label("Minutes").fill("10")
    panel.get_by_role("button", name="Start timer").click()
    expect(pia.get_by_role("timer")).to_contain_text("Time left", timeout=LIVE)
    for name, notes in DRAFTS.items():
        for section, text in notes:
            add_note(pages[name], section, text)
    expect(pia.locator("#drafting-banner")).to_contain_text("Sales 2", timeout=LIVE)
    shot(pia, out / "workshop-drafting.png")
    shot(lead, out / "workshop-timer.png")

    panel.get_by_role("button", name="Reveal").click()
    expect(card(pia, "Anxious before every partner meeting")).to_be_visible(timeout=LIVE)
    expect(pia.locator("#workshop-step")).to_have_text("Step: Reveal", timeout=LIVE)
    shot(pia, out / "workshop-revealed.png")

    mark_reviewed(browser, url, map_id)
    panel.get_by_role("button", name="Open vote").click()
    expect(pia.locator("#votes-left")).to_have_text("3 votes left", timeout=LIVE)
    stances = {
        "pia": [("one click\n", "agree"), ("Copies numbers", "agree"), ("Anxious", "disagree")],
        "dan": [("Anxious", "agree"), ("one click\n", "disagree"), ("Copies numbers", "agree")],
        "maya": [("Copies numbers", "agree"), ("Anxious", "agree")],
    }
    votes = {
        "pia": ["Copies numbers", "Copies numbers", "closed in one click"],
        "dan": ["Anxious", "Copies numbers"],
        "maya": ["Copies numbers", "Anxious", "Anxious"],
    }
    for name, page in pages.items():
        for text, stance in stances[name]:
            label = "I see this too" if stance == "agree" else "Not what I see"
            target = card(page, text.strip()).first
            button = target.get_by_role("button", name=label)
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true")
        for text in votes[name]:
            before = page.locator("#votes-left").text_content()
            card(page, text).first.get_by_role("button", name="Vote", exact=True).click()
            expect(page.locator("#votes-left")).not_to_have_text(before)
    expect(card(pia, "Copies numbers")).to_contain_text("4 votes", timeout=LIVE)
    mark_reviewed(browser, url, map_id)
    pia.get_by_role("button", name="Sort by votes").click()
    shot(pia, out / "workshop-vote.png")

    pia_note = card(pia, "Anxious before every partner meeting")
    pia_note.get_by_role("button", name="Comments").click()
    dan = pages["dan"]
    card(dan, "Anxious before every partner meeting").get_by_role("button", name="Comments").click()
    dan.get_by_label("Add a comment").fill(
        "@pia five of eight interviews mention the partner meeting. Which ones made you doubt it?"
    )
    dan.get_by_role("button", name="Post comment").click()
    expect(pia.get_by_role("list", name="Comments").get_by_role("listitem")).to_have_count(
        1, timeout=LIVE
    )
    pia.get_by_label("Add a comment").fill("Only the agencies with an in-house bookkeeper.")
    pia.get_by_role("button", name="Post comment").click()
    expect(pia.get_by_role("list", name="Comments").get_by_role("listitem")).to_have_count(2)
    shot(pia, out / "workshop-comments.png")

    panel.get_by_role("button", name="Close vote").click()
    expect(pia.locator("#workshop-vote")).to_have_text("Vote closed", timeout=LIVE)
    mark_reviewed(browser, url, map_id)
    lead.get_by_role("link", name="Alignment").click()
    lead.get_by_role("heading", name=re.compile("^Alignment")).first.wait_for()
    shot(lead, out / "workshop-alignment.png")
    for page in (lead, *pages.values()):
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        process, url, info = serve_demo(Path(tmp))
        try:
            wait_for_server(url, process, info["log"])
            env = dict(os.environ)
            env.update(
                DATABASE_URL=f"sqlite:///{Path(tmp) / 'demo.sqlite3'}",
                SECRET_KEY="screenshots-only-secret-key",
                DEBUG="1",
            )
            env.pop("REDIS_URL", None)
            map_id = seed(env)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                shoot(browser, url, map_id, out)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
