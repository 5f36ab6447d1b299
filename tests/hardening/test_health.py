"""`/healthz` says whether the database and the channel layer are reachable, to anyone."""

import pytest
from django.db import OperationalError
from django.test import Client

from empathymap import health

pytestmark = pytest.mark.django_db


def test_it_answers_ok_without_a_login_and_for_any_host(settings):
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["channel_layer"]["ok"] is True
    assert response["Cache-Control"] == "no-store"


def test_it_names_the_database_when_the_database_is_down(monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_it_names_the_channel_layer_when_it_does_not_answer(monkeypatch):
    class SilentLayer:
        async def new_channel(self):
            return "health!x"

        async def send(self, channel, message):
            pass

        async def receive(self, channel):
            import asyncio

            await asyncio.Event().wait()

    monkeypatch.setattr(health, "get_channel_layer", SilentLayer)
    monkeypatch.setattr(health, "LAYER_TIMEOUT_SECONDS", 0.05)
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["channel_layer"]
    assert body["checks"]["database"]["ok"] is True


def test_failed_logins_do_not_lock_it(settings):
    settings.AXES_FAILURE_LIMIT = 1
    client = Client()
    client.post("/accounts/login/", {"username": "x", "password": "wrong"})
    client.post("/accounts/login/", {"username": "x", "password": "wrong"})
    assert client.get("/healthz").status_code == 200
