"""The board with 1,000 notes in headless Chromium: time to first render, and time to apply
100 incoming events. Writes the section "Board with 1,000 notes" of docs/performance.md.

    python bench/board_render.py [--notes 1000] [--events 100] [--runs 3] [--no-write]

Serves a fresh SQLite database with daphne on a free port (DEBUG off, as in production),
fills one map through the services, and drives Debian's Chromium (CHROMIUM_PATH overrides).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import LAUNCH_ARGS, free_port, wait_for_server  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database
SECTION = "## Board with 1,000 notes"

FILL = """
import json
from django.contrib.auth import get_user_model
from maps import services
from research import services as research
from research.status import today

User = get_user_model()
for name in ("bench", "other"):
    User.objects.create_user(username=name, password=PASSWORD)
bench = User.objects.get(username="bench")
services.workspace_create(actor=bench, name="Bench", slug="bench")
services.member_add(actor=bench, workspace_slug="bench", username="other", role="editor")
board = services.map_create(actor=bench, workspace_slug="bench", title="A thousand notes")
source = research.source_create(
    actor=bench, workspace_slug="bench", kind="interview", title="Interviews", collected_on=today()
)
evidence = [
    research.evidence_create(actor=bench, source_id=source.pk, text=f"Finding {i}")
    for i in range(5)
]
teams = ["product", "design", "engineering", "marketing", "sales", "support", "research"]
ids = []
for i in range(COUNT):
    note = services.note_create(
        actor=bench, map_id=board.pk, section=board.sections[i % len(board.sections)],
        text=f"Note {i}: the customer closes the books by hand and re-checks every number twice",
        team=teams[i % len(teams)],
    )
    ids.append(note["id"])
for i, note_id in enumerate(ids[::4]):
    research.link_create(
        actor=bench, note_id=note_id, evidence_id=evidence[i % 5].pk,
        stance="contradicts" if i % 7 == 0 else "supports",
    )
print(json.dumps({"map": board.pk, "notes": ids}))
"""

APPLY_EVENTS = """
([notes, count]) => new Promise((resolve) => {
  const socket = window.boardSocket;
  const start = performance.now();
  for (let i = 0; i < count; i += 1) {
    const note = notes[(i * 37) % notes.length];
    const moved = i % 5 === 0;
    const changed = {
      ...note,
      text: `${note.text} (edit ${i})`,
      version: note.version + 1 + i,
      section: moved ? "feels" : note.section,
      position: moved ? 10000 + i : note.position,
    };
    socket.receive({
      type: "event", seq: socket.lastSeq + 1, kind: moved ? "note.moved" : "note.updated",
      actor: "other", op_id: null, at: new Date().toISOString(), note: changed,
    });
  }
  const applied = performance.now();
  requestAnimationFrame(() => setTimeout(() => {
    resolve({apply: applied - start, painted: performance.now() - start});
  }, 0));
})
"""


def serve(workdir: Path, count: int):
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        SECRET_KEY="bench-only-secret-key-not-for-production",
        DEBUG="0",
        PORT=str(port),
        API_RATE="100000/minute",
    )
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    script = FILL.replace("PASSWORD", repr(PASSWORD)).replace("COUNT", str(count))
    filled = subprocess.run(
        [*manage, "shell", "-c", script], env=env, cwd=ROOT, check=True, capture_output=True
    )
    board = json.loads(filled.stdout.decode().strip().splitlines()[-1])
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
    return process, f"http://127.0.0.1:{port}", board, log


def api_token(url: str, username: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


def patch(url: str, token: str, note: dict, text: str) -> None:
    request = urllib.request.Request(
        f"{url}/api/v1/notes/{note['id']}/",
        data=json.dumps({"text": text, "version": note["version"]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="PATCH",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        note.update(json.loads(response.read()))


def measure(browser, url: str, board: dict, events: int, token: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/maps/{board['map']}/")
    page.wait_for_function("() => window.boardTimings && window.boardTimings.painted")
    page.wait_for_function("() => window.boardSocket.state === 'online'")
    timings = page.evaluate(
        """() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => {
            const nav = performance.getEntriesByType("navigation")[0];
            resolve({
                script: window.boardTimings.firstRender,
                painted: window.boardTimings.painted,
                html_bytes: nav.transferSize || nav.encodedBodySize,
                response_end: nav.responseEnd,
                cards: document.querySelectorAll("article.note").length,
                nodes: document.getElementsByTagName("*").length,
            });
        }, 0)))"""
    )
    notes = page.evaluate(
        "() => JSON.parse(document.getElementById('board-data').textContent).notes"
    )
    # Real events: another user edits notes over the API; the board applies them live.
    targets = [dict(note) for note in notes[:events]]
    target_seq = page.evaluate("() => window.boardSocket.lastSeq") + events
    started = time.perf_counter()
    for index, note in enumerate(targets):
        patch(url, token, note, f"Edited over the API, number {index}")
    sent = time.perf_counter()
    page.wait_for_function(f"() => window.boardSocket.lastSeq >= {target_seq}", timeout=60000)
    live = time.perf_counter()
    # Last: synthetic events take seqs the server never issued, so nothing live follows them.
    synthetic = page.evaluate(APPLY_EVENTS, [notes, events])
    search = page.evaluate(
        """() => new Promise((resolve) => {
            const input = document.getElementById("filter-q");
            const start = performance.now();
            input.value = "number 7";
            input.dispatchEvent(new Event("input", {bubbles: true}));
            requestAnimationFrame(() => setTimeout(() => {
                const filtered = performance.now() - start;
                input.value = "";
                input.dispatchEvent(new Event("input", {bubbles: true}));
                resolve(filtered);
            }, 0));
        })"""
    )
    context.close()
    return {
        **timings,
        "events_apply": synthetic["apply"],
        "events_painted": synthetic["painted"],
        "search": search,
        "api_send_s": sent - started,
        "api_live_s": live - started,
        "api_lag_after_last_ms": (live - sent) * 1000,
    }


def summary(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(runs: list[dict], notes: int, events: int, load: float) -> str:
    rows = [
        ("Cards drawn", f"{summary(runs, 'cards'):.0f} ({summary(runs, 'nodes'):,.0f} DOM nodes)"),
        (
            "HTML of the page (map and notes as JSON inside)",
            f"{summary(runs, 'html_bytes') / 1024:,.0f} KiB",
        ),
        (
            "Server response complete (from navigation start)",
            f"{summary(runs, 'response_end'):,.0f} ms",
        ),
        ("Board script: build every card", f"{summary(runs, 'script'):,.0f} ms"),
        ("First render painted (from navigation start)", f"{summary(runs, 'painted'):,.0f} ms"),
        (
            f"Apply {events} incoming events (8 in 10 edits, 2 in 10 moves)",
            f"{summary(runs, 'events_apply'):,.1f} ms",
        ),
        ("… and paint them", f"{summary(runs, 'events_painted'):,.1f} ms"),
        (
            "Text search over the board, one keystroke, painted",
            f"{summary(runs, 'search'):,.1f} ms",
        ),
        (
            f"{events} edits by another user over HTTP, until all shown live",
            f"{summary(runs, 'api_live_s'):,.2f} s (the board trails the last write by "
            f"{summary(runs, 'api_lag_after_last_ms'):,.0f} ms)",
        ),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    day = datetime.now(UTC).date().isoformat()
    plural = "s" if len(runs) != 1 else ""
    return f"""{SECTION} (`bench/board_render.py`)

One extended map with {notes:,} notes (a quarter of them linked to evidence), opened at
1280x800 in headless Chromium (Debian's, `--disable-gpu`) against daphne with DEBUG off and
SQLite. The page carries the map and its notes as JSON (`json_script`); `static/js/board.js`
builds every card once (a `DocumentFragment` per section), then applies each event in place:
it updates the changed text nodes of one card and moves it only when its section or position
changed, so an event costs the same on a board of 10 notes or 1,000. The synthetic events are
fed straight into the socket's receive path, so they measure the browser's work alone; the
HTTP row measures the whole path (API, service, event log, channel layer, websocket, board).
Median of {len(runs)} run{plural}, {day}, load average {load:.1f} on 2 cores when it began
(other work on the machine slows every row):

| measure | value |
| --- | ---: |
{table}

```
.venv/bin/python bench/board_render.py            # --notes, --events, --runs; --no-write
```
"""


def write(section: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(rf"{re.escape(SECTION)}.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        process, url, board, log = serve(Path(tmp), args.notes)
        try:
            wait_for_server(url, process, log)
            token = api_token(url, "other")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                runs = [measure(browser, url, board, args.events, token) for _ in range(args.runs)]
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    for run in runs:
        print(json.dumps({key: round(value, 2) for key, value in run.items()}))
    section = report(runs, args.notes, args.events, load)
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()
