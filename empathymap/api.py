"""The API's shared edges: turning service exceptions into the contract's error bodies."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, NotSupportedError, ProgrammingError
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from maps.limits import LimitReached
from maps.selectors import note_data
from maps.services import VersionConflict
from research.services import ImportRejected, ImportTooLarge


def validation_detail(errors) -> str:
    if isinstance(errors, dict):
        field, messages = next(iter(errors.items()), ("", []))
        message = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(message, dict | list):
            message = validation_detail(message)
        return f"{field}: {message}" if field not in ("non_field_errors", "__all__") else message
    if isinstance(errors, list) and errors:
        return str(errors[0])
    return str(errors)


logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, DataError):
        # Input the database cannot hold (a NUL, a number out of range) that got past the edges.
        logger.warning("The database refused a request's data: %s", exc)
        return Response(
            {"detail": "The database cannot store this value.", "code": "invalid"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DatabaseError) and not isinstance(exc, ProgrammingError | NotSupportedError):
        # Unavailable, refusing writes, or a race lost to another writer: trying again is the
        # right answer. (A ProgrammingError is a bug: the 500 and its log say so.)
        logger.exception("Database refused a request")
        return Response(
            {
                "detail": "The database refused the change and nothing was saved; try again.",
                "code": "unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, ImportRejected):
        body = {"detail": exc.detail, "code": exc.error_code, "line": exc.line, **exc.extra}
        if isinstance(exc, ImportTooLarge):
            body["limit"] = exc.limit
        return Response(body, status=exc.status_code)
    if isinstance(exc, LimitReached):
        body = {"detail": exc.detail, "code": exc.error_code, "limit": exc.limit}
        return Response({**body, exc.field: [exc.detail]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, VersionConflict):
        return Response(
            {
                "detail": str(exc),
                "code": "conflict",
                "current": note_data(exc.note_id),
            },
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, ValidationError | ParseError)
        and isinstance(response.data, dict)
    ):
        response.data.setdefault("detail", validation_detail(response.data))
        response.data.setdefault("code", "invalid")
    return response
