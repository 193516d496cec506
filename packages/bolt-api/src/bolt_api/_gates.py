"""A gate: a stage in front of a route that either answers the request itself or lets it on.

The ``host`` stage (:mod:`bolt_api._hosts`), the CORS ``preflight`` stage
(:mod:`bolt_api._pipeline`) and the ``limit`` stage (:mod:`bolt_api._ratelimit`) are gates:
one check per request, and when it answers, nothing else of the route runs — no thread hop,
no binding. :func:`gated` builds the wrapper once, in
the sync or the async shape the route has, so each stage only says what it checks.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from .engine import Request, ResponseTuple, RouteCall

__all__ = ["Gate", "gated"]

#: ``request -> `` the answer, or ``None`` to let the request on to the route.
Gate = Callable[[Request], "ResponseTuple | None"]


def gated(call: RouteCall, gate: Gate, is_async: bool, *, blocks: bool = False) -> RouteCall:
    """``call`` behind ``gate`` (``is_async``: ``call`` returns a coroutine). ``blocks``: the
    gate waits on I/O (a shared rate-limit store), so on an async route it is awaited through
    ``sync_to_async``, on the request's lane, instead of holding the event loop."""
    if not is_async:
        inner_sync: Callable[[Request], ResponseTuple] = call  # type: ignore[assignment]

        def checked(request: Request) -> ResponseTuple:
            answer = gate(request)
            return inner_sync(request) if answer is None else answer

        return checked
    inner: Callable[[Request], Coroutine[Any, Any, ResponseTuple]] = call  # type: ignore[assignment]

    if blocks:
        from asgiref.sync import sync_to_async

        agate = sync_to_async(gate)

        async def aoffloaded(request: Request) -> ResponseTuple:
            answer = await agate(request)
            return await inner(request) if answer is None else answer

        return aoffloaded

    async def achecked(request: Request) -> ResponseTuple:
        answer = gate(request)
        return await inner(request) if answer is None else answer

    return achecked
