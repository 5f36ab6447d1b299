"""An ASGI wrapper in front of Django that refuses an HTTP request body over MAX_REQUEST_BYTES
with 413 before any of it is read: by its Content-Length when it has one, and by counting the
chunks when it is sent without (chunked). Django itself spools a body past
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; this keeps an over-size one from being read at
all. (A proxy in front should still cap bodies, as deploy/nginx.conf does: daphne reads a whole
request before handing it to the application.)"""

import json

from django.conf import settings


def header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


async def refuse(scope, send, status: int, detail: str, code: str, limit: int) -> None:
    body = json.dumps({"detail": detail, "code": code, "limit": limit}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BYTES
        too_large = f"The request body may be at most {limit:,} bytes."
        length = header(scope, b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                return await refuse(scope, send, 400, "Bad Content-Length.", "invalid", limit)
            if int(length) > limit:
                return await refuse(scope, send, 413, too_large, "too_large", limit)
            return await self.app(scope, receive, send)

        received = 0
        over = False
        started = False

        async def counted_receive():
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if over and not started:
            await refuse(scope, send, 413, too_large, "too_large", limit)
