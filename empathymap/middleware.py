"""Request middleware: refusing hostile input before any view (see empathymap.hostile)."""

import logging

from django.db import DataError
from django.http import JsonResponse
from django.shortcuts import render

from empathymap.hostile import InputRefused, check_form_encoded, string_problem

logger = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, detail: str, field: str | None = None):
    if is_api(request):
        body = {"detail": f"{field}: {detail}" if field else detail, "code": "invalid"}
        if field:
            body[field] = [detail]
        return JsonResponse(body, status=400)
    return render(request, "400.html", {"detail": detail, "field": field}, status=400)


class RefuseHostileInputMiddleware:
    """A 400 naming the parameter for a path, query string or form body holding NUL, lone
    surrogates or bytes that are not UTF-8, which Django would otherwise decode with U+FFFD in
    their place (and store) or pass on to the database (which refuses NUL: a 500 or a 503)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            self.check(request)
        except InputRefused as refusal:
            return bad_request(request, refusal.detail, refusal.field)
        return self.get_response(request)

    def check(self, request) -> None:
        problem = string_problem(request.path_info) or (
            "Not valid UTF-8." if "\ufffd" in request.path_info else None
        )
        if problem:
            raise InputRefused(f"The address: {problem}", field="path")
        check_form_encoded(request.META.get("QUERY_STRING", ""), what="query parameter")
        if request.method in ("POST", "PUT", "PATCH") and (request.content_type == FORM_TYPE):
            check_form_encoded(request.body, what="form field")

    def process_exception(self, request, exception):
        # Backstop for input that reached the database anyway: its fault, not the server's.
        if isinstance(exception, DataError):
            logger.warning("The database refused a request's data: %s", exception)
            return bad_request(request, "The database cannot store this value.")
        return None


class MethodNotAllowedPageMiddleware:
    """A page instead of Django's empty 405 outside the API: opening an address that only takes
    a form's button (a bookmarked duplicate or delete link) says that nothing happened and
    offers the way back. The API keeps DRF's JSON 405."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or is_api(request) or response.content:
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
