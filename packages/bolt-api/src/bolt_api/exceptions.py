"""Exceptions a handler may raise, and the errors bolt-api raises itself.

Hierarchy::

    BoltException
    ├── HTTPException(status_code, detail, headers, extra)   -> {"detail": ..., "extra"?: ...}
    │   ├── ClientException (4xx): BadRequest, Unauthorized, Forbidden, NotFound,
    │   │   MethodNotAllowed, NotAcceptable, Conflict, Gone, UnprocessableEntity,
    │   │   TooManyRequests ── RateLimitExceeded(retry_after, limit, burst)
    │   │                          -> 429 {"detail": ..., "retry_after": N} (@rate_limit)
    │   └── ServerException (5xx): InternalServerError, NotImplemented, BadGateway,
    │       ServiceUnavailable, GatewayTimeout
    └── RequestValidationError(errors)                        -> 422 {"detail": [errors]}
    EngineNotFoundError (a start-up error, also a LookupError)
    LifespanError (a start-up error, also a RuntimeError: the lifespan's start-up raised)
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

__all__ = [
    "BadGateway",
    "BadRequest",
    "BoltException",
    "ClientException",
    "Conflict",
    "EngineNotFoundError",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "InternalServerError",
    "LifespanError",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "RateLimitExceeded",
    "RequestValidationError",
    "ResponseValidationError",
    "ServerException",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "ValidationException",
    "reason_phrase",
]


class BoltException(Exception):
    """Root of every exception bolt-api raises on purpose."""


class HTTPException(BoltException):
    """Stop the handler and answer ``status_code`` with ``{"detail": detail}``.

    ``detail`` is turned into a string (empty means the status phrase); ``extra``, when given,
    is added to the body as ``"extra"``; ``headers`` are sent with the response.
    """

    status_code: ClassVar[int] = 500

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: Any = None,
    ) -> None:
        code = status_code if status_code is not None else type(self).status_code
        if not 100 <= int(code) <= 599:
            raise ValueError(f"HTTPException status_code must be 100-599, got {code!r}")
        self.status_code = int(code)  # type: ignore[misc]
        if detail is None or detail == "":
            detail = _phrase(self.status_code)
        self.detail: str = str(detail)
        #: Always a dict (``{}`` when none were given), as django-bolt's: code that adds a
        #: header with ``exc.headers["x"] = ...`` works on any instance.
        self.headers: dict[str, str] = dict(headers) if headers else {}
        self.extra = extra
        super().__init__(self.status_code, self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, detail={self.detail!r})"


#: RFC 9110 names where Python's ``http.HTTPStatus`` differs between versions.
_RFC9110_PHRASES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` (the same on every Python version)."""
    phrase = _RFC9110_PHRASES.get(status)
    if phrase is not None:
        return phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_phrase = reason_phrase


class _FixedStatus(HTTPException):
    """Base of the named exceptions: ``NotFound("no such item")`` takes the detail first."""

    def __init__(
        self,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        extra: Any = None,
        *,
        status_code: int | None = None,
    ) -> None:
        super().__init__(status_code, detail, headers, extra)


class ClientException(_FixedStatus):
    """A 4xx error."""

    status_code = 400


class ServerException(_FixedStatus):
    """A 5xx error."""

    status_code = 500


class BadRequest(ClientException):
    """400 Bad Request."""

    status_code = 400


class Unauthorized(ClientException):
    """401 Unauthorized."""

    status_code = 401


class Forbidden(ClientException):
    """403 Forbidden."""

    status_code = 403


class NotFound(ClientException):
    """404 Not Found."""

    status_code = 404


class MethodNotAllowed(ClientException):
    """405 Method Not Allowed."""

    status_code = 405


class NotAcceptable(ClientException):
    """406 Not Acceptable."""

    status_code = 406


class Conflict(ClientException):
    """409 Conflict."""

    status_code = 409


class Gone(ClientException):
    """410 Gone."""

    status_code = 410


class UnprocessableEntity(ClientException):
    """422 Unprocessable Entity."""

    status_code = 422


class TooManyRequests(ClientException):
    """429 Too Many Requests."""

    status_code = 429


class RateLimitExceeded(TooManyRequests):
    """429 from ``@rate_limit`` (:mod:`bolt_api.ratelimit`): django-bolt's body
    ``{"detail": "Rate limit exceeded. Try again in N seconds.", "retry_after": N}`` and its
    ``Retry-After``, ``X-RateLimit-Limit`` and ``X-RateLimit-Burst`` headers.

    ``retry_after``: whole seconds until a request would be allowed (at least 1, rounded
    up); ``limit`` and ``burst``: the route's ``rps`` and ``burst``. A handler may raise it
    too, to answer the same way.
    """

    def __init__(self, retry_after: int, limit: int, burst: int) -> None:
        self.retry_after = max(1, int(retry_after))
        self.limit = limit
        self.burst = burst
        super().__init__(
            f"Rate limit exceeded. Try again in {self.retry_after} seconds.",
            headers={
                "retry-after": str(self.retry_after),
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-burst": str(burst),
            },
        )


class InternalServerError(ServerException):
    """500 Internal Server Error."""

    status_code = 500


class NotImplemented(ServerException):
    """501 Not Implemented."""

    status_code = 501


class BadGateway(ServerException):
    """502 Bad Gateway."""

    status_code = 502


class ServiceUnavailable(ServerException):
    """503 Service Unavailable."""

    status_code = 503


class GatewayTimeout(ServerException):
    """504 Gateway Timeout."""

    status_code = 504


class ValidationException(BoltException):
    """Data did not validate: answered with 422 and its ``errors``, a list of
    ``{"type", "loc", "msg", "input"?, "ctx"?}`` dicts (django-bolt's base class)."""

    status_code: ClassVar[int] = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(errors)


class RequestValidationError(ValidationException):
    """The request did not bind: answered with 422 and every error found. ``body``: the
    raw request body, kept for error handlers (django-bolt's signature)."""

    def __init__(self, errors: list[dict[str, Any]], *, body: bytes | None = None) -> None:
        self.body = body
        super().__init__(errors)


class ResponseValidationError(BoltException):
    """The handler's return value does not match its declared response type (a 500)."""

    def __init__(self, type_name: str, message: str) -> None:
        self.errors = [
            {
                "loc": ["response"],
                "msg": f"Response validation failed for {type_name}: {message}",
                "type": "validation_error",
            }
        ]
        super().__init__(self.errors[0]["msg"])


class EngineNotFoundError(LookupError):
    """The named engine is unknown or its package is not installed."""


class LifespanError(RuntimeError):
    """The application's lifespan start-up raised: the process does not serve.

    The original exception is ``__cause__``. ``bolt serve`` and ``runbolt`` report it as
    one line (after its traceback), and a supervisor does not start the process again: it
    failed before it was ready, so the server stops with a non-zero status.
    """
