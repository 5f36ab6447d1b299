"""Real server processes for the end-to-end tests: daphne, a private redis-server, and the
HTTP API spoken with the standard library."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Fast presence for tests: a heartbeat every 1.5s; a dead process's users leave within 6s.
PRESENCE_TTL_SECONDS = 6


def _load_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()  # looked up here: the child between fork and exec must not import
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in the child before exec: if the test process dies (a CI timeout's SIGKILL, say)
    before its fixtures tear down, its servers die too instead of lingering as orphans."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, timeout=30.0) -> None:
    """Wait until something accepts connections on the port (instead of sleeping)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited ({process.returncode}) before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


APPLICATION = "empathymap.asgi:application"


class Daphne:
    """One `daphne empathymap.asgi:application` process on a free loopback port."""

    def __init__(self, env: dict, log_dir: Path, *, application: str = APPLICATION):
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    application,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )

    def wait(self) -> "Daphne":
        wait_for_port(self.port, process=self.process)
        return self

    def kill(self) -> None:
        """Die as a crashed process does: no clean-up, no goodbyes."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class RedisServer:
    """A private redis-server on a free port, which the test may restart; never the system one."""

    def __init__(self, log_dir: Path):
        self.binary = shutil.which("redis-server") or "redis-server"
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, *, down_for: float = 1.0) -> None:
        """Stop (forgetting everything: no persistence) and start again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()


def api(port: int, token: str, method: str, path: str, body: dict | None = None):
    """(status, decoded JSON body) of one HTTP API call with token auth."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def server_env(*, database_url: str, redis_url: str, prefix: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="empathymap.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=prefix,
        SECRET_KEY="e2e-not-secret",  # noqa: S106
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **{name: str(value) for name, value in extra.items()},
    )
    return env
