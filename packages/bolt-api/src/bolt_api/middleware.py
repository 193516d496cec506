"""Middleware: code around a route's handler, Django's pattern, built once per route.

A middleware is a class ``Cls(get_response)`` with ``async def __call__(self, request)``, or
an ``async def middleware(request, call_next)``. It is declared on the API
(``BoltAPI(middleware=[...])``), a router (``Router(middleware=[...])``) or one handler
(``@middleware(Cls, ...)``), outermost first in that order; ``@skip_middleware(*names)``
takes some off a route — by class or function name or dotted path, ``"cors"``,
``"compression"``, ``"rate_limit"``, ``"django"`` (all Django middleware) or ``"*"``
(every middleware, CORS and compression; a rate limit only by its name). Django's own
middleware runs with Django's semantics through ``BoltAPI(django_middleware=True)``,
``DjangoMiddleware(...)`` and ``DjangoMiddlewareStack([...])`` (:mod:`bolt_api._django_middleware`).
How a request goes through them: :mod:`bolt_api._middleware` and docs/middleware.md.

django-bolt's ``django_bolt.middleware`` names are all here, so its imports port unchanged
(``cors``, ``no_compress`` and ``rate_limit`` live in :mod:`bolt_api.cors`,
:mod:`bolt_api.compression` and :mod:`bolt_api.ratelimit`).
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from ._django_middleware import DjangoMiddleware, DjangoMiddlewareStack
from ._middleware import MiddlewareResponse, ResponseHeaders, check_middleware
from .compression import no_compress
from .cors import cors
from .engine import Request
from .exceptions import HTTPException
from .ratelimit import rate_limit

__all__ = [
    "BaseMiddleware",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "ErrorHandlerMiddleware",
    "GetResponse",
    "LoggingMiddleware",
    "Middleware",
    "MiddlewareProtocol",
    "MiddlewareResponse",
    "ResponseHeaders",
    "TimingMiddleware",
    "cors",
    "middleware",
    "no_compress",
    "rate_limit",
    "skip_middleware",
]

F = TypeVar("F", bound=Callable[..., Any])

#: What a middleware is built with: the next layer, ``await get_response(request)``.
GetResponse = Callable[[Request], Awaitable[MiddlewareResponse]]


@runtime_checkable
class MiddlewareProtocol(Protocol):
    """What Bolt builds and calls: ``Cls(get_response)``, then ``await obj(request)``."""

    def __init__(self, get_response: GetResponse) -> None: ...

    async def __call__(self, request: Request) -> Any: ...


class Middleware(ABC):
    """A middleware with one method to write, ``process_request``, which calls
    ``await self.get_response(request)`` to go on (or returns a response of its own)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    @abstractmethod
    async def process_request(self, request: Request) -> Any:
        """Answer ``request``: usually ``await self.get_response(request)``, changed."""

    async def __call__(self, request: Request) -> Any:
        return await self.process_request(request)


def _glob(pattern: str) -> str:
    """``/docs/*`` (one segment) and ``/static/**`` (any depth) as a regular expression."""
    return re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")


class BaseMiddleware(Middleware):
    """:class:`Middleware` that stays out of the requests its class attributes exclude:
    ``exclude_paths`` (globs: ``*`` one path segment, ``**`` any) and ``exclude_methods``.
    Both are compiled once, when the route's chain is built."""

    exclude_paths: ClassVar[Sequence[str] | None] = None
    exclude_methods: ClassVar[Sequence[str] | None] = None

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        paths = self.exclude_paths or ()
        self._excluded_path = re.compile("|".join(map(_glob, paths))).fullmatch if paths else None
        self._excluded_methods = frozenset(m.upper() for m in self.exclude_methods or ())

    async def __call__(self, request: Request) -> Any:
        if request.method in self._excluded_methods or (
            self._excluded_path is not None and self._excluded_path(request.path)
        ):
            return await self.get_response(request)
        return await self.process_request(request)


def middleware(*specs: Any) -> Callable[[F], F]:
    """Add middleware to this handler's route, inside the API's and the routers'
    (``@middleware(A, B)``: ``A`` outside ``B``). Checked now: a non-middleware is a
    ``TypeError`` here."""
    checked = check_middleware(list(specs), "@middleware")
    if not checked:
        raise TypeError("@middleware(...) takes at least one middleware")

    def decorator(fn: F) -> F:
        declared = getattr(fn, "__bolt_middleware__", ())
        fn.__bolt_middleware__ = checked + tuple(declared)  # type: ignore[attr-defined]
        return fn

    return decorator


def skip_middleware(*names: str) -> Callable[[F], F]:
    """Take middleware off this handler's route, by name (module docstring). A name that
    matches nothing on the route is an error when the API is compiled, not ignored."""
    if not names or not all(isinstance(n, str) and n for n in names):
        raise TypeError("@skip_middleware(...) takes one or more names")
    for name in names:
        if name in ("auth", "authentication", "guards"):
            raise ValueError(
                f"@skip_middleware({name!r}): authentication is not middleware; declare "
                "auth=[] / guards=[] on the route to open it"
            )

    def decorator(fn: F) -> F:
        skipped: frozenset[str] = getattr(fn, "__bolt_skip_middleware__", frozenset())
        fn.__bolt_skip_middleware__ = skipped | frozenset(names)  # type: ignore[attr-defined]
        return fn

    return decorator


class TimingMiddleware(BaseMiddleware):
    """Gives each request an id and says how long the rest of the route took:
    ``request.state["request_id"]``/``["start_time"]``, ``X-Request-ID`` and
    ``X-Response-Time`` (seconds) on the response."""

    async def process_request(self, request: Request) -> Any:
        request_id = str(uuid.uuid4())
        start = time.perf_counter()
        request.state["request_id"] = request_id
        request.state["start_time"] = start
        response = await self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Response-Time"] = f"{time.perf_counter() - start:.6f}s"
        return response


#: Header values ``LoggingMiddleware(log_headers=True)`` never writes to a log.
HIDDEN_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


class LoggingMiddleware(BaseMiddleware):
    """One log line per request before and one after (``bolt_api.requests``, ``INFO``), for
    the routes it is on. Options through ``functools.partial(LoggingMiddleware, ...)``:
    ``logger``, ``log_level``, ``log_headers`` (credentials hidden), ``log_body`` (its size)."""

    exclude_paths: ClassVar[Sequence[str] | None] = ("/health", "/ready", "/metrics")

    def __init__(
        self,
        get_response: GetResponse,
        logger: logging.Logger | None = None,
        log_body: bool = False,
        log_headers: bool = False,
        log_level: int = logging.INFO,
    ) -> None:
        super().__init__(get_response)
        self.logger = logger or logging.getLogger("bolt_api.requests")
        self.log_body = log_body
        self.log_headers = log_headers
        self.log_level = log_level

    async def process_request(self, request: Request) -> Any:
        logged: dict[str, Any] = {"method": request.method, "path": request.path}
        if request.query_string:
            logged["query"] = request.query_string
        if self.log_headers:
            logged["headers"] = {
                k: "***" if k in HIDDEN_HEADERS else v for k, v in request.headers.items()
            }
        if self.log_body:
            logged["body_size"] = len(request.body)
        self.logger.log(self.log_level, "Request: %s", logged)
        start = time.perf_counter()
        response = await self.get_response(request)
        self.logger.log(
            self.log_level,
            "Response: %s for %s %s (%.4fs)",
            response.status_code,
            request.method,
            request.path,
            time.perf_counter() - start,
        )
        return response


class ErrorHandlerMiddleware(BaseMiddleware):
    """Answers an exception an inner layer raised with a JSON 500 (the traceback as its
    ``detail`` with ``debug=True``); an ``HTTPException`` is answered as it says. Bolt's
    chain already answers what inner middleware and handlers raise through the route's
    error handling, so this matters only around ``get_response`` callables of your own."""

    def __init__(self, get_response: GetResponse, debug: bool = False) -> None:
        super().__init__(get_response)
        self.debug = debug
        self.logger = logging.getLogger("bolt_api.errors")

    async def process_request(self, request: Request) -> Any:
        try:
            return await self.get_response(request)
        except HTTPException:
            raise
        except Exception as exc:
            self.logger.exception("Unhandled exception in %s %s", request.method, request.path)
            detail = traceback.format_exc() if self.debug else "Internal Server Error"
            raise HTTPException(500, detail) from exc
