"""Django ``HttpResponse`` objects returned by a handler, passed through as they are.

django-bolt passes a returned ``HttpResponse`` (``JsonResponse``, ``StreamingHttpResponse``,
``FileResponse``, ...) through, so code ported from a Django view keeps working. Bolt renders
it to the engine contract's ``(status, headers, body)``: its status, every header, one
``set-cookie`` per cookie, and its content — bytes, or a :class:`~bolt_api.engine.StreamBody`
over ``streaming_content`` (sync or async) for a streaming response.

Nothing here imports Django: a project returning a Django response has imported
``django.http`` already, so :func:`is_django_response` only looks it up in ``sys.modules``,
and a project without Django pays one dict lookup, on the fallback path only.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .engine import ResponseTuple, StreamBody

__all__ = ["is_django_response", "is_django_response_type", "render_django_response"]

_MODULE = "django.http.response"


def is_django_response(value: object) -> bool:
    """Whether ``value`` is a Django ``HttpResponseBase`` (Django is never imported here)."""
    module = sys.modules.get(_MODULE)
    return module is not None and isinstance(value, module.HttpResponseBase)


def is_django_response_type(tp: object) -> bool:
    """Whether ``tp`` (a route's declared response type) is a Django response class."""
    module = sys.modules.get(_MODULE)
    return module is not None and isinstance(tp, type) and issubclass(tp, module.HttpResponseBase)


def render_django_response(response: Any) -> ResponseTuple:
    """``(status, headers, body)`` for a Django response.

    Header names are lower-cased (the contract's form); ``content-length`` and
    ``transfer-encoding`` are left for the engine to drop and set itself (framing is the
    engine's). Each cookie of ``response.cookies`` becomes its own ``set-cookie`` field.
    """
    headers = [(name.lower(), value) for name, value in response.items()]
    headers.extend(("set-cookie", morsel.OutputString()) for morsel in response.cookies.values())
    if getattr(response, "streaming", False):
        if getattr(response, "is_async", False):
            body: bytes | StreamBody = StreamBody(_async_chunks(response), True)
        else:
            body = StreamBody(_sync_chunks(response), False)
    else:
        body = response.content
    return response.status_code, headers, body


def _close_resources(response: Any) -> None:
    """Close what the response holds open (a ``FileResponse``'s file).

    Not ``response.close()``: that also sends Django's ``request_finished``, which Bolt sends
    itself where the request's database work ran (``bolt_api._django_requests``), not in the
    thread that happens to pull the stream's last chunk.
    """
    for closer in getattr(response, "_resource_closers", ()):
        # as Django's close(): a closer's error is ignored, the client has its answer already
        with contextlib.suppress(Exception):
            closer()


def _sync_chunks(response: Any) -> Iterator[bytes]:
    try:
        for chunk in response.streaming_content:
            yield bytes(chunk) if not isinstance(chunk, bytes) else chunk
    finally:
        _close_resources(response)


async def _async_chunks(response: Any) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.streaming_content:
            yield bytes(chunk) if not isinstance(chunk, bytes) else chunk
    finally:
        _close_resources(response)
