"""``@rate_limit`` without sockets: GCRA's arithmetic on an injected clock, the stores, the
checks made at registration and compile time, and the ``limit`` stage in compiled routes.

Over real HTTP, on both engines, with Django's caches and a real Redis: tests/test_ratelimit.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import msgspec
import pytest
from bolt_api import APIView, BoltAPI, RateLimitExceeded, ViewSet, cors, problem_details
from bolt_api import rate_limit as top_level_rate_limit
from bolt_api._ratelimit import (
    CacheStore,
    Limiter,
    MemoryStore,
    gcra,
    limiter_for,
)
from bolt_api.auth import APIKeyAuthentication, IsAuthenticated, JWTAuthentication
from bolt_api.middleware import rate_limit
from bolt_api.openapi import build_openapi_schema
from bolt_api.ratelimit import RateLimit
from bolt_api_fakes import FakeRequest, compiled_call


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_public_names_are_one_decorator() -> None:
    assert rate_limit is top_level_rate_limit


# -- GCRA ---------------------------------------------------------------------------------


def test_gcra_allows_the_burst_then_one_per_interval() -> None:
    interval, tolerance = 0.5, 1.0  # rps=2, burst=2
    tat, wait = gcra(None, 10.0, interval, tolerance)
    assert (tat, wait) == (10.5, 0.0)
    tat, wait = gcra(tat, 10.0, interval, tolerance)
    assert (tat, wait) == (11.0, 0.0)
    refused, wait = gcra(tat, 10.0, interval, tolerance)
    assert (refused, wait) == (11.0, 0.5)  # refused: the TAT does not move
    assert gcra(tat, 10.4, interval, tolerance)[1] == pytest.approx(0.1)
    assert gcra(tat, 10.5, interval, tolerance) == (11.5, 0.0)


def test_gcra_an_idle_client_gets_its_burst_back_and_no_more() -> None:
    tat = 10.0
    for _ in range(3):
        tat, wait = gcra(tat, 500.0, 0.5, 1.0)
        if wait:
            break
    assert (tat, wait) == (501.0, 0.5)  # two passed at t=500, the third waits


def test_gcra_burst_of_one_is_a_steady_rate() -> None:
    tat, wait = gcra(None, 0.0, 1.0, 1.0)
    assert wait == 0.0
    assert gcra(tat, 0.0, 1.0, 1.0)[1] == 1.0
    assert gcra(tat, 1.0, 1.0, 1.0) == (2.0, 0.0)


# -- the in-process store -----------------------------------------------------------------


def test_memory_store_keeps_clients_apart_and_refills() -> None:
    clock = Clock()
    store = MemoryStore(0.5, 1.0, clock=clock)
    assert [store.hit("a") for _ in range(3)] == [0.0, 0.0, 0.5]
    assert store.hit("b") == 0.0
    clock.now += 0.5
    assert store.hit("a") == 0.0
    assert store.hit("a") == 0.5


def test_memory_store_is_gcra() -> None:
    """The store inlines :func:`gcra`: the same answers on a random walk of requests."""
    import random

    rng = random.Random(16)
    clock = Clock()
    store = MemoryStore(0.25, 0.75, clock=clock)
    tat: float | None = None
    for _ in range(2000):
        clock.now += rng.choice((0.0, 0.0, 0.01, 0.1, 0.3, 2.0))
        tat, wait = gcra(tat, clock.now, 0.25, 0.75)
        assert store.hit("k") == pytest.approx(wait)


def test_memory_store_forgets_expired_clients_first() -> None:
    clock = Clock()
    store = MemoryStore(0.5, 1.0, max_keys=4, clock=clock)
    for key in "abcd":
        store.hit(key)
    clock.now += 1.0  # every TAT has passed
    store.hit("e")  # the fifth key: a sweep
    assert len(store) == 1


def test_memory_store_is_bounded_under_a_flood_of_live_clients() -> None:
    clock = Clock()
    store = MemoryStore(1.0, 10.0, max_keys=100, clock=clock)
    for n in range(1000):
        store.hit(f"client-{n}")
        assert len(store) <= 100
    # the most recently seen clients are the ones kept
    assert store.hit("client-999") == 0.0 and len(store) <= 100


def test_memory_store_counts_concurrent_hits_exactly() -> None:
    store = MemoryStore(1.0, 100.0, clock=Clock())
    allowed: list[float] = []

    def hammer() -> None:
        for _ in range(50):
            allowed.append(store.hit("k"))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(0.0) == 100


class FakeCache:
    """The part of Django's cache API :class:`CacheStore` uses."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.timeouts: dict[str, Any] = {}

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        if key in self.data:
            return False
        self.data[key] = value
        return True

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self.data[key] = value
        self.timeouts[key] = timeout

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_cache_store_runs_gcra_under_a_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCache()
    monkeypatch.setattr("bolt_api._ratelimit._cache", lambda alias: fake)
    clock = Clock()
    store = CacheStore("x", "p.", 0.5, 1.0, clock=clock)
    assert [store.hit("a") for _ in range(3)] == [0.0, 0.0, 0.5]
    (name,) = fake.data  # the lock is released; one TAT, under a cache-safe name
    assert name.startswith("p.") and " " not in name and len(name) < 250
    assert fake.timeouts[name] == 2  # the TAT's key outlives it by a second, no more
    clock.now += 0.5
    assert store.hit("a") == 0.0


def test_cache_store_answers_429_when_the_lock_stays_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeCache()
    monkeypatch.setattr("bolt_api._ratelimit._cache", lambda alias: fake)
    monkeypatch.setattr("bolt_api._ratelimit.LOCK_WAIT", 0.01)
    store = CacheStore("x", "p.", 0.5, 1.0, clock=Clock())
    store.hit("a")
    (name,) = fake.data
    fake.add(name + ".lock", 1)  # another process holds it
    assert store.hit("a") == 1.0


# -- the decorator's checks ---------------------------------------------------------------


def test_defaults_are_django_bolts() -> None:
    @rate_limit()
    def f() -> None: ...

    assert f.__bolt_rate_limit__ == RateLimit(100, 200, "ip", None)  # type: ignore[attr-defined]
    assert rate_limit(rps=3)(lambda: None).__bolt_rate_limit__.burst == 6  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rps": 0}, ValueError, "rps must be 1 or more"),
        ({"rps": -5}, ValueError, "rps must be 1 or more"),
        ({"rps": 2.5}, TypeError, "rps must be an int"),
        ({"rps": True}, TypeError, "rps must be an int"),
        ({"burst": 0}, ValueError, "burst must be 1 or more"),
        ({"burst": "10"}, TypeError, "burst must be an int"),
        ({"key": ""}, ValueError, "key must be"),
        ({"key": "x api key"}, ValueError, "key must be"),
        ({"key": "x-api-key:"}, ValueError, "key must be"),
        ({"key": 7}, ValueError, "key must be"),
        ({"cache": ""}, ValueError, "cache must be a Django cache alias"),
        ({"cache": 1}, ValueError, "cache must be a Django cache alias"),
    ],
)
def test_arguments_it_cannot_honour_are_errors(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rate_limit(**kwargs)


def test_a_header_key_is_lower_cased() -> None:
    assert rate_limit(key="X-Api-Key")(lambda: None).__bolt_rate_limit__.key == "x-api-key"  # type: ignore[attr-defined]


def test_two_limits_on_one_handler_are_an_error() -> None:
    with pytest.raises(ValueError, match="has a @rate_limit already"):

        @rate_limit(rps=1)
        @rate_limit(rps=2)
        def f() -> None: ...


def test_user_and_api_key_keys_need_authentication() -> None:
    api = BoltAPI()

    @api.get("/u")
    @rate_limit(key="user")
    def u() -> None: ...

    with pytest.raises(ValueError, match=r"GET /u: @rate_limit: key='user' needs authentication"):
        api.compile()

    api = BoltAPI()

    @api.get("/k", auth=[JWTAuthentication(secret="s" * 32)])
    @rate_limit(key="api_key")
    def k() -> None: ...

    with pytest.raises(ValueError, match="key='api_key' needs an APIKeyAuthentication"):
        api.compile()


def test_a_cache_alias_is_checked_at_compile_time() -> None:
    """In a fresh interpreter: without Django's settings, and with an alias not in CACHES."""
    script = textwrap.dedent(
        """
        from bolt_api import BoltAPI, rate_limit

        api = BoltAPI()

        @api.get("/c")
        @rate_limit(cache="shared")
        def c() -> None: ...

        try:
            api.compile()
        except ValueError as exc:
            print(exc)
        from django.conf import settings

        settings.configure(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        )
        try:
            api.compile()
        except ValueError as exc:
            print(exc)
        settings.BOLT_RATE_LIMIT_CACHE = 5
        api2 = BoltAPI()
        api2.get("/d")(rate_limit()(lambda: None))
        try:
            api2.compile()
        except ValueError as exc:
            print(exc)
        settings.BOLT_RATE_LIMIT_CACHE = "default"
        from bolt_api_fakes import FakeRequest, compiled_call
        from django.core.cache import caches

        print(compiled_call(api2, "GET", "/d")(FakeRequest("GET", "/d"))[0])
        print(len(caches["default"]._cache))  # the setting's cache holds the client's time
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    ).stdout.splitlines()
    assert out == [
        "GET /c: @rate_limit: cache='shared' needs Django's settings configured",
        "GET /c: @rate_limit: no cache 'shared' in settings.CACHES (it has: default)",
        "settings.BOLT_RATE_LIMIT_CACHE must be a Django cache alias, got 5",
        "200",
        "1",
    ]


# -- the limit stage ----------------------------------------------------------------------


def ip(address: str, **headers: str) -> FakeRequest:
    request = FakeRequest("GET", "/r", headers=headers)
    request.client = (address, 40000)  # type: ignore[assignment]
    return request


def limited_api(**options: Any) -> BoltAPI:
    api = BoltAPI(**options)

    @api.get("/r")
    @rate_limit(rps=2, burst=2)
    def r() -> dict[str, bool]:
        return {"ok": True}

    @api.get("/free")
    def free() -> dict[str, bool]:
        return {"ok": True}

    return api


def test_the_429_is_django_bolts() -> None:
    call = compiled_call(limited_api(), "GET", "/r")
    assert [call(ip("10.0.0.1"))[0] for _ in range(2)] == [200, 200]
    status, headers, body = call(ip("10.0.0.1"))
    assert status == 429
    assert msgspec.json.decode(body) == {
        "detail": "Rate limit exceeded. Try again in 1 seconds.",
        "retry_after": 1,
    }
    named = dict(headers)
    assert named["retry-after"] == "1"
    assert named["x-ratelimit-limit"] == "2"
    assert named["x-ratelimit-burst"] == "2"
    assert named["content-type"] == "application/json"
    assert call(ip("10.0.0.2"))[0] == 200  # another client, another bucket


def test_answers_under_the_limit_carry_no_rate_limit_header() -> None:
    status, headers, _ = compiled_call(limited_api(), "GET", "/r")(ip("10.0.0.1"))
    assert status == 200
    assert not [name for name, _ in headers if name.startswith(("x-ratelimit", "retry-after"))]


def test_a_route_without_rate_limit_has_no_limit_stage() -> None:
    api = limited_api()
    compiled = {(s.method, s.path): s for s in api.compile().routes}
    call = compiled["GET", "/free"].call
    assert all(call(ip("10.0.0.1"))[0] == 200 for _ in range(50))  # type: ignore[index]
    entry = {r.template.source: r for r in api.routes}
    assert limiter_for(entry["/free"], ()) is None
    assert isinstance(limiter_for(entry["/r"], ()), Limiter)


def test_limit_comes_right_after_access() -> None:
    from bolt_api._pipeline import pipeline
    from bolt_api.auth._access import access_for
    from bolt_api.files import FileAccess

    keys = APIKeyAuthentication(["k1"])
    api = BoltAPI()

    @api.get("/k", auth=[keys], guards=[IsAuthenticated()])
    @rate_limit(key="api_key")
    def k(q: int = 0) -> None: ...

    (entry,) = api.routes
    stages = pipeline(
        entry,
        compress=None,
        count=None,
        files=FileAccess.under(None),
        access=access_for((keys,), (IsAuthenticated(),)),
        limit=limiter_for(entry, (keys,)),
    ).stages
    assert stages[:3] == ("access", "limit", "bind")


def test_head_shares_the_get_routes_limit() -> None:
    api = limited_api()
    compiled = {(s.method, s.path): s for s in api.compile().routes}
    get, head = compiled["GET", "/r"].call, compiled["HEAD", "/r"].call
    assert [get(ip("10.0.0.1"))[0], head(ip("10.0.0.1"))[0], get(ip("10.0.0.1"))[0]] == [  # type: ignore[index]
        200,
        200,
        429,
    ]


def test_keys_header_user_and_api_key() -> None:
    keys = APIKeyAuthentication(["key-one", "key-two"])
    api = BoltAPI()

    @api.get("/h")
    @rate_limit(rps=1, burst=1, key="x-tenant")
    def h() -> None: ...

    @api.get("/k", auth=[keys])
    @rate_limit(rps=1, burst=1, key="api_key")
    def k() -> None: ...

    @api.get("/u", auth=[keys])
    @rate_limit(rps=1, burst=1, key="user")
    def u() -> None: ...

    h_call = compiled_call(api, "GET", "/h")
    assert h_call(ip("10.0.0.1", **{"x-tenant": "a"}))[0] == 200
    assert h_call(ip("10.0.0.1", **{"x-tenant": "a"}))[0] == 429
    assert h_call(ip("10.0.0.1", **{"x-tenant": "b"}))[0] == 200
    # no header: the client address is the key (never one shared or unlimited bucket)
    assert h_call(ip("10.0.0.1"))[0] == 200
    assert h_call(ip("10.0.0.1"))[0] == 429
    assert h_call(ip("10.0.0.2"))[0] == 200
    # a header's value never shares a bucket with an address
    assert h_call(ip("10.0.0.9", **{"x-tenant": "ip:10.0.0.9"}))[0] == 200
    assert h_call(ip("10.0.0.9"))[0] == 200
    for path in ("/k", "/u"):
        call = compiled_call(api, "GET", path)
        # one client address, two keys: two buckets
        assert call(ip("10.0.0.1", **{"x-api-key": "key-one"}))[0] == 200
        assert call(ip("10.0.0.1", **{"x-api-key": "key-one"}))[0] == 429
        assert call(ip("10.0.0.1", **{"x-api-key": "key-two"}))[0] == 200
        # not authenticated: limited by address
        assert call(ip("10.0.0.3"))[0] == 200
        assert call(ip("10.0.0.3"))[0] == 429


def test_the_429_goes_through_cors_and_the_error_formatter() -> None:
    api = BoltAPI(error_formatter=problem_details)

    @api.get("/c")
    @cors(origins=["https://app.example.com"])
    @rate_limit(rps=1, burst=1)
    def c() -> None: ...

    call = compiled_call(api, "GET", "/c")
    origin = {"origin": "https://app.example.com"}
    call(ip("10.0.0.1", **origin))
    status, headers, body = call(ip("10.0.0.1", **origin))
    named = dict(headers)
    assert status == 429
    assert named["access-control-allow-origin"] == "https://app.example.com"
    assert named["retry-after"] == "1"
    assert named["content-type"] == "application/problem+json"
    assert msgspec.json.decode(body)["status"] == 429


def test_an_async_route_and_a_pool_route_are_limited_too() -> None:
    api = BoltAPI()

    @api.get("/a")
    @rate_limit(rps=1, burst=1)
    async def a() -> dict[str, int]:
        import asyncio

        await asyncio.sleep(0)
        return {"n": 1}

    @api.get("/t")
    @rate_limit(rps=1, burst=1)
    def t() -> dict[str, int]:
        import time

        time.sleep(0)
        return {"n": 1}

    for path in ("/a", "/t"):
        call = compiled_call(api, "GET", path)
        assert [call(ip("10.0.0.1"))[0] for _ in range(2)] == [200, 429]


def test_views_take_the_limit_of_the_method_or_the_class() -> None:
    api = BoltAPI()

    @api.view("/v")
    class V(APIView):
        @rate_limit(rps=1, burst=1)
        async def get(self) -> None: ...

        async def post(self) -> None: ...

    @api.viewset("/items")
    @rate_limit(rps=1, burst=1)
    class Items(ViewSet):
        async def list(self) -> list[int]:
            return [1]

    get, post = compiled_call(api, "GET", "/v"), compiled_call(api, "POST", "/v")
    assert [get(ip("10.0.0.1"))[0] for _ in range(2)] == [200, 429]
    assert [post(ip("10.0.0.1"))[0] for _ in range(2)] == [200, 200]
    items = compiled_call(api, "GET", "/items")
    assert [items(ip("10.0.0.1"))[0] for _ in range(2)] == [200, 429]


def test_a_handler_may_raise_the_429_itself() -> None:
    api = BoltAPI()

    @api.get("/x")
    def x() -> None:
        raise RateLimitExceeded(2, 5, 10)

    status, headers, body = compiled_call(api, "GET", "/x")(FakeRequest())
    assert status == 429
    assert msgspec.json.decode(body)["retry_after"] == 2
    assert dict(headers)["x-ratelimit-burst"] == "10"


def test_openapi_documents_the_429() -> None:
    spec = build_openapi_schema(limited_api())
    limited = spec["paths"]["/r"]["get"]["responses"]
    assert limited["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "429" not in spec["paths"]["/free"]["get"]["responses"]


def test_a_failing_store_is_a_500_through_the_error_handling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis down: the request is answered 500 (and CORS headers stay on it), never let
    through unlimited."""

    def broken(self: MemoryStore, key: str) -> float:
        raise ConnectionError("the store is down")

    monkeypatch.setattr(MemoryStore, "hit", broken)
    api = BoltAPI()
    calls: list[str] = []

    @api.get("/s")
    @cors(origins="*")
    @rate_limit()
    def s() -> None:
        calls.append("s")

    @api.get("/a")
    @rate_limit()
    async def a() -> None:
        import asyncio

        await asyncio.sleep(0)
        calls.append("a")

    status, headers, _ = compiled_call(api, "GET", "/s")(ip("10.0.0.1", origin="https://x.example"))
    assert (status, dict(headers)["access-control-allow-origin"]) == (500, "*")
    assert compiled_call(api, "GET", "/a")(ip("10.0.0.1"))[0] == 500  # type: ignore[index]
    assert calls == []
