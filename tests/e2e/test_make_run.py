"""`make run` on a fresh SQLite database: daphne and the background worker start together,
an import made through the API is embedded by the worker while the web process keeps writing to
the same SQLite file, and Ctrl-C stops both."""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e.processes import ROOT, api, free_port, tail, wait_for_port

pytestmark = pytest.mark.e2e


def upload(port: int, token: str, slug: str, name: str, content: bytes) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\nsupport_csv\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/workspaces/{slug}/imports/",
        method="POST",
        data=body,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def token_for(port: int, username: str, password: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())["token"]


def wait_until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout}s")


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_make_run_serves_with_a_worker_on_sqlite_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    log_path = tmp_path / "make-run.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "DEBUG",
            "TASKS_BACKEND",
            "MAKEFLAGS",
            "MFLAGS",
            "MAKELEVEL",
        }
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    with log_path.open("wb") as log:
        # A session of its own, as a terminal's foreground job: Ctrl-C reaches the whole group.
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process=make, timeout=240)
        token = token_for(port, "demo", "demo")
        status, workspaces = api(port, token, "GET", "/api/v1/workspaces/")
        assert status == 200, workspaces
        slug = workspaces[0]["slug"]
        rows = "".join(
            f"{9000 + n},2026-03-0{1 + n % 9},Export {n},The CSV export times out in case {n}\n"
            for n in range(250)
        )
        status, report = upload(
            port, token, slug, "tickets.csv", f"Ticket ID,Created,Subject,Body\n{rows}".encode()
        )
        assert status == 201 and report["created"] == 250, report
        progress_url = f"/api/v1/workspaces/{slug}/embedding/"

        # Meanwhile the web process writes to the same SQLite file: no "database is locked".
        status, maps = api(port, token, "GET", f"/api/v1/maps/?workspace={slug}")
        assert status == 200, maps
        for n in range(15):
            status, note = api(
                port,
                token,
                "POST",
                f"/api/v1/maps/{maps[0]['id']}/notes/",
                {"section": "pains", "text": f"Exports time out ({n})"},
            )
            assert status == 201, note

        done = wait_until(
            lambda: (progress := api(port, token, "GET", progress_url)[1])["pending"] == 0
            and progress,
            timeout=120,
            what="every item embedded by the worker",
        )
        assert done["embedded"] == done["total"] >= 250
    except BaseException:
        print(tail(log_path, 80))
        raise
    finally:
        pgid = make.pid
        os.killpg(pgid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            make.wait(timeout=30)
            stopped = wait_until(lambda: group_is_gone(pgid), timeout=30, what="every process")
        finally:
            if not group_is_gone(pgid):
                os.killpg(pgid, signal.SIGKILL)
    assert stopped  # daphne and the worker both
