"""Screenshots of the board's canvas view for docs/screenshots: the seeded demo map in the
canvas view, extended and (after a lead switches it) classic, on a desktop, a tablet and in
print, plus the grid with the "Outside this layout" tray.

    python bench/canvas_screenshots.py [--out docs/screenshots]
"""

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.board_screenshots import (  # noqa: E402
    CHROMIUM,
    DESKTOP,
    ROOT,
    TABLET,
    log_in,
    serve_demo,
)
from tests.browser.conftest import LAUNCH_ARGS, wait_for_server  # noqa: E402


def open_board(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = log_in(context, url, "demo", "demo")
    page.get_by_role("link", name="Finance leads at small agencies").first.click()
    page.wait_for_selector("body[data-board-ready]")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    return context, page


def full_page(page, path: Path) -> None:
    # Cards off screen skip painting (content-visibility: auto) until scrolled to; a full-page
    # capture does not scroll, so draw them all first, as they look once scrolled into view.
    page.add_style_tag(content=".note-item { content-visibility: visible !important; }")
    page.screenshot(path=path, full_page=True)


def switch_layout(page, layout: str) -> None:
    board_url = page.url
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Layout").select_option(layout)
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(board_url)
    page.wait_for_selector("body[data-board-ready]")


def shoot(browser, url: str, out: Path) -> None:
    context, page = open_board(browser, url, DESKTOP)
    page.get_by_role("button", name="Canvas").click()
    full_page(page, out / "canvas-extended.png")
    page.emulate_media(media="print")
    full_page(page, out / "canvas-print.png")
    page.emulate_media(media="screen")
    tablet_context, tablet = open_board(browser, url, TABLET)
    tablet.get_by_role("button", name="Canvas").click()
    full_page(tablet, out / "canvas-extended-tablet.png")
    switch_layout(page, "classic")
    full_page(page, out / "canvas-classic.png")
    tablet.reload()
    tablet.wait_for_selector("body[data-board-ready]")
    full_page(tablet, out / "canvas-classic-tablet.png")
    page.get_by_role("button", name="Grid").click()
    full_page(page, out / "grid-classic-outside.png")
    switch_layout(page, "extended")
    tablet_context.close()
    context.close()


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
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                shoot(browser, url, out)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
