"""A middleware keeping per-request state in a ``threading.local`` (as django-tenants and
django-crum do), for the Django-middleware tests (tests/test_django_middleware.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from asgiref.sync import markcoroutinefunction

_local = threading.local()


def current_tag() -> str | None:
    """The ``X-Tag`` of the request this thread is serving, as the middleware set it."""
    return getattr(_local, "tag", None)


class ThreadLocalMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        _local.tag = request.headers.get("X-Tag")
        try:
            response = self.get_response(request)
        finally:
            _local.tag = None
        response["X-Tag-Seen"] = request.headers.get("X-Tag", "")
        return response


class ExplodingMiddleware:
    """Raises when ``X-Explode`` is sent: Django answers with its own 500."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.headers.get("X-Explode"):
            raise RuntimeError("exploding middleware")
        return self.get_response(request)


class AsyncOnlyMiddleware:
    """An async-only middleware (``sync_capable = False``): Django adapts it in sync mode."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: Any) -> Any:
        response = await self.get_response(request)
        response["X-Async-Middleware"] = "1"
        return response
