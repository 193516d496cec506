"""What an API answers for a request no route takes: the routing-miss handler's rules.

A path served under other methods is a 405 with ``Allow``; the other trailing-slash form of
a routed path is a 308 to it (unless the API keeps slashes as they come); anything else is
the 404. :func:`bolt_answer` tells the Django fallback which misses are still Bolt's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from ._routing import RouteMatcher, TrailingSlash
from .engine import Fallback, Request, ResponseTuple
from .errors import ErrorHandling

if TYPE_CHECKING:
    from ._pipeline import RouteEntry

__all__ = ["bolt_answer", "make_fallback", "raw_path", "trailing_slash_redirect"]


#: Characters a path keeps as they are when quoted (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
#: A path made of those (and ASCII letters and digits) only: ``quote`` would return it as is.
_PLAIN_PATH = re.compile(f"[A-Za-z0-9{re.escape(_PATH_SAFE)}]*").fullmatch


def raw_path(path: str) -> str:
    """The (decoded) request path quoted back, as the routes are matched."""
    return path if _PLAIN_PATH(path) else quote(path, safe=_PATH_SAFE)


def trailing_slash_redirect(
    matcher: RouteMatcher[RouteEntry], policy: TrailingSlash
) -> Callable[[Request], ResponseTuple | None]:
    """The 308 to the other trailing-slash form of the path, when a route serves that form."""

    def redirect(request: Request) -> ResponseTuple | None:
        if policy == "keep":
            return None
        raw = raw_path(request.path)
        if raw != "/":
            alternate = raw[:-1] if raw.endswith("/") else raw + "/"
            if matcher.match(request.method, alternate) is not None:
                location = alternate + (f"?{request.query_string}" if request.query_string else "")
                return 308, (("location", location),), b""
        return None

    return redirect


def make_fallback(
    redirect: Callable[[Request], ResponseTuple | None], errors: ErrorHandling
) -> Fallback:
    """The routing-miss handler: 405, a 308 to the other trailing-slash form, or 404."""

    def fallback(request: Request, allowed: tuple[str, ...] | None) -> ResponseTuple:
        if allowed:
            return errors.method_not_allowed(request, allowed)
        return redirect(request) or errors.not_found(request)

    return fallback


def bolt_answer(
    matcher: RouteMatcher[RouteEntry],
    redirect: Callable[[Request], ResponseTuple | None],
    fallback: Fallback,
) -> Callable[[Request], ResponseTuple | None]:
    """For the Django fallback: ``fallback``'s answer when Bolt serves the path under other
    methods (405) or its other trailing-slash form (308); ``None`` for a real miss."""

    def answer(request: Request) -> ResponseTuple | None:
        allowed = matcher.allowed(raw_path(request.path))
        if allowed or redirect(request) is not None:
            return fallback(request, allowed)
        return None

    return answer
