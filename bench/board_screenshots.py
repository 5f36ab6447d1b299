"""Screenshots of the seeded demo for docs/screenshots: the board, the evidence panel, the
review dashboard and the library, at 1280x800 and at a tablet's 820x1180.

    python bench/board_screenshots.py [--out docs/screenshots]

Serves a fresh SQLite copy of the demo (migrate + seed_demo) with daphne on a free port and
drives Debian's Chromium at /usr/bin/chromium (CHROMIUM_PATH overrides).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.conftest import LAUNCH_ARGS, free_port, wait_for_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}


class Failed(Exception):
    pass


def serve_demo(workdir: Path) -> tuple[subprocess.Popen, str, dict]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'demo.sqlite3'}",
        SECRET_KEY="screenshots-only-secret-key",
        DEBUG="1",
        PORT=str(port),
    )
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = workdir / "daphne.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "empathymap.asgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}", {"log": log}


def log_in(context, url: str, username: str, password: str):
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    return page


def shoot(browser, url: str, out: Path, viewport: dict, suffix: str) -> None:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = log_in(context, url, "demo", "demo")
    page.screenshot(path=out / f"home{suffix}.png")
    page.get_by_role("link", name="Finance leads at small agencies").first.click()
    page.wait_for_selector("body[data-board-ready]")
    page.get_by_role("status").filter(has_text="Live").wait_for()
    # A teammate on the board, editing a note, so that presence shows.
    other = browser.new_context(viewport=viewport)
    maya = log_in(other, url, "maya", "maya")
    maya.goto(page.url)
    maya.get_by_role("status").filter(has_text="Live").wait_for()
    maya.locator("article.note").nth(4).get_by_role("button", name="Edit").click()
    page.locator(".note-peers:not([hidden])").first.wait_for()
    page.screenshot(path=out / f"board{suffix}.png")
    note = page.locator("article.note", has_text="copying").first
    if not note.count():
        note = page.locator("article.note[data-status=supported]").first
    note.get_by_role("button", name="Evidence").click()
    page.get_by_role("list", name="Linked evidence").locator("li").first.wait_for()
    page.screenshot(path=out / f"evidence-panel{suffix}.png")
    page.get_by_role("button", name="Close evidence panel").click()
    if not suffix:
        page.emulate_media(media="print")
        page.screenshot(path=out / "board-print.png", full_page=True)
        page.emulate_media(media="screen")
    page.get_by_role("link", name="Review").first.click()
    page.wait_for_load_state()
    page.screenshot(path=out / f"review{suffix}.png", full_page=True)
    page.get_by_role("link", name="Evidence library").first.click()
    page.wait_for_load_state()
    page.screenshot(path=out / f"library{suffix}.png")
    other.close()
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
                shoot(browser, url, out, DESKTOP, "")
                shoot(browser, url, out, TABLET, "-tablet")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
