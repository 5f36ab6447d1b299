"""An over-size request body is refused with 413 before it is read (issue 12, defect 5)."""

import asyncio

import pytest

from empathymap.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.MAX_REQUEST_BYTES = 1000


async def call(headers, chunks):
    """Run one HTTP request through the whole ASGI application; (status, body, chunks read)."""
    pending = list(chunks)
    read = []
    sent = []

    async def receive():
        if not pending:
            await asyncio.Event().wait()  # the client stays connected
        chunk = pending.pop(0)
        read.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/workspaces/acme/imports/",
        "raw_path": b"/api/v1/workspaces/acme/imports/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    await application(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, read


async def test_a_body_over_the_limit_by_its_length_gets_413_and_is_never_read():
    chunks = [b"x" * 600, b"x" * 600]
    status, body, read = await call([(b"content-length", b"1200")], chunks)
    assert status == 413
    assert b'"too_large"' in body
    assert read == []


async def test_a_chunked_body_is_cut_off_at_the_limit_with_413():
    chunks = [b"x" * 600, b"x" * 600, b"x" * 600, b"x" * 600]
    status, body, read = await call([(b"transfer-encoding", b"chunked")], chunks)
    assert status == 413
    assert len(read) == 2


async def test_a_body_under_the_limit_reaches_the_application():
    status, body, read = await call([(b"content-length", b"10")], [b"0123456789"])
    assert status == 401  # no credentials: the view answered
    assert read == [b"0123456789"]
