"""Turning exceptions and routing misses into responses: the one place error bodies are made.

Both engines get every error body from here — handler exceptions through the compiled route
callable, routing misses through :meth:`ErrorHandling.fallback`, and the errors an engine
detects itself (bad framing, body too large) through :meth:`ErrorHandling.render_error` — so
a client sees the same status, headers and bytes whichever engine serves it.

Every error is first classified into a :class:`BoltError` (status, stable ``kind``, detail,
the validation ``errors``, headers, extra). The default rendering is django-bolt's envelope
``{"detail": ..., "extra"?: ...}``; ``BoltAPI(error_formatter=fn)`` replaces it for every error
of that API, and :func:`problem_details` is a built-in formatter (RFC 9457).

An exception no rule maps is a 500 ``internal_error``, logged (``bolt_api`` logger, ERROR,
with its traceback) with the request's method and path and the route that failed. With
``debug`` on (``BoltAPI(debug=True)``; under Django, ``settings.DEBUG``), its body also
carries what the log says, as django-bolt's debug JSON does: ``{"detail": "ValueError:
boom", "extra": {"exception": "boom", "exception_type": "ValueError", "traceback": [...]}}``
— never with ``debug`` off, since a traceback shows code and data to any client.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ._encoding import JSON_HEADERS, encode_json
from ._response import Response
from ._routing import METHOD_ORDER
from .engine import Request, ResponseTuple
from .exceptions import (
    HTTPException,
    RateLimitExceeded,
    RequestValidationError,
    ResponseValidationError,
    ValidationException,
    reason_phrase,
)

__all__ = [
    "BoltError",
    "ErrorFormatter",
    "ErrorHandling",
    "classify",
    "debug_error",
    "problem_details",
]

logger = logging.getLogger("bolt_api")

_KINDS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    422: "validation",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}
_DJANGO_ERRORS = {
    ("django.core.exceptions", "PermissionDenied"): (403, "Permission denied"),
    ("django.core.exceptions", "SuspiciousOperation"): (400, "Bad Request"),
}


@dataclass(slots=True)
class BoltError:
    """One error, whatever produced it, before it is rendered."""

    status: int
    kind: str
    detail: Any
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: Any = None
    exception: BaseException | None = None


#: ``formatter(error, request) -> Response`` (``request`` is ``None`` for engine errors).
ErrorFormatter = Callable[[BoltError, "Request | None"], "Response | ResponseTuple"]


def _kind(status: int) -> str:
    return _KINDS.get(status, "http_error")


def _django_error(exc: BaseException) -> tuple[int, str] | None:
    for cls in type(exc).__mro__:
        hit = _DJANGO_ERRORS.get((cls.__module__, cls.__name__))
        if hit is not None:
            return hit
    return None


def classify(exc: BaseException) -> BoltError:
    """The :class:`BoltError` for an exception raised while binding or handling."""
    if isinstance(exc, HTTPException):
        return BoltError(
            exc.status_code,
            _kind(exc.status_code),
            exc.detail,
            headers=dict(exc.headers or {}),
            extra=exc.extra,
            exception=exc,
        )
    if isinstance(exc, ValidationException):  # RequestValidationError included
        return BoltError(422, "validation", exc.errors, errors=exc.errors, exception=exc)
    if isinstance(exc, msgspec.ValidationError):
        errors = [{"type": "validation_error", "loc": ["body"], "msg": str(exc)}]
        return BoltError(422, "validation", errors, errors=errors, exception=exc)
    if isinstance(exc, ResponseValidationError):
        logger.error("Response validation error: %s", exc)
        return BoltError(
            500,
            "response_validation",
            "Response validation error",
            errors=exc.errors,
            extra={"validation_errors": exc.errors},
            exception=exc,
        )
    if isinstance(exc, FileNotFoundError):
        return BoltError(404, "not_found", "File not found", exception=exc)
    if isinstance(exc, PermissionError):
        return BoltError(403, "forbidden", "Permission denied", exception=exc)
    django = _django_error(exc)
    if django is not None:
        return BoltError(django[0], _kind(django[0]), django[1], exception=exc)
    # logged by ErrorHandling.handle_exception, which knows the request and the route
    return BoltError(500, "internal_error", "Internal Server Error", exception=exc)


def debug_error(error: BoltError) -> BoltError:
    """``error`` (a 500 for ``error.exception``) with the exception's type, message and
    traceback in its body: django-bolt's debug JSON, for ``debug`` only."""
    exc = error.exception
    if exc is None:
        return error
    name = type(exc).__name__
    lines = "".join(traceback.format_exception(exc)).splitlines()
    return BoltError(
        error.status,
        error.kind,
        f"{name}: {exc}",
        errors=error.errors,
        headers=error.headers,
        extra={"exception": str(exc), "exception_type": name, "traceback": lines},
        exception=exc,
    )


def default_render(error: BoltError) -> ResponseTuple:
    """django-bolt's envelope: ``{"detail": ...}`` plus ``"extra"`` when set (and a 429 of
    ``@rate_limit``'s, its ``"retry_after"``, as django-bolt's)."""
    body: dict[str, Any] = {"detail": error.detail}
    if error.extra is not None:
        body["extra"] = error.extra
    if isinstance(error.exception, RateLimitExceeded):
        body["retry_after"] = error.exception.retry_after
    if not error.headers:  # the shared tuple: engines recognise it (static_headers)
        return error.status, JSON_HEADERS, encode_json(body)
    headers = tuple((k.lower(), v) for k, v in error.headers.items())
    return error.status, (*JSON_HEADERS, *headers), encode_json(body)


#: What every routing miss gets without an ``error_formatter``.
_NOT_FOUND = default_render(BoltError(404, "not_found", "Not Found"))


def problem_details(error: BoltError, request: Request) -> Response:
    """RFC 9457 problem details (``application/problem+json``), for ``error_formatter=``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": reason_phrase(error.status),
        "status": error.status,
    }
    if error.kind == "validation":
        body["detail"] = "Request validation failed"
        body["errors"] = error.errors
    elif error.detail is not None:
        body["detail"] = str(error.detail)
    if request is not None:
        body["instance"] = request.path
    if error.extra is not None and error.kind != "response_validation":
        body["extra"] = error.extra
    return Response(
        encode_json(body),
        status_code=error.status,
        headers=error.headers,
        media_type="application/problem+json",
    )


def _sort_methods(methods: Sequence[str]) -> list[str]:
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    return sorted(set(methods), key=lambda m: (rank.get(m, len(rank)), m))


class ErrorHandling:
    """Error rendering for one API: the default envelope or its ``error_formatter``.

    :meth:`BoltAPI.compile` gives each route its own copy (:meth:`for_route`), so that the
    log line of an unhandled exception can name the route, and ``debug`` comes from the API
    as it is when compiled (Django's ``DEBUG`` is applied after the routes are declared).
    """

    def __init__(
        self,
        formatter: ErrorFormatter | None = None,
        on_unhandled: Callable[[BaseException], None] | None = None,
        *,
        debug: bool = False,
        route: str | None = None,
    ) -> None:
        self.formatter = formatter
        #: Told about every exception answered with a 500 (the test client re-raises them).
        self.on_unhandled = on_unhandled
        #: Whether a 500's body shows the exception (:func:`debug_error`).
        self.debug = debug
        #: ``"GET /items/{item_id}, handler module.function"``, for the log; ``None``: no one route.
        self.route = route

    def observed(self, on_unhandled: Callable[[BaseException], None]) -> ErrorHandling:
        """The same rendering, with ``on_unhandled`` told of each unhandled exception."""
        return ErrorHandling(self.formatter, on_unhandled, debug=self.debug, route=self.route)

    def for_route(self, route: str | None, *, debug: bool) -> ErrorHandling:
        """The same rendering for one route (``None``: the misses, the docs pages)."""
        return ErrorHandling(self.formatter, self.on_unhandled, debug=debug, route=route)

    def render(self, error: BoltError, request: Request | None) -> ResponseTuple:
        if self.formatter is None:
            return default_render(error)
        try:
            result = self.formatter(error, request)
            if isinstance(result, Response):
                return result.render(encode_json)
            return result
        except Exception:
            logger.exception("error_formatter failed; using the default error body")
            return default_render(error)

    def handle_exception(self, exc: BaseException, request: Request) -> ResponseTuple:
        """The response for an exception raised while binding or running a handler."""
        error = classify(exc)
        if error.kind == "internal_error":
            self._log_unhandled(exc, request)
            if self.on_unhandled is not None:
                self.on_unhandled(exc)
            if self.debug:
                error = debug_error(error)
        return self.render(error, request)

    def _log_unhandled(self, exc: BaseException, request: Request) -> None:
        method = getattr(request, "method", "?")
        path = getattr(request, "path", "?")
        if self.route is None:
            logger.error("Unhandled exception in handler for %s %s", method, path, exc_info=exc)
        else:
            logger.error(
                "Unhandled exception in handler for %s %s (route %s)",
                method,
                path,
                self.route,
                exc_info=exc,
            )

    def invalid(self, errors: list[dict[str, Any]], request: Request) -> ResponseTuple:
        """The 422 for the errors a binder recorded: what ``handle_exception`` answers for
        ``RequestValidationError(errors)``, without building the exception and the
        ``BoltError`` when no formatter reads them (every malformed request pays for this)."""
        if self.formatter is None:
            return 422, JSON_HEADERS, encode_json({"detail": errors})
        return self.render(classify(RequestValidationError(errors)), request)

    def render_error(self, status: int) -> ResponseTuple:
        """The response for a status an engine produces on its own."""
        return self.render(BoltError(status, _kind(status), reason_phrase(status)), None)

    def method_not_allowed(self, request: Request, allowed: Sequence[str]) -> ResponseTuple:
        """405 with ``Allow``; an ``OPTIONS`` request gets 204 and ``Allow`` instead."""
        methods = ", ".join(_sort_methods([*allowed, "OPTIONS"]))
        if request.method == "OPTIONS":
            return 204, (("allow", methods),), b""
        return self.render(
            BoltError(405, "method_not_allowed", "Method Not Allowed", headers={"allow": methods}),
            request,
        )

    @property
    def static_not_found(self) -> ResponseTuple | None:
        """The 404 every miss gets, when no formatter makes it depend on the request."""
        return _NOT_FOUND if self.formatter is None else None

    def not_found(self, request: Request) -> ResponseTuple:
        if self.formatter is None:  # the same bytes for every miss: rendered once
            return _NOT_FOUND
        return self.render(BoltError(404, "not_found", "Not Found"), request)
