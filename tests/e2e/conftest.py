"""End-to-end fixtures: a database of their own that live daphne processes can reach (a SQLite
file, or a PostgreSQL database created for the session when DATABASE_URL is PostgreSQL), and a
cluster of daphne processes per test, on free loopback ports, sharing Redis."""

import json
import os
import shutil
import subprocess
import sys
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from tests.conftest import require
from tests.e2e.processes import (
    APPLICATION,
    PRESENCE_TTL_SECONDS,
    ROOT,
    Daphne,
    RedisServer,
    api,
    server_env,
    tail,
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def run_manage(args: list[str], database_url: str) -> str:
    env = server_env(database_url=database_url, redis_url="", prefix="unused")
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def e2e_database(tmp_path_factory):
    """(database URL, seed) of a migrated database with the e2e workspace and tokens."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if suite_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urlparse(suite_url)
        name = f"empathymap_e2e_{uuid.uuid4().hex[:10]}"
        admin_url = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunparse(parsed._replace(path=f"/{name}"))
    else:
        admin_url = name = None
        url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite3'}"
    try:
        run_manage(["manage.py", "migrate", "--noinput"], url)
        seed = json.loads(run_manage(["tests/e2e/seed.py"], url))
        yield url, seed
    finally:
        if admin_url:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """Daphne processes sharing one database and one Redis (under a prefix of this test's own)."""

    def __init__(self, database_url: str, seed: dict, redis_url: str, log_dir):
        self.database_url = database_url
        self.seed = seed
        self.tokens = seed["tokens"]
        self.redis_url = redis_url
        self.prefix = f"e2e{uuid.uuid4().hex[:10]}"
        self.log_dir = log_dir
        self.servers: list[Daphne] = []

    def start(self, count: int, *, application: str = APPLICATION, **settings) -> list[int]:
        """Start `count` processes (settings: extra environment variables) and wait for them."""
        env = server_env(
            database_url=self.database_url,
            redis_url=self.redis_url,
            prefix=self.prefix,
            PRESENCE_TTL_SECONDS=PRESENCE_TTL_SECONDS,
            **settings,
        )
        servers = [Daphne(env, self.log_dir, application=application) for _ in range(count)]
        self.servers.extend(servers)
        return [server.wait().port for server in servers]

    def server(self, port: int) -> Daphne:
        return next(server for server in self.servers if server.port == port)

    def create_map(self, port: int, title: str = "Live board") -> int:
        status, body = api(
            port,
            self.tokens["alice"],
            "POST",
            "/api/v1/maps/",
            {"workspace": self.seed["workspace"], "title": title},
        )
        assert status == 201, body
        return body["id"]

    def map_state(self, port: int, map_id: int) -> dict:
        status, body = api(port, self.tokens["alice"], "GET", f"/api/v1/maps/{map_id}/")
        assert status == 200, body
        return body

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {server.log_path.name} ---\n{tail(server.log_path)}" for server in self.servers
        )


def _cluster(request, e2e_database, redis_url, tmp_path):
    cluster = Cluster(*e2e_database, redis_url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            print(cluster.logs())


@pytest.fixture
def cluster(request, e2e_database, redis_url, tmp_path):
    """Daphne processes on the suite's Redis."""
    yield from _cluster(request, e2e_database, redis_url, tmp_path)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, which it may restart."""
    require(bool(shutil.which("redis-server")), "redis-server")
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_cluster(request, e2e_database, private_redis, tmp_path):
    """Daphne processes on a private Redis."""
    yield from _cluster(request, e2e_database, private_redis.url, tmp_path)
