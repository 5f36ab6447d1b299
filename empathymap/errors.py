"""Error responses outside the views: under /api/ they are JSON with `detail` and `code` (the
contract's error body), elsewhere the branded pages. Django calls these for a URL no route
matches (a malformed path parameter like /api/v1/maps/abc/), a SuspiciousOperation, a
PermissionDenied raised outside DRF and an unhandled exception."""

from django.http import JsonResponse
from django.views import defaults

from empathymap.middleware import is_api


def api_error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request, exception):
    if is_api(request):
        return api_error(400, "The request could not be read.", "invalid")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return api_error(403, "You do not have permission to do this.", "forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return api_error(404, "Not found.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api_error(500, "The server failed; nothing was saved.", "internal")
    return defaults.server_error(request)
