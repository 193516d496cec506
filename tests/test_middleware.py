"""Bolt middleware over real HTTP, on both engines (tests/apps/middleware_app.py).

Order at the API, router and route levels (both ways), classes and plain functions,
short-circuits, exclusions, errors raised in middleware, ``@skip_middleware`` for
middleware and the built-in stages, and what middleware sees: 401s and 422s of the route,
uncompressed bodies (compression runs once, after it), streams.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .apps.middleware_app import KEY
from .conftest import Server, serve_api


@pytest.fixture(scope="module")
def mw_server(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.middleware_app:api", engine)
    yield srv
    srv.stop()


@pytest.fixture
def c(mw_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mw_server.url, timeout=10.0) as client:
        yield client


@pytest.mark.parametrize("path", ["/r/trail", "/r/sync-trail", "/r/pool-trail"])
def test_api_router_route_order_both_ways(c: httpx.Client, path: str) -> None:
    r = c.get(path)
    assert r.status_code == 200
    assert r.json() == {"trail": ["api", "router", "route"]}
    assert r.headers.get_list("x-trail") == ["route", "router", "api"]


def test_middleware_sees_the_422_of_binding(c: httpx.Client) -> None:
    r = c.get("/r/validate", params={"n": "x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "n"]
    assert r.headers["x-seen-status"] == "422"
    assert r.headers.get_list("x-trail") == ["route", "router", "api"]
    assert c.get("/r/validate", params={"n": "4"}).json() == {"n": 4}


def test_middleware_sees_a_refused_request(c: httpx.Client) -> None:
    r = c.get("/r/secret")
    assert r.status_code == 401
    assert r.headers.get_list("x-trail") == ["router", "api"]
    ok = c.get("/r/secret", headers={"x-api-key": KEY})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"secret": True}


def test_skip_by_class_name(c: httpx.Client) -> None:
    r = c.get("/r/skip-router")
    assert r.json() == {"trail": ["api"]}
    assert r.headers.get_list("x-trail") == ["api"]


def test_skip_by_dotted_path(c: httpx.Client) -> None:
    r = c.get("/r/skip-dotted")
    assert r.json() == {"trail": ["router"]}
    assert r.headers.get_list("x-trail") == ["router"]


def test_skip_everything(c: httpx.Client) -> None:
    r = c.get("/r/skip-all")
    assert r.json() == {"trail": []}
    assert "x-trail" not in r.headers


def test_short_circuit_and_exclusions(c: httpx.Client) -> None:
    assert c.get("/gate/closed").json() == {"gate": "passed"}
    blocked = c.get("/gate/closed", headers={"x-block": "1"})
    assert blocked.status_code == 403
    assert blocked.json() == {"detail": "blocked by middleware"}
    assert blocked.headers.get_list("x-trail") == ["api"]  # the outer layer saw the answer
    # exclude_paths and exclude_methods: the gate stays out of the way
    assert c.get("/gate/open/x", headers={"x-block": "1"}).json() == {"gate": "passed"}
    assert c.head("/gate/closed", headers={"x-block": "1"}).status_code == 200


def test_errors_raised_in_middleware(c: httpx.Client) -> None:
    teapot = c.get("/boom", headers={"x-boom": "teapot"})
    assert teapot.status_code == 418
    assert teapot.json() == {"detail": "teapot from middleware"}
    assert teapot.headers.get_list("x-trail") == ["api"]
    bug = c.get("/boom", headers={"x-boom": "1"})
    assert bug.status_code == 500
    assert bug.json() == {"detail": "Internal Server Error"}
    assert "middleware bug" not in bug.text
    assert c.get("/boom").json() == {"boom": "no"}


def test_a_middleware_returning_none_is_a_500(c: httpx.Client) -> None:
    r = c.get("/forgetful")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}


def test_compression_runs_after_the_middleware(c: httpx.Client) -> None:
    plain = c.get("/big", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["x-seen-length"] == str(len(plain.content))
    with c.stream("GET", "/big", headers={"accept-encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["x-seen-length"] == str(len(plain.content))  # seen uncompressed
    assert len(wire) < len(plain.content)
    assert gzip.decompress(wire) == plain.content
    skipped = c.get("/big-plain", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in skipped.headers
    assert skipped.headers.get_list("x-trail") == ["route", "api"]


def test_a_stream_passes_through(c: httpx.Client) -> None:
    r = c.get("/stream")
    assert r.status_code == 200
    assert r.text == "part0;part1;part2;"
    assert r.headers.get_list("x-trail") == ["route", "api"]
    assert "x-seen-length" not in r.headers


def test_timing_middleware(c: httpx.Client) -> None:
    r = c.get("/timed")
    request_id = r.headers["x-request-id"]
    assert r.json() == {"request_id": request_id}
    assert str(uuid.UUID(request_id)) == request_id
    assert r.headers["x-response-time"].endswith("s")
    float(r.headers["x-response-time"][:-1])
    assert c.get("/timed").headers["x-request-id"] != request_id


def test_cors_headers_on_middleware_answers_and_skip(c: httpx.Client) -> None:
    origin = {"origin": "https://app.example"}
    r = c.get("/cors", headers=origin)
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers.get_list("x-trail") == ["route", "api"]
    skipped = c.get("/cors-skipped", headers=origin)
    assert skipped.status_code == 200
    assert "access-control-allow-origin" not in skipped.headers


def test_skip_rate_limit(c: httpx.Client) -> None:
    assert [c.get("/limited").status_code for _ in range(4)] == [200] * 4


def test_middleware_on_a_class_based_view(c: httpx.Client) -> None:
    r = c.get("/view")
    assert r.json() == {"trail": ["api", "route"]}
    assert r.headers.get_list("x-trail") == ["route", "api"]
    skipped = c.post("/view")
    assert skipped.json() == {"trail": ["api"]}
