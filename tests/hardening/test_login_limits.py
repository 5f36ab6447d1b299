"""Failed logins are limited per account and per address on every login path, also when the
attempts arrive at once (issue 12, defect 6)."""

import threading

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.DEBUG = False
    settings.AXES_FAILURE_LIMIT = 3


@pytest.fixture
def victim(db):
    return UserFactory(username="victim", password=PASSWORD)


def login_page(client, password, username="victim"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def token(client, password, username="victim", address="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_the_login_page_locks_an_account_after_the_limit_with_a_readable_message(victim):
    client = Client()
    for _ in range(2):
        assert login_page(client, "wrong").status_code == 200
    assert login_page(client, "wrong").status_code == 429
    response = login_page(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_locks_an_account_with_429(victim):
    client = Client()
    for _ in range(3):
        assert token(client, "wrong").status_code == 400
    response = token(client, PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_failures_on_one_path_count_on_the_others(victim):
    client = Client()
    login_page(client, "wrong")
    token(client, "wrong")
    client.post("/admin/login/", {"username": "victim", "password": "wrong"})
    assert token(client, PASSWORD).status_code == 429


def test_the_account_is_locked_from_another_address_too(victim):
    for _ in range(3):
        token(Client(), "wrong", address="10.0.0.1")
    assert token(Client(), PASSWORD, address="10.0.0.2").status_code == 429


def test_one_address_trying_many_accounts_is_locked(victim, db):
    for name in ("ann", "ben", "cat"):
        UserFactory(username=name, password=PASSWORD)
        token(Client(), "wrong", username=name, address="10.0.0.9")
    assert token(Client(), PASSWORD, address="10.0.0.9").status_code == 429
    assert token(Client(), PASSWORD, address="10.0.0.10").status_code == 200


def test_a_success_before_the_limit_resets_the_count(victim):
    client = Client()
    for _ in range(2):
        token(client, "wrong")
    assert token(client, PASSWORD).status_code == 200
    for _ in range(2):
        token(client, "wrong")
    assert token(client, PASSWORD).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_attempts_at_once_check_no_more_passwords_than_the_limit(monkeypatch):
    UserFactory(username="victim", password=PASSWORD)
    checked = []
    real_authenticate = ModelBackend.authenticate

    def counting_authenticate(self, request, username=None, password=None, **kwargs):
        checked.append(password)
        return real_authenticate(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting_authenticate)
    attempts = 12
    start = threading.Barrier(attempts)
    statuses = []

    def attempt(number):
        client = Client()
        start.wait()
        statuses.append(token(client, "wrong", address=f"10.1.0.{number}").status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == 3
    assert sorted(statuses) == [400] * 3 + [429] * (attempts - 3)
    assert token(Client(), PASSWORD, address="10.2.0.1").status_code == 429
