"""Authentication and origin checks for websockets: session cookie or `Authorization: Token`."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from maps.db_threads import database_sync_to_async


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


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
    return SettingsOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
