"""The ``host`` stage: a request for a host not allowed is answered 400 before anything else.

It sits right after the ``count`` stage (:mod:`bolt_api._pipeline`), in front of the CORS
preflight, authentication and binding, and outside the handler pool: a refused request
costs one dict lookup on the engine's thread and runs nothing of the route. The 400 goes
through the route's error handling and response stages, as every error does. The
routing-miss handler and the docs routes get the same check (:func:`host_checked_fallback`),
so no path of the API answers a host not allowed.
"""

from __future__ import annotations

from collections.abc import Callable

from ._gates import gated
from .engine import Fallback, Request, ResponseTuple, RouteCall
from .exceptions import HTTPException
from .hosts import INVALID_HOST, AllowedHosts

__all__ = ["host_checked", "host_checked_fallback", "refusal"]

#: Turns an exception (and the request) into the error response; never raises.
_OnError = Callable[[BaseException, Request], ResponseTuple]
_Finisher = Callable[[ResponseTuple, Request], ResponseTuple]


def refusal() -> HTTPException:
    """What a refused host is answered as (``400 {"detail": "Invalid Host header"}``)."""
    return HTTPException(400, INVALID_HOST)


def host_checked(
    call: RouteCall,
    hosts: AllowedHosts,
    is_async: bool,
    on_error: _OnError,
    after: _Finisher | None,
) -> RouteCall:
    """``call`` behind the ``host`` stage (``after``: the route's response stages)."""
    allows = hosts.allows
    refused = refusal()

    def refuse(request: Request) -> ResponseTuple | None:
        if allows(request):
            return None
        response = on_error(refused, request)
        return response if after is None else after(response, request)

    return gated(call, refuse, is_async)


def host_checked_fallback(fallback: Fallback, hosts: AllowedHosts, on_error: _OnError) -> Fallback:
    """The routing-miss handler behind the same check (a miss for a host not allowed is a
    400, not a 404 that tells which paths exist)."""
    allows = hosts.allows
    refused = refusal()

    def checked(request: Request, allowed: tuple[str, ...] | None) -> ResponseTuple:
        if allows(request):
            return fallback(request, allowed)
        return on_error(refused, request)

    return checked
