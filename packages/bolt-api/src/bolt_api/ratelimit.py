"""Rate limiting: how many requests one client may make to a route, per second and at once.

``@rate_limit(rps=100, burst=None, key="ip", cache=None)`` (django-bolt's signature) puts a
``limit`` stage in the route's pipeline, right after authentication and guards, so that a
limit keyed by ``"user"`` sees who the request was authenticated as. A request over the
limit is answered ``429`` with django-bolt's body ``{"detail": "Rate limit exceeded. Try
again in N seconds.", "retry_after": N}`` and the headers ``Retry-After: N``,
``X-RateLimit-Limit`` (``rps``) and ``X-RateLimit-Burst``, through the route's error
handling and response stages (so CORS headers and an ``error_formatter`` apply to it).
Responses under the limit carry no rate-limit header, as django-bolt's; a route without
``@rate_limit`` has no ``limit`` stage at all.

The algorithm is GCRA (the generic cell rate algorithm; :mod:`bolt_api._ratelimit`): one
number per client, the *theoretical arrival time* of its next request. A client may send
``burst`` requests at once, then one every ``1/rps`` seconds.

``key`` says who "one client" is:

* ``"ip"``: the client address — the TCP peer, or the address ``X-Forwarded-For`` gives when
  the peer is a trusted proxy (``--trusted-proxy``, ``BOLT_TRUSTED_PROXIES``;
  :mod:`bolt_api.proxies`): a client cannot pick its own bucket by sending that header;
* ``"user"``: the authenticated identity (``AuthContext.user_id``), for a route with
  authentication backends;
* ``"api_key"``: the key an ``APIKeyAuthentication`` backend accepted;
* any other name: a request header (``"x-api-key"``, ``"x-tenant"``), taken as it is.

A request that has no such identity (not authenticated, or without the header) is limited
by its client address instead, never let through unlimited.

Where the arrival times live: in the process by default (a bounded dict per route), or in a
Django cache — ``cache="<alias>"`` per route, or the setting ``BOLT_RATE_LIMIT_CACHE =
"<alias>"`` for every rate-limited route that names none — so that one limit holds across
``--processes N`` and across machines. On Django's ``RedisCache`` the check is one atomic
Lua script using the Redis server's clock; on another backend it is serialised by a lock
taken with ``cache.add`` (as atomic as the backend's ``add``).

An argument the limiter cannot honour is an error when the decorator runs (``rps`` or
``burst`` below 1, a key that is not a header name) or when the API is compiled (a cache
alias missing from ``CACHES``, ``key="user"`` on a route without authentication).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["KEY_KINDS", "RateLimit", "rate_limit"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: The key names with a meaning of their own; any other key is a request header's name.
KEY_KINDS = frozenset({"ip", "user", "api_key"})
#: An HTTP field name (RFC 9110 ``token``).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _whole(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"@rate_limit: {what} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"@rate_limit: {what} must be 1 or more, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One route's limit, as :func:`rate_limit` declared and checked it.

    ``rps``: requests per second allowed in the long run. ``burst``: requests allowed at
    once (``2 * rps`` when not given). ``key``: ``"ip"``, ``"user"``, ``"api_key"`` or a
    header name, lower-cased. ``cache``: a Django cache alias, or ``None`` for the
    ``BOLT_RATE_LIMIT_CACHE`` setting, else the process's memory.
    """

    rps: int
    burst: int
    key: str = "ip"
    cache: str | None = None

    def __post_init__(self) -> None:
        _whole(self.rps, "rps")
        _whole(self.burst, "burst")
        key = self.key
        if not isinstance(key, str) or not _TOKEN.fullmatch(key):
            raise ValueError(
                f"@rate_limit: key must be 'ip', 'user', 'api_key' or a header name, got {key!r}"
            )
        object.__setattr__(self, "key", key.lower())
        cache = self.cache
        if cache is not None and (not isinstance(cache, str) or not cache):
            raise ValueError(f"@rate_limit: cache must be a Django cache alias, got {cache!r}")

    @property
    def is_header(self) -> bool:
        """Whether :attr:`key` names a request header."""
        return self.key not in KEY_KINDS


def rate_limit(
    rps: int = 100,
    burst: int | None = None,
    key: str = "ip",
    cache: str | None = None,
) -> Callable[[_F], _F]:
    """Limit the route to ``rps`` requests per second per client, ``burst`` at once.

    Decorates a handler (above or below the route decorator), an ``APIView``/``ViewSet``
    method, or the class itself (every route of it). See the module docstring for ``key``
    and ``cache``; every argument is checked here, the cache alias when the API is compiled.
    """
    limit = RateLimit(rps, 2 * _whole(rps, "rps") if burst is None else burst, key, cache)

    def decorate(fn: _F) -> _F:
        if "__bolt_rate_limit__" in getattr(fn, "__dict__", {}):
            raise ValueError(f"{getattr(fn, '__qualname__', fn)!s} has a @rate_limit already")
        fn.__bolt_rate_limit__ = limit  # type: ignore[attr-defined]
        return fn

    return decorate
