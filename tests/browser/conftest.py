"""A real server for the browser tests: daphne (HTTP and websockets) in a subprocess, on a free
port, against its own database, driven by Debian's Chromium through Playwright.

The database is a temporary SQLite file, or, when DATABASE_URL names PostgreSQL, a database of
its own on that server, created here and dropped at the end. REDIS_URL passes through, so the
channel layer is the one the rest of the suite uses.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORDS = {name: f"{name}-browser-pw-7" for name in ("alice", "bob", "rita", "vera")}
SERVER_START_SECONDS = 60

# Users and a workspace for the tests, written through the services like any other data.
SEED = """
import json
from django.contrib.auth import get_user_model
from maps import services
from research import services as research
from research.status import today

passwords = json.loads(PASSWORDS)
User = get_user_model()
users = {
    name: User.objects.create_user(username=name, password=pw) for name, pw in passwords.items()
}
alice = users["alice"]
services.workspace_create(actor=alice, name="Acme Research", slug="acme")
for name, role in [("bob", "editor"), ("rita", "researcher"), ("vera", "viewer")]:
    services.member_add(actor=alice, workspace_slug="acme", username=name, role=role)
segment = research.segment_create(actor=alice, workspace_slug="acme", name="Small agencies")
source = research.source_create(
    actor=alice, workspace_slug="acme", kind="interview", title="Interview with Priya",
    collected_on=today(), url="https://example.com/interviews/priya", segment_id=segment.pk,
)
research.evidence_create(
    actor=alice, source_id=source.pk, participant="Priya", locator="00:04:10",
    text="Closing the month takes me three days of copying numbers between spreadsheets.",
)
research.evidence_create(
    actor=alice, source_id=source.pk, participant="Priya",
    text="I never look at the dashboard; the partners ask me for a spreadsheet anyway.",
)
print(json.dumps({"ok": True}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_database(url: str) -> tuple[str, callable]:
    """A fresh database beside the one DATABASE_URL names; returns its URL and a dropper."""
    import psycopg

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'empathymap'}_browser_{os.getpid()}"[:63]
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunparse(parsed._replace(path=f"/{name}")), drop


@dataclass
class LiveServer:
    url: str
    env: dict
    log: Path
    tokens: dict = field(default_factory=dict)

    def request(self, method: str, path: str, body=None, *, user: str = "alice"):
        """Calls the HTTP API as a user (token auth); returns (status, decoded JSON or None)."""
        headers = {"Accept": "application/json", "Authorization": f"Token {self.token(user)}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def token(self, user: str) -> str:
        if user not in self.tokens:
            body = json.dumps({"username": user, "password": PASSWORDS[user]}).encode()
            request = urllib.request.Request(
                self.url + "/api/v1/auth/token/",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                self.tokens[user] = json.loads(response.read())["token"]
        return self.tokens[user]

    def new_map(self, title: str = "Finance leads", layout: str = "extended") -> dict:
        status, payload = self.request(
            "POST", "/api/v1/maps/", {"workspace": "acme", "title": title, "layout": layout}
        )
        assert status == 201, payload
        return payload

    def add_note(self, map_id: int, text: str, section: str = "says", user: str = "bob") -> dict:
        status, payload = self.request(
            "POST", f"/api/v1/maps/{map_id}/notes/", {"section": section, "text": text}, user=user
        )
        assert status == 201, payload
        return payload

    def note(self, note_id: int) -> dict:
        status, payload = self.request("GET", f"/api/v1/notes/{note_id}/")
        assert status == 200, payload
        return payload


def wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne exited early:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"daphne did not answer in time:\n{log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="package")
def board_server(tmp_path_factory, chromium_path):
    workdir = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    env = dict(os.environ)
    env.update(
        SECRET_KEY="browser-test-secret-key-not-for-production",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        ALLOW_SIGNUP="1",
    )
    drop = None
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"], drop = postgres_database(database_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'browser.sqlite3'}"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    seed = SEED.replace("json.loads(PASSWORDS)", f"json.loads({json.dumps(PASSWORDS)!r})")
    subprocess.run([*manage, "shell", "-c", seed], env=env, cwd=ROOT, check=True)
    log = workdir / "daphne.log"
    with log.open("w") as out:
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
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, log=log)
    try:
        wait_for_server(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drop is not None:
            drop()


@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def signed_in_states(browser, board_server):
    """Each user logs in once, through the login form; later contexts reuse the cookies."""
    states = {}

    def state_for(username: str) -> dict:
        if username not in states:
            context = browser.new_context(base_url=board_server.url)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORDS[username])
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{board_server.url}/")
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state_for


# Reports every Content-Security-Policy violation of the page to the console, where
# watch_csp collects it (Chromium also logs the refusals it makes itself there).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


def watch_csp(context, violations: list[str]) -> None:
    """Collect the CSP violations reported in any page of this context into `violations`."""
    context.add_init_script(CSP_REPORTER)

    def on_console(message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    context.on("console", on_console)


@pytest.fixture
def csp_violations():
    """The CSP violations seen in this test's browser contexts; the test fails if any remain."""
    violations: list[str] = []
    yield violations
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def new_context(browser, board_server, csp_violations):
    """A signed-out browser context at 1280x800, closed after the test."""
    contexts = []

    def create():
        context = browser.new_context(
            base_url=board_server.url, viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(5000)
        watch_csp(context, csp_violations)
        contexts.append(context)
        return context

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def open_as(browser, board_server, signed_in_states, csp_violations):
    """open_as(username, path) -> a page of a new browser context, signed in, at `path`.

    A page that reports a Content-Security-Policy violation fails the test."""
    contexts = []

    def open_page(username: str, path: str, *, viewport=None):
        context = browser.new_context(
            base_url=board_server.url,
            storage_state=signed_in_states(username),
            viewport=viewport or {"width": 1280, "height": 800},
        )
        context.set_default_timeout(5000)
        watch_csp(context, csp_violations)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated through DevTools, which the page's CSP does not govern (a <script> tag would be
    # refused as inline script, and rightly so).
    page.evaluate(AXE.read_text())
    results = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [item for item in results if item["impact"] in ("serious", "critical")]
