"""One structured log line per HTTP request, and a request id on every log line written while it
is handled. The id is the client's or proxy's `X-Request-ID` when it is sane (1 to 128 letters,
digits and `._:-`), else a new one; the response carries it back in `X-Request-ID`.
settings.LOG_FORMAT=json writes every log record as one JSON object (JSONFormatter)."""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

logger = logging.getLogger("empathymap.request")

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# The attributes every LogRecord has; anything else on a record came from `extra=`.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def request_id_for(request) -> str:
    offered = request.headers.get("X-Request-ID", "")
    if SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_for(request)
        # Not reset on the way out: Django logs a 4xx/5xx ("django.request") after the
        # middleware returns, and that line should carry the id too. Each ASGI request runs in
        # a context of its own, so the id does not leak into the next one.
        request_id_var.set(request.request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
