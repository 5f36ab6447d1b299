"""Shared fixtures: a workspace where alice leads, bob edits, rita researches and vera views;
mallory belongs to another workspace. Services the suite needs fail loudly under CI=true."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection
from rest_framework.test import APIClient

from maps.models import Role
from tests.factories import MapFactory, MembershipFactory, UserFactory, WorkspaceFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/9"


def require(condition: bool, what: str) -> None:
    """Fail under CI, skip on a laptop, when a service the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI and is missing", pytrace=False)
    pytest.skip(f"{what} is not available here")


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS
    require(reachable(url), f"Redis at {url}")
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    require(bool(shutil.which(CHROMIUM)), f"Chromium at {CHROMIUM}")
    return CHROMIUM


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres run in the PostgreSQL pass of CI; on SQLite they are deselected."""
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    if on_postgres:
        return
    selected = [item for item in items if "postgres" not in item.keywords]
    deselected = [item for item in items if "postgres" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True, scope="session")
def _database_is_reachable(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.ensure_connection()


@pytest.fixture(autouse=True, scope="session")
def _board_database_threads_closed(django_db_setup):
    """The websocket's database threads keep their connections: close them before the test
    database is dropped (PostgreSQL refuses to drop a database still in use)."""
    yield
    from maps import db_threads

    db_threads.close_connections()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Research", slug="acme")


def member(workspace, username: str, role: Role):
    user = UserFactory(username=username)
    MembershipFactory(workspace=workspace, user=user, role=role)
    return user


@pytest.fixture
def alice(workspace):
    return member(workspace, "alice", Role.LEAD)


@pytest.fixture
def bob(workspace):
    return member(workspace, "bob", Role.EDITOR)


@pytest.fixture
def rita(workspace):
    return member(workspace, "rita", Role.RESEARCHER)


@pytest.fixture
def vera(workspace):
    return member(workspace, "vera", Role.VIEWER)


@pytest.fixture
def mallory(db):
    other = WorkspaceFactory(name="Elsewhere", slug="elsewhere")
    return member(other, "mallory", Role.LEAD)


@pytest.fixture
def team(alice, bob, rita, vera, mallory):
    return {"alice": alice, "bob": bob, "rita": rita, "vera": vera, "mallory": mallory}


@pytest.fixture
def empathy_map(workspace, alice):
    return MapFactory(workspace=workspace, title="Finance leads", created_by=alice)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as that user."""
    return client_for


@pytest.fixture
def broadcasts(monkeypatch):
    """Every message that would go to the channel layer, after commit, as JSON-decoded dicts."""
    sent = []

    def capture(group, message):
        import json

        from django.core.serializers.json import DjangoJSONEncoder

        sent.append((group, json.loads(json.dumps(message, cls=DjangoJSONEncoder))))

    monkeypatch.setattr("maps.events.send_to_group", capture)
    return sent


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
