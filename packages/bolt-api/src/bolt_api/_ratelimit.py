"""The ``limit`` stage of a route's pipeline: GCRA over an in-process or a Django cache store.

**GCRA** (the generic cell rate algorithm, as in ATM networks and the ``governor`` crate
django-bolt uses) keeps one number per client: its *theoretical arrival time* (TAT), when
its next request would arrive if it sent them exactly ``rps`` per second. With ``T = 1/rps``
(the emission interval) and ``τ = burst·T`` (the tolerance), a request at ``now``:

* takes ``tat = max(TAT, now)`` (a client idle for a while has its full burst back, no more);
* is allowed when ``tat + T - τ <= now``, and moves the TAT to ``tat + T``;
* is refused otherwise, leaving the TAT alone, and may retry in ``tat + T - τ - now``
  seconds.

So ``burst`` requests pass at once, then one every ``T``; a TAT in the past means the same
as no TAT at all, which is what lets every store forget old clients. :func:`gcra` is that
arithmetic alone, on an explicit ``now``; the stores give it a clock and somewhere to keep
TATs:

* :class:`MemoryStore`: a dict per route in the process, ``time.monotonic``, one lock.
  Bounded: past :data:`MAX_KEYS` clients it drops those whose TAT has passed, and, if that
  is not enough (a flood of live clients), the least recently seen ones — which then get a
  fresh burst, the price of bounded memory.
* :class:`RedisStore`: Django's ``RedisCache``: one Lua script per request, atomic on the
  Redis server and timed by its clock (``TIME``), so processes and machines agree; keys
  expire with their TAT.
* :class:`CacheStore`: any other Django cache: the TAT read and written under a per-key
  lock taken with ``cache.add`` (atomic on memcached, Redis and the database cache; per
  process only on the local-memory cache), timed by the wall clock (``time.time``: machines
  sharing it should run NTP). A lock that stays taken past :data:`LOCK_WAIT` answers 429.

A store's own failure (Redis down) is an exception, answered by the route's error handling
(a 500): a limit that silently stops limiting would be worse.

The two shared stores wait on the network (and :class:`CacheStore` on its lock), so they say
``blocks = True``, as a database-reading authentication backend does: a ``def`` route that
would run in place on the engine's thread runs on the handler pool instead
(``bolt_api._pipeline``), and an ``async`` route awaits the check through ``sync_to_async``,
on the request's lane, so the event loop never waits for Redis.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from ._gates import gated
from .auth._backends import APIKeyAuthentication, BaseAuthentication
from .auth._context import STATE_KEY, AuthContext
from .engine import Needs, Request, ResponseTuple, RouteCall
from .exceptions import RateLimitExceeded
from .ratelimit import RateLimit

__all__ = [
    "LOCK_WAIT",
    "MAX_KEYS",
    "CacheStore",
    "Limiter",
    "MemoryStore",
    "RedisStore",
    "Store",
    "gcra",
    "limited",
    "limiter_for",
]

#: Clients an in-process store keeps per route before it forgets some (see the docstring).
MAX_KEYS = 100_000
#: Seconds a request waits for a :class:`CacheStore` key lock before it is answered 429.
LOCK_WAIT = 0.5
#: A key value (a header) longer than this is kept as its digest, so memory stays bounded.
_LONGEST_KEY = 64
_SETTING = "BOLT_RATE_LIMIT_CACHE"


def gcra(tat: float | None, now: float, interval: float, tolerance: float) -> tuple[float, float]:
    """One request at ``now`` against the stored ``tat`` (``None``: none stored).

    Returns ``(tat, wait)``: ``wait == 0`` allows the request and ``tat`` is the TAT to
    store; ``wait > 0`` refuses it (seconds until one would pass) and ``tat`` is unchanged.
    """
    base = now if tat is None or tat < now else tat
    allowed_at = base + interval - tolerance
    if allowed_at > now:
        return base, allowed_at - now
    return base + interval, 0.0


class Store(Protocol):
    """Where one route's TATs live: ``hit(key)`` is one request of that client, and returns
    the seconds it must wait (``0.0``: allowed, and counted); ``blocks``: whether ``hit``
    waits on I/O or a lock held elsewhere (the route's check then runs off the engine's
    thread and off the event loop)."""

    blocks: ClassVar[bool]

    def hit(self, key: str) -> float: ...


class MemoryStore:
    """TATs in a dict of this process, in last-seen order (module docstring)."""

    __slots__ = ("_clock", "_interval", "_lock", "_max_keys", "_tats", "_tolerance")
    blocks: ClassVar[bool] = False

    def __init__(
        self,
        interval: float,
        tolerance: float,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._tolerance = tolerance
        self._max_keys = max_keys
        self._clock = clock
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tats)

    def hit(self, key: str) -> float:
        # gcra(), inlined: this runs on every request of the route
        with self._lock:
            now = self._clock()
            tats = self._tats
            tat = tats.pop(key, now)  # put back last: the dict stays in last-seen order
            if tat < now:
                tat = now
            allowed_at = tat + self._interval - self._tolerance
            if allowed_at > now:
                tats[key] = tat
                return allowed_at - now
            tats[key] = tat + self._interval
            if len(tats) > self._max_keys:
                self._evict(now)
            return 0.0

    def _evict(self, now: float) -> None:
        """Drop the clients whose TAT has passed (they lose nothing); then, while more than
        three quarters of the cap are left, the least recently seen — so that a flood of
        live clients costs one sweep per quarter of the cap, not one per request."""
        tats = self._tats
        for key in [k for k, tat in tats.items() if tat <= now]:
            del tats[key]
        excess = len(tats) - self._max_keys * 3 // 4
        if excess > 0:
            for key in list(itertools.islice(tats, excess)):
                del tats[key]


def _cache(alias: str) -> Any:
    from django.core.cache import caches

    return caches[alias]


class CacheStore:
    """TATs in a Django cache, under a ``cache.add`` lock per key (module docstring)."""

    __slots__ = ("_alias", "_clock", "_interval", "_prefix", "_tolerance")
    blocks: ClassVar[bool] = True

    def __init__(
        self,
        alias: str,
        prefix: str,
        interval: float,
        tolerance: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._alias = alias
        self._prefix = prefix
        self._interval = interval
        self._tolerance = tolerance
        self._clock = clock

    def hit(self, key: str) -> float:
        cache = _cache(self._alias)
        name = self._prefix + _digest(key)
        lock = name + ".lock"
        deadline = time.monotonic() + LOCK_WAIT
        pause = 0.0005
        while not cache.add(lock, 1, timeout=max(1, math.ceil(LOCK_WAIT * 4))):
            if time.monotonic() > deadline:
                return 1.0  # this client is racing itself hard: over its limit anyway
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        try:
            now = self._clock()
            stored = cache.get(name)
            tat, wait = gcra(stored, now, self._interval, self._tolerance)
            if not wait:
                cache.set(name, tat, timeout=math.ceil(tat - now) + 1)
            return wait
        finally:
            cache.delete(lock)


#: KEYS[1]: the client's key; ARGV: the interval and the tolerance, in microseconds. Returns
#: the wait in microseconds (0: allowed). ``%.0f``: Redis would turn a Lua number into a
#: string with 14 significant digits, too few for microseconds since 1970.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat + interval - tonumber(ARGV[2]) - now
if wait > 0 then return math.ceil(wait) end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
"""


class RedisStore:
    """TATs in Redis through Django's ``RedisCache``, one atomic script per request."""

    __slots__ = ("_alias", "_args", "_prefix")
    blocks: ClassVar[bool] = True

    def __init__(self, alias: str, prefix: str, interval: float, tolerance: float) -> None:
        self._alias = alias
        self._prefix = prefix
        self._args = (round(interval * 1e6), round(tolerance * 1e6))

    def hit(self, key: str) -> float:
        cache = _cache(self._alias)
        name = cache.make_key(self._prefix + _digest(key))
        client = cache._cache.get_client(name, write=True)
        # EVALSHA, and EVAL once when the server does not know the script yet
        wait = client.register_script(_GCRA_LUA)(keys=[name], args=self._args)
        return int(wait) / 1e6


def _digest(key: str) -> str:
    """A cache-safe name for a key (memcached's rules: short, no spaces or controls)."""
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def _bounded(value: str) -> str:
    return value if len(value) <= _LONGEST_KEY else "#" + _digest(value)


def _by_ip(request: Request) -> str:
    client = request.client
    return "ip:" + (client[0] if client is not None else "-")


def _key_function(kind: str) -> Callable[[Request], str]:
    """``request -> `` the client's key for ``kind`` (``ip:``, ``user:``, ``key:`` or
    ``h:``-prefixed, so that a header's value never shares a bucket with an address)."""
    if kind == "ip":
        return _by_ip
    if kind in ("user", "api_key"):
        api_key = kind == "api_key"
        prefix = "key:" if api_key else "user:"

        def by_identity(request: Request) -> str:
            context = request.state.get(STATE_KEY)
            if (
                context.__class__ is AuthContext
                and context.user_id
                and (not api_key or context.backend == "api_key")
            ):
                return prefix + _bounded(context.user_id)
            return _by_ip(request)

        return by_identity

    def by_header(request: Request) -> str:
        value = request.headers.get(kind)
        return "h:" + _bounded(value) if value else _by_ip(request)

    return by_header


class Limiter:
    """One route's ``limit`` stage: :meth:`check` counts the request against its client."""

    __slots__ = ("blocks", "config", "key_of", "needs", "store")

    def __init__(self, config: RateLimit, store: Store) -> None:
        self.config = config
        self.store = store
        #: Whether the store waits on I/O (see the module docstring).
        self.blocks = store.blocks
        self.key_of = _key_function(config.key)
        self.needs = Needs.CLIENT | (Needs.HEADERS if config.is_header else Needs.NONE)

    def check(self, request: Request) -> RateLimitExceeded | None:
        """``None`` to let the request on, else the 429 to answer."""
        wait = self.store.hit(self.key_of(request))
        if not wait:
            return None
        config = self.config
        return RateLimitExceeded(math.ceil(wait), config.rps, config.burst)


def _default_cache() -> str | None:
    """``BOLT_RATE_LIMIT_CACHE``, when Django's settings are configured."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    alias = getattr(settings, _SETTING, None)
    if alias is not None and (not isinstance(alias, str) or not alias):
        raise ValueError(f"settings.{_SETTING} must be a Django cache alias, got {alias!r}")
    return alias


def _store(config: RateLimit, alias: str | None, route: str, where: str) -> Store:
    interval = 1.0 / config.rps
    tolerance = config.burst * interval
    if alias is None:
        return MemoryStore(interval, tolerance)
    try:
        from django.conf import settings
    except ImportError:
        raise ValueError(f"{where}: cache={alias!r} needs Django, which is not installed") from None
    if not settings.configured:
        raise ValueError(f"{where}: cache={alias!r} needs Django's settings configured")
    if alias not in settings.CACHES:
        known = ", ".join(sorted(settings.CACHES)) or "none"
        raise ValueError(f"{where}: no cache {alias!r} in settings.CACHES (it has: {known})")
    prefix = f"bolt.rl.{_digest(route)}."
    from django.core.cache.backends.redis import RedisCache

    if isinstance(_cache(alias), RedisCache):
        return RedisStore(alias, prefix, interval, tolerance)
    return CacheStore(alias, prefix, interval, tolerance)


def limiter_for(entry: Any, backends: tuple[BaseAuthentication, ...]) -> Limiter | None:
    """The ``limit`` stage of ``entry``'s route (a ``RouteEntry``), ``None`` without
    ``@rate_limit``; ``backends``: its resolved authentication backends. An argument the
    route cannot honour is a :class:`ValueError` naming the route."""
    config = getattr(entry.definition.handler, "__bolt_rate_limit__", None)
    if config is None:
        return None
    route = f"{entry.method} {entry.template.source}"
    where = f"{route}: @rate_limit"
    if config.key == "user" and not backends:
        raise ValueError(
            f"{where}: key='user' needs authentication, and the route has no backends (auth=)"
        )
    if config.key == "api_key" and not any(isinstance(b, APIKeyAuthentication) for b in backends):
        raise ValueError(
            f"{where}: key='api_key' needs an APIKeyAuthentication backend on the route"
        )
    alias = config.cache if config.cache is not None else _default_cache()
    return Limiter(config, _store(config, alias, route, where))


def limited(
    call: RouteCall,
    limiter: Limiter,
    is_async: bool,
    on_error: Callable[[BaseException, Request], ResponseTuple],
    after: Callable[[ResponseTuple, Request], ResponseTuple] | None,
) -> RouteCall:
    """``call`` behind the ``limit`` stage: a refusal (or the store's exception) is answered
    through ``on_error`` and the response stages; the request is not bound. On an ``async``
    route a blocking store is asked through ``sync_to_async`` (module docstring)."""
    check = limiter.check

    def answer(exc: BaseException, request: Request) -> ResponseTuple:
        response = on_error(exc, request)
        return response if after is None else after(response, request)

    def gate(request: Request) -> ResponseTuple | None:
        try:
            refused = check(request)
        except Exception as exc:
            return answer(exc, request)
        return None if refused is None else answer(refused, request)

    return gated(call, gate, is_async, blocks=limiter.blocks)
