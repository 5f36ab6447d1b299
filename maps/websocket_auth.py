"""Authentication and origin checks for websockets: session cookie or `Authorization: Token`."""

import asyncio
import weakref

from channels.auth import AuthMiddleware, get_user
from channels.security.websocket import OriginValidator
from channels.sessions import CookieMiddleware, InstanceSessionWrapper
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from maps.db_threads import database_sync_to_async


def users_for_tokens(keys: list[str]) -> dict[str, object]:
    """The active user of each of these token keys, in one query (unknown keys left out)."""
    from rest_framework.authtoken.models import Token

    tokens = Token.objects.select_related("user").filter(key__in=keys, user__is_active=True)
    return {token.key: token.user for token in tokens}


class TokenLookups:
    """Token keys looked up together: the sockets that open while a lookup is on the database
    are answered by the next one, in one query however many they are (a join storm)."""

    def __init__(self):
        self.waiting: dict[str, list[asyncio.Future]] = {}
        self.task: asyncio.Task | None = None

    async def user(self, key: str):
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, []).append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run())
        return await future

    async def run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, {}
            try:
                users, error = await database_sync_to_async(users_for_tokens)(sorted(batch)), None
            except Exception as failure:
                users, error = {}, failure
            for key, futures in batch.items():
                for future in futures:
                    if future.done():
                        continue
                    if error is not None:
                        future.set_exception(error)
                    else:
                        future.set_result(users.get(key) or AnonymousUser())


# One per event loop (tests run a loop per test).
_lookups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def user_for_token(key: str):
    loop = asyncio.get_running_loop()
    lookups = _lookups.get(loop)
    if lookups is None:
        lookups = _lookups[loop] = TokenLookups()
    return await lookups.user(key)


class ReadOnlySessionMiddleware:
    """Channels' SessionMiddleware without its wrapper around every message sent: the board
    never changes the session, so there is nothing to save, and each event to each viewer was
    paying for the check (the session store's `modified` and `is_empty`)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


class PooledAuthMiddleware(AuthMiddleware):
    """Channels' session authentication, on the board's database threads rather than the one
    thread Channels runs every database call of the process on."""

    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await database_sync_to_async(get_user.func)(scope)


class TokenAuthMiddleware:
    """Replaces the session user with the token's user when an Authorization header is sent."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("token "):
            scope = dict(scope, user=await user_for_token(authorization[6:].strip()))
        return await self.inner(scope, receive, send)


def allowed_origins() -> list[str]:
    # Unlike AllowedHostsOriginValidator, this never relaxes under DEBUG.
    return list(settings.ALLOWED_HOSTS)


class SettingsOriginValidator(OriginValidator):
    """Checks the Origin header against ALLOWED_HOSTS as they are when the socket opens."""

    def __init__(self, application):
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope, receive, send):
        self.allowed_origins = allowed_origins()
        return await super().__call__(scope, receive, send)


def websocket_stack(inner):
    return SettingsOriginValidator(
        CookieMiddleware(
            ReadOnlySessionMiddleware(PooledAuthMiddleware(TokenAuthMiddleware(inner)))
        )
    )
