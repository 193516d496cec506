"""``@rate_limit`` over real HTTP, on both engines (tests/apps/ratelimit_app.py).

A burst then 429 with django-bolt's body and headers, refill over time, one bucket per
client (address through trusted proxies, header, user, API key), CORS headers on the 429,
async and class-based routes, a route without a limit untouched, Django's local-memory cache
as the store, and two servers (or ``--processes 2``) sharing a real Redis allowing the limit
once, not twice, sequential or concurrent requests alike (the Redis tests skip, saying why,
without ``redis-server`` or the ``redis`` package). Every test uses client addresses of its
own (``X-Forwarded-For``: the servers trust 127.0.0.1), so the buckets of one test never
meet another's.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from .apps.ratelimit_app import APP, KEYS, SECRET
from .conftest import Server, start_server
from .redis_server import RedisServer, find_redis_server

_addresses = (f"10.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def new_ip() -> str:
    """A client address no other test uses."""
    return next(_addresses)


def serve(engine: str, env: dict[str, str] | None = None, *extra: str) -> Server:
    return start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.ratelimit_app:api",
            "--engine",
            engine,
            "--port",
            "0",
            "--trusted-proxy",
            "127.0.0.1",
            *extra,
        ],
        engine,
        env=env,
    )


@pytest.fixture(scope="module")
def rl_server(engine: str) -> Iterator[Server]:
    srv = serve(engine)
    yield srv
    srv.stop()


@pytest.fixture
def c(rl_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rl_server.url, timeout=10.0) as client:
        yield client


def hit(c: httpx.Client, path: str, ip: str, **headers: str) -> httpx.Response:
    return c.get(path, headers={"x-forwarded-for": ip, **headers})


def statuses(c: httpx.Client, path: str, ip: str, n: int, **headers: str) -> list[int]:
    return [hit(c, path, ip, **headers).status_code for _ in range(n)]


def test_a_burst_then_429_as_django_bolt(c: httpx.Client) -> None:
    ip = new_ip()
    assert statuses(c, "/limited", ip, 2) == [200, 200]
    r = hit(c, "/limited", ip)
    assert r.status_code == 429
    assert r.json() == {"detail": "Rate limit exceeded. Try again in 1 seconds.", "retry_after": 1}
    assert r.headers["retry-after"] == "1"
    assert r.headers["x-ratelimit-limit"] == "2"
    assert r.headers["x-ratelimit-burst"] == "2"
    assert r.headers["content-type"] == "application/json"


def test_answers_under_the_limit_have_no_rate_limit_headers(c: httpx.Client) -> None:
    r = hit(c, "/limited", new_ip())
    assert r.status_code == 200
    assert not [h for h in r.headers if h.startswith(("x-ratelimit", "retry-after"))]


def test_the_bucket_refills_at_rps(c: httpx.Client) -> None:
    ip = new_ip()
    assert statuses(c, "/limited", ip, 3) == [200, 200, 429]
    time.sleep(0.6)  # rps=2: one request's worth
    assert statuses(c, "/limited", ip, 2) == [200, 429]
    time.sleep(1.1)  # the whole burst back, no more
    assert statuses(c, "/limited", ip, 3) == [200, 200, 429]


def test_one_bucket_per_client_address(c: httpx.Client) -> None:
    first, second = new_ip(), new_ip()
    assert statuses(c, "/limited", first, 3) == [200, 200, 429]
    assert statuses(c, "/limited", second, 2) == [200, 200]


def test_a_client_cannot_pick_its_bucket_through_x_forwarded_for(c: httpx.Client) -> None:
    """Only the entry the trusted proxy wrote counts: a spoofed left-most one changes
    nothing (bolt_api.proxies)."""
    ip = new_ip()
    assert hit(c, "/limited", f"1.1.1.1, {ip}").status_code == 200
    assert hit(c, "/limited", f"2.2.2.2, {ip}").status_code == 200
    assert hit(c, "/limited", f"3.3.3.3, {ip}").status_code == 429


def test_a_header_key(c: httpx.Client) -> None:
    ip = new_ip()
    assert statuses(c, "/header", ip, 2, **{"x-client-id": "alpha"}) == [200, 429]
    assert statuses(c, "/header", ip, 2, **{"x-client-id": "beta"}) == [200, 429]
    # without the header, the client address is the key
    assert statuses(c, "/header", ip, 2) == [200, 429]
    assert statuses(c, "/header", new_ip(), 1) == [200]


def bearer(sub: str) -> dict[str, str]:
    token = jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    return {"authorization": f"Bearer {token}"}


def test_the_user_key_is_the_authenticated_identity(c: httpx.Client) -> None:
    alice, bob = f"alice-{new_ip()}", f"bob-{new_ip()}"
    r = hit(c, "/user", new_ip(), **bearer(alice))
    assert (r.status_code, r.json()) == (200, {"user": alice})
    # the same user from another address: the same bucket
    assert hit(c, "/user", new_ip(), **bearer(alice)).status_code == 429
    assert hit(c, "/user", new_ip(), **bearer(bob)).status_code == 200
    # refused by the guard before the limit counts anything: 401, not 429
    ip = new_ip()
    assert statuses(c, "/user", ip, 3) == [401, 401, 401]


def test_the_api_key_key(c: httpx.Client) -> None:
    ip = new_ip()
    one, two = ({"x-api-key": key} for key in KEYS)
    # one address, two keys: two buckets
    assert statuses(c, "/api-key", ip, 2, **one) == [200, 429]
    assert statuses(c, "/api-key", ip, 2, **two) == [200, 429]
    # the key's bucket, whatever the address
    assert statuses(c, "/api-key", new_ip(), 1, **one) == [429]
    time.sleep(1.05)
    assert statuses(c, "/api-key", new_ip(), 2, **one) == [200, 429]


def test_a_route_without_rate_limit_is_untouched(c: httpx.Client) -> None:
    ip = new_ip()
    for _ in range(30):
        r = hit(c, "/free", ip)
        assert r.status_code == 200
        assert "x-ratelimit-limit" not in r.headers


def test_the_429_carries_the_cors_headers(c: httpx.Client) -> None:
    ip = new_ip()
    assert hit(c, "/cors", ip, origin=APP).status_code == 200
    r = hit(c, "/cors", ip, origin=APP)
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == APP
    assert r.headers["vary"] == "Origin"
    assert r.headers["retry-after"] == "1"


@pytest.mark.parametrize("path", ["/async", "/view"])
def test_async_and_class_based_routes(c: httpx.Client, path: str) -> None:
    ip = new_ip()
    assert statuses(c, path, ip, 2) == [200, 429]
    assert statuses(c, path, new_ip(), 1) == [200]


def test_head_counts_against_the_get_routes_limit(c: httpx.Client) -> None:
    ip = new_ip()
    assert c.head("/limited", headers={"x-forwarded-for": ip}).status_code == 200
    assert c.head("/limited", headers={"x-forwarded-for": ip}).status_code == 200
    assert hit(c, "/limited", ip).status_code == 429


def test_djangos_local_memory_cache_as_the_store(c: httpx.Client) -> None:
    ip = new_ip()
    assert statuses(c, "/cached", ip, 3) == [200, 200, 429]
    r = hit(c, "/cached", ip)
    assert (r.status_code, r.headers["x-ratelimit-burst"]) == (429, "2")
    assert statuses(c, "/cached", new_ip(), 1) == [200]
    time.sleep(1.05)
    assert statuses(c, "/cached", ip, 2) == [200, 429]


@pytest.mark.parametrize("kind", ["inline", "async"])
def test_a_shared_store_is_asked_off_the_engine_thread_and_the_event_loop(
    c: httpx.Client, kind: str
) -> None:
    """A ``def`` route the analysis would run in place goes to the handler pool; an
    ``async`` route asks the store through ``sync_to_async``, on its lane."""
    c.get("/probed/calls")
    ip = new_ip()
    assert statuses(c, f"/probed/{kind}", ip, 3) == [200, 200, 200]
    calls = c.get("/probed/calls").json()
    assert len(calls) == 3
    prefix = "bolt-handler" if kind == "inline" else "bolt-lane-"
    assert all(call["thread"].startswith(prefix) for call in calls), calls
    assert not any(call["loop"] for call in calls), calls


# -- a shared store: two servers, one Redis -----------------------------------------------


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    pytest.importorskip("redis", reason="the redis package is not installed (TEST_DEPS)")
    binary = find_redis_server()
    if binary is None:
        pytest.skip("no redis-server binary (Debian: apt-get install redis-server)")
    server = RedisServer(binary)
    yield server
    server.stop()


@contextlib.contextmanager
def two_servers(engine: str, env: dict[str, str] | None = None) -> Iterator[list[httpx.Client]]:
    """Two servers of the app (two processes, as ``--processes 2`` or two machines would
    be), a client for each."""
    with contextlib.ExitStack() as stack:
        clients = []
        for _ in range(2):
            srv = serve(engine, env)
            stack.callback(srv.stop)
            clients.append(stack.enter_context(httpx.Client(base_url=srv.url, timeout=10.0)))
        yield clients


def alternate(clients: list[httpx.Client], path: str, ip: str, n: int) -> list[httpx.Response]:
    """``n`` requests from one client address, taking turns between the servers."""
    return [hit(clients[i % len(clients)], path, ip) for i in range(n)]


def test_two_servers_sharing_redis_allow_the_limit_once(
    engine: str, redis_server: RedisServer
) -> None:
    """``BOLT_RATE_LIMIT_CACHE = "redis"``: requests alternate between two servers; together
    they allow the burst once, not twice."""
    env = {"BOLT_TEST_REDIS_URL": redis_server.url, "BOLT_TEST_RL_CACHE": "redis"}
    with two_servers(engine, env) as clients:
        ip = new_ip()
        started = time.monotonic()
        answers = alternate(clients, "/shared", ip, 30)
        elapsed = time.monotonic() - started
        allowed = [r for r in answers if r.status_code == 200]
        # burst=10, rps=1: ten at once, plus one per second the loop took
        assert 10 <= len(allowed) <= 10 + int(elapsed), (len(allowed), elapsed)
        assert len({r.json()["pid"] for r in allowed}) == 2  # both servers answered
        refused = answers[-1]
        assert refused.status_code == 429
        assert refused.headers["x-ratelimit-burst"] == "10"
        assert refused.json()["retry_after"] >= 1
        # the setting covers every rate-limited route that names no cache
        statuses = [r.status_code for r in alternate(clients, "/limited", ip, 4)]
        assert statuses == [200, 200, 429, 429]


def test_concurrent_requests_to_two_servers_sharing_redis(
    engine: str, redis_server: RedisServer
) -> None:
    """The check is atomic on the Redis server: eight threads at once, on two servers, are
    allowed the burst once."""
    env = {"BOLT_TEST_REDIS_URL": redis_server.url, "BOLT_TEST_RL_CACHE": "redis"}
    with two_servers(engine, env) as clients:
        ip = new_ip()
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            codes = list(
                pool.map(lambda n: hit(clients[n % 2], "/shared", ip).status_code, range(48))
            )
        elapsed = time.monotonic() - started
        assert 10 <= codes.count(200) <= 10 + int(elapsed), (codes.count(200), elapsed)
        assert set(codes) == {200, 429}


def test_two_servers_without_a_shared_store_allow_the_limit_each(engine: str) -> None:
    """The contrast: each process keeps its own clients, so two allow twice the burst."""
    with two_servers(engine) as clients:
        answers = alternate(clients, "/shared", new_ip(), 24)
        assert [r.status_code for r in answers].count(200) == 20


def test_processes_2_sharing_redis_allow_the_limit_once(
    engine: str, redis_server: RedisServer
) -> None:
    """``--processes 2``: each request on a new connection, which the kernel hands to either
    process; on that connection ``/free`` then says which one served it. Both served, and
    together they allowed the burst once."""
    env = {"BOLT_TEST_REDIS_URL": redis_server.url, "BOLT_TEST_RL_CACHE": "redis"}
    srv = serve(engine, env, "--processes", "2")
    try:
        ip = new_ip()
        served: dict[int, list[int]] = {}
        started = time.monotonic()
        for _ in range(40):
            with httpx.Client(base_url=srv.url, timeout=10.0) as one_connection:
                status = hit(one_connection, "/shared", ip).status_code
                pid = one_connection.get("/free").json()["pid"]
            served.setdefault(pid, []).append(status)
        elapsed = time.monotonic() - started
        allowed = sum(codes.count(200) for codes in served.values())
        assert len(served) == 2, served
        assert 10 <= allowed <= 10 + int(elapsed), (allowed, elapsed)
    finally:
        srv.stop()
