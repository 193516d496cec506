"""Routing: path parameters, priorities, prefixes and routers, 404, 405, HEAD, OPTIONS."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import Server, start_server
from .test_http import head_response

JSON_TYPE = "application/json"


def test_root_json(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON_TYPE
    assert r.content == b'{"message":"Hello, World!"}'
    assert r.headers["content-length"] == str(len(r.content))
    assert "date" in r.headers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/items/42", {"item_id": 42, "q": None}),
        ("/items/-7?q=abc", {"item_id": -7, "q": "abc"}),
        ("/float/2.5", {"value": 2.5}),
        ("/bool/true", {"flag": True}),
        ("/bool/0", {"flag": False}),
        ("/bool/YES", {"flag": True}),
        ("/bool/off", {"flag": False}),
        (
            "/uuid/12345678-1234-5678-1234-567812345678",
            {"uid": "12345678-1234-5678-1234-567812345678", "type": "UUID"},
        ),
        ("/str/hello%20world", {"name": "hello world"}),
        ("/str/caf%C3%A9", {"name": "café"}),
        ("/str/a+b", {"name": "a+b"}),
        ("/files/a/b/c.txt", {"rest": "a/b/c.txt"}),
        ("/files/dir%2Fx", {"rest": "dir/x"}),
        ("/typed/5", {"item_id": 5}),
    ],
)
def test_path_parameters(client: httpx.Client, path: str, expected: dict[str, object]) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.json() == expected


@pytest.mark.parametrize(
    ("path", "loc", "value"),
    [
        ("/items/abc", ["path", "item_id"], "abc"),
        ("/items/1.5", ["path", "item_id"], "1.5"),
        ("/float/x", ["path", "value"], "x"),
        ("/bool/maybe", ["path", "flag"], "maybe"),
        ("/uuid/not-a-uuid", ["path", "uid"], "not-a-uuid"),
    ],
)
def test_bad_path_parameter_is_422(
    client: httpx.Client, path: str, loc: list[str], value: str
) -> None:
    r = client.get(path)
    assert r.status_code == 422
    assert r.headers["content-type"] == JSON_TYPE
    (error,) = r.json()["detail"]
    assert error["loc"] == loc
    assert error["type"] == "validation_error"
    assert error["input"] == value
    assert error["msg"]


def test_static_route_beats_parameter(client: httpx.Client) -> None:
    assert client.get("/users/me").json() == {"user": "me"}
    assert client.get("/users/12").json() == {"user_id": 12}


def test_unknown_path_is_404(client: httpx.Client) -> None:
    r = client.get("/no/such/path")
    assert r.status_code == 404
    assert r.headers["content-type"] == JSON_TYPE
    assert r.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    "path", ["/no/such/path", "/no/such/path/", "/users/1/extra/", "/items/%41/x", "/%"]
)
def test_misses_get_the_same_404_whoever_renders_it(
    server: Server, client: httpx.Client, path: str
) -> None:
    """bolt-api's plain 404 (``CompiledApp.not_found``) may be sent by the engine itself for
    a plain miss: the same bytes as ``fallback``'s, HEAD without the body, a body sent with
    the request read and dropped (the connection stays usable)."""
    r = client.get(path)
    assert (r.status_code, r.headers["content-type"], r.content) == (
        404,
        JSON_TYPE,
        b'{"detail":"Not Found"}',
    )
    assert r.headers["content-length"] == "22"
    assert client.post(path, content=b"x" * 5000).content == r.content
    assert client.get("/").status_code == 200  # the same connection, still in step
    status, headers = head_response(server, path)
    assert (status, headers["content-length"], headers["content-type"]) == (404, "22", JSON_TYPE)


@pytest.fixture(scope="module")
def problems_server(engine: str) -> Iterator[Server]:
    """An API whose own ``error_formatter`` renders every error, routing misses included."""
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.catalog:problems",
            "--engine",
            engine,
            "--port",
            "0",
        ],
        engine,
    )
    yield srv
    srv.stop()


def test_misses_go_through_the_error_formatter(problems_server: Server) -> None:
    """With an ``error_formatter`` the 404 depends on the request: never sent ready-made."""
    with httpx.Client(base_url=problems_server.url) as c:
        for path in ("/nowhere", "/item/", "/nowhere/"):
            r = c.get(path)
            assert r.status_code == 404
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json() == {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "Not Found",
                "instance": path,
            }


@pytest.mark.parametrize("path", ["/items/", "/files/", "/users/1/extra", "/v1/ping"])
def test_partial_matches_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    r = client.delete("/")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert r.json() == {"detail": "Method Not Allowed"}
    r = client.post("/items/3", json={})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"


def test_automatic_head_has_headers_but_no_body(client: httpx.Client) -> None:
    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_head_on_dynamic_route_and_errors(client: httpx.Client) -> None:
    ok = client.head("/items/5")
    assert ok.status_code == 200
    assert ok.content == b""
    assert client.head("/items/x").status_code == 422
    assert client.head("/nowhere").status_code == 404


def test_explicit_head_wins(client: httpx.Client) -> None:
    r = client.head("/explicit-head")
    assert r.status_code == 200
    assert r.headers["x-head"] == "explicit"
    assert client.get("/explicit-head").json() == {"get": "yes"}


def test_automatic_options(client: httpx.Client) -> None:
    r = client.options("/items/1")
    assert r.status_code == 204
    assert r.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
    assert r.content == b""
    assert client.options("/nowhere").status_code == 404


def test_router_prefixes_and_nesting(client: httpx.Client) -> None:
    assert client.get("/api/v1/ping").json() == {"pong": "v1"}
    assert client.get("/api/v1/nested/9").json() == {"thing_id": 9}
    assert client.get("/api/v1/nested/x").status_code == 422


def test_trailing_slash_is_stripped_at_registration(client: httpx.Client) -> None:
    assert client.get("/trailing").json() == {"trailing": "stripped"}
