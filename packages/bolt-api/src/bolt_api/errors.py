"""Turning exceptions and routing misses into responses: the one place error bodies are made.

Both engines get every error body from here — handler exceptions through the compiled route
callable, routing misses through :func:`fallback`, and the errors an engine detects itself
(bad framing, body too large) through :func:`render_error` — so a client sees the same
status, headers and bytes whichever engine serves it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from .encoding import JSON_HEADERS, ResponseValidationError, encode_json
from .engine import ResponseTuple
from .exceptions import HTTPException, RequestValidationError, reason_phrase
from .routing import METHOD_ORDER

__all__ = ["fallback", "handle_exception", "render_error"]

logger = logging.getLogger("bolt_api")


def _json_error(status: int, body: dict[str, Any],
                headers: Sequence[tuple[str, str]] = ()) -> ResponseTuple:
    return status, (*JSON_HEADERS, *headers), encode_json(body)


def render_error(status: int) -> ResponseTuple:
    """``{"detail": "<reason phrase>"}`` for a status an engine produces on its own."""
    return _json_error(status, {"detail": reason_phrase(status)})


_NOT_FOUND = render_error(404)
_INTERNAL = render_error(500)


def handle_exception(exc: BaseException) -> ResponseTuple:
    """The response for an exception raised while binding or running a handler."""
    if isinstance(exc, HTTPException):
        body: dict[str, Any] = {"detail": exc.detail}
        if exc.extra is not None:
            body["extra"] = exc.extra
        headers = [(k.lower(), v) for k, v in (exc.headers or {}).items()]
        return _json_error(exc.status_code, body, headers)
    if isinstance(exc, RequestValidationError):
        return _json_error(422, {"detail": exc.errors})
    if isinstance(exc, ResponseValidationError):
        logger.error("Response validation error: %s", exc)
        return _json_error(500, {"detail": "Response validation error",
                                 "extra": {"validation_errors": exc.errors}})
    if isinstance(exc, msgspec.ValidationError):
        return _json_error(422, {"detail": [
            {"type": "validation_error", "loc": ["body"], "msg": str(exc)}]})
    logger.error("Unhandled exception in handler", exc_info=exc)
    return _INTERNAL


def _sort_methods(methods: Sequence[str]) -> list[str]:
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    return sorted(set(methods), key=lambda m: (rank.get(m, len(rank)), m))


def fallback(request: Any, allowed: tuple[str, ...] | None) -> ResponseTuple:
    """A routing miss: 404, or 405 with ``Allow`` (an ``OPTIONS`` request gets 204 + Allow)."""
    if not allowed:
        return _NOT_FOUND
    methods = _sort_methods([*allowed, "OPTIONS"])
    allow = ("allow", ", ".join(methods))
    if request.method == "OPTIONS":
        return 204, (allow,), b""
    return _json_error(405, {"detail": "Method Not Allowed"}, (allow,))
