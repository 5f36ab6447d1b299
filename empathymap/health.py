"""`GET /healthz`: whether this process can reach its database and its channel layer, for the
load balancer and docker-compose health checks. No login, no throttle, no host check and no
HTTPS redirect: it is answered by the first middleware, before any of those."""

import asyncio
import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
LAYER_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def layer_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.check"})
    message = await layer.receive(channel)
    if message.get("type") != "health.check":
        raise RuntimeError("the channel layer returned another message")


def check_channel_layer() -> None:
    async def bounded():
        await asyncio.wait_for(layer_round_trip(), LAYER_TIMEOUT_SECONDS)

    async_to_sync(bounded)()


CHECKS = {"database": check_database, "channel_layer": check_channel_layer}


def health(request) -> JsonResponse:
    checks = {}
    failed = []
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:
            logger.warning("Health check %s failed: %r", name, error)
            checks[name] = {"ok": False, "error": type(error).__name__}
            failed.append(name)
        else:
            checks[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    if failed:
        body = {"status": "unavailable", "failed": failed, "checks": checks}
        return JsonResponse(body, status=503, headers={"Cache-Control": "no-store"})
    return JsonResponse({"status": "ok", "checks": checks}, headers={"Cache-Control": "no-store"})


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in (HEALTH_PATH, HEALTH_PATH + "/") and request.method in (
            "GET",
            "HEAD",
        ):
            return health(request)
        return self.get_response(request)
