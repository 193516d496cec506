"""Allowed hosts over real HTTP, on both engines (tests/apps/hosts_app.py).

Django's rules (exact names, ``.domain`` for a domain and its subdomains, the port ignored,
no case, a trailing dot dropped); a refused host answered 400 ``Invalid Host header`` before
anything of the route runs, on every kind of route, routing misses and the docs included; a
malformed or missing ``Host`` refused; one warning line per refusal, no traceback.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from .apps.hosts_app import APP
from .conftest import Server, start_server, wait_for
from .test_http import Reader

INVALID = {"detail": "Invalid Host header"}


@pytest.fixture(scope="module")
def hosts_server(engine: str) -> Iterator[Server]:
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.hosts_app:api", "--engine", engine, "--port", "0"],
        engine,
    )
    yield srv
    srv.stop()


@pytest.fixture
def c(hosts_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hosts_server.url, timeout=10.0) as client:
        yield client


def get(c: httpx.Client, path: str, host: str, **headers: str) -> httpx.Response:
    return c.get(path, headers={"host": host, **headers})


def calls(c: httpx.Client) -> dict[str, int]:
    return c.get("/calls").json()


def raw(server: Server, head: str) -> tuple[int, dict[str, str], bytes]:
    """One request sent as written (``head`` without the blank line), its response."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
        return Reader(sock).response()


@pytest.mark.parametrize(
    "host",
    [
        "api.example.com",
        "api.example.com:8000",
        "API.Example.COM",
        "api.example.com.",
        "example.org",
        "www.example.org:443",
        "a.b.example.org",
        "127.0.0.1",
    ],
)
def test_allowed_hosts_are_served(c: httpx.Client, host: str) -> None:
    r = get(c, "/hello", host)
    assert r.status_code == 200, r.text
    assert r.json() == {"hello": "world"}


def test_the_address_the_client_connects_to_is_allowed(c: httpx.Client) -> None:
    # httpx sends "Host: 127.0.0.1:<port>": the port does not matter
    assert c.get("/hello").status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "api.example.com.evil.example",
        "badexample.org",
        "example.com",
        "localhost",
        "127.0.0.2",
    ],
)
def test_other_hosts_get_400(c: httpx.Client, host: str) -> None:
    before = calls(c).get("hello", 0)
    r = get(c, "/hello", host)
    assert r.status_code == 400
    assert r.json() == INVALID
    assert r.headers["content-type"] == "application/json"
    assert calls(c).get("hello", 0) == before  # the handler never ran


@pytest.mark.parametrize(
    "host",
    [
        "a:b",  # a port that is not digits
        "user@api.example.com",  # userinfo
        "api.example.com/x",  # a path
        "api.example.com:80:80",
        "api example.com",
        "[::1",
        "",
    ],
)
def test_malformed_hosts_get_400(hosts_server: Server, host: str) -> None:
    status, _, body = raw(hosts_server, f"GET /hello HTTP/1.1\r\nHost: {host}")
    assert status == 400
    if host:  # not host[:port]: the engine's own 400 (RFC 9112 §3.2), before bolt-api's check
        assert body == b'{"detail":"Bad Request"}', body
    else:  # syntactically allowed, but names no host: bolt-api's allowed-hosts check refuses
        assert b"Invalid Host header" in body


def test_a_request_without_host_gets_400(hosts_server: Server) -> None:
    status, _, body = raw(hosts_server, "GET /hello HTTP/1.0")
    assert status == 400
    assert b"Invalid Host header" in body


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/items/7?q=x", "item"),  # the Rust engine's typed-parameter fast path
        ("GET", "/pool", "pool"),  # a def handler on the handler pool
        ("GET", "/async", "async"),  # an async handler on the event loop
        ("GET", "/secret", "secret"),  # 400 before authentication (not 401)
        ("POST", "/echo", "echo"),  # 400 before validation (not 422)
    ],
)
def test_every_kind_of_route_refuses_first(
    c: httpx.Client, method: str, path: str, kind: str
) -> None:
    before = calls(c).get(kind, 0)
    r = c.request(method, path, headers={"host": "evil.example"})
    assert r.status_code == 400
    assert r.json() == INVALID
    assert calls(c).get(kind, 0) == before
    assert c.request(method, path, headers={"host": "api.example.com"}).status_code in (
        200,
        401,
        422,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("POST", "/hello"), ("GET", "/hello/"), ("GET", "/docs/openapi.json")],
)
def test_misses_and_docs_refuse_too(c: httpx.Client, method: str, path: str) -> None:
    good = c.request(method, path, headers={"host": "api.example.com"})
    assert good.status_code in (200, 308, 404, 405)
    r = c.request(method, path, headers={"host": "evil.example"})
    assert r.status_code == 400
    assert r.json() == INVALID


def test_a_preflight_for_another_host_is_refused(c: httpx.Client) -> None:
    headers = {"origin": APP, "access-control-request-method": "GET"}
    assert get(c, "/hello", "api.example.com", **headers).status_code in (200, 204)
    r = c.options("/hello", headers={"host": "evil.example", **headers})
    assert r.status_code == 400


def test_the_refusal_carries_the_routes_cors_headers(c: httpx.Client) -> None:
    r = get(c, "/hello", "evil.example", origin=APP)
    assert r.status_code == 400
    assert r.headers["access-control-allow-origin"] == APP


def test_the_handler_reads_the_host(c: httpx.Client) -> None:
    assert get(c, "/host", "API.example.com:81").json() == {"host": "API.example.com:81"}


def test_a_refusal_is_one_warning_line_without_traceback(
    c: httpx.Client, hosts_server: Server
) -> None:
    marker = f"refused-{time.monotonic_ns()}.example"
    assert get(c, "/hello", marker).status_code == 400
    wait_for(lambda: any(marker in line for line in hosts_server.output), "the warning")
    lines = [line for line in hosts_server.output if marker in line]
    assert len(lines) == 1
    assert f"Invalid HTTP_HOST header: '{marker}'" in lines[0]
    assert f"You may need to add '{marker}' to ALLOWED_HOSTS" in lines[0]
    assert not any("Traceback" in line for line in hosts_server.output)
