"""The screenshot of time travel on the board for docs/screenshots: the seeded demo's board
as of an earlier moment, read-only, with the bar and the banner.

    python bench/timetravel_screenshot.py [--out docs/screenshots]
"""

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.board_screenshots import CHROMIUM, DESKTOP, ROOT, log_in, serve_demo  # noqa: E402
from tests.browser.conftest import LAUNCH_ARGS, wait_for_server  # noqa: E402


def shoot(browser, url: str, out: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    page = log_in(context, url, "demo", "demo")
    page.get_by_role("link", name="Finance leads at small agencies").first.click()
    page.wait_for_selector("body[data-board-ready]")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    page.get_by_role("button", name="Travel in time").click()
    slider = page.locator("#time-slider")
    slider.fill(str(int(slider.get_attribute("max")) * 2 // 3))
    page.locator("#time-banner:not([hidden])").wait_for()
    page.locator("#past-board article.note").first.wait_for()
    page.screenshot(path=out / "board-time-travel.png")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
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
    print(f"screenshot written to {out / 'board-time-travel.png'}")


if __name__ == "__main__":
    main()
