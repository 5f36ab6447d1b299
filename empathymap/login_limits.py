"""Failed-login limits: django-axes counts failures per account and per address (settings AXES_*)
for every login path: the login page, the admin login and `POST /api/v1/auth/token/`.

Axes checks the count before the password and records a failure after it, so attempts for one
account that arrive at the same instant (in several processes) would all be checked before any
was counted. This middleware runs the attempts for one username one at a time: a PostgreSQL
advisory lock across processes, a lock per process on SQLite. It also answers a locked-out token
request with the API's 429 (axes' own lockout page answers the two HTML forms), and counts a
token issued as a login, which resets the account's failures."""

import hashlib
import threading
from contextlib import contextmanager

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_message
from django.contrib.auth import get_user_model, user_logged_in
from django.db import connection
from django.http import JsonResponse

from empathymap.hostile import InputRefused, loads

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
API_LOGIN_PATH = "/api/v1/auth/token/"

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def lock_key(username: str) -> int:
    digest = hashlib.blake2b(username.casefold().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def one_attempt_at_a_time(username: str):
    if connection.vendor == "postgresql":
        key = lock_key(username)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    with _process_locks_guard:
        lock = _process_locks.setdefault(username.casefold(), threading.Lock())
    with lock:
        yield


def attempted_username(request) -> str | None:
    if request.method != "POST":
        return None
    if request.path_info == API_LOGIN_PATH:
        if request.content_type == "application/json":
            try:
                body = loads(request.body or b"{}")
            except InputRefused:
                return None
            username = body.get("username") if isinstance(body, dict) else None
        else:
            username = request.POST.get("username")
    elif request.path_info in LOGIN_PATHS:
        username = request.POST.get("username")
    else:
        return None
    return username if isinstance(username, str) else ""


class LoginAttemptMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        username = attempted_username(request)
        if username is None:
            return self.get_response(request)
        with one_attempt_at_a_time(username):
            if request.path_info == API_LOGIN_PATH and not AxesProxyHandler.is_allowed(
                request, {"username": username}
            ):
                return JsonResponse(
                    {"detail": str(get_lockout_message()), "code": "locked_out"}, status=429
                )
            response = self.get_response(request)
            if request.path_info == API_LOGIN_PATH and response.status_code == 200:
                self.token_issued(request, username)
            return response

    def token_issued(self, request, username: str) -> None:
        """A token is a login: reset the account's failures and log it, as the login page does."""
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            user_logged_in.send(sender=user.__class__, request=request, user=user)
