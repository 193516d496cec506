"""Micro-benchmarks of bolt-api's hot path, without sockets or an engine.

Run with ``nox -s bench -- --micro`` (``pytest benchmarks/micro --benchmark-only``). They are
not part of the normal test run: the root ``pyproject.toml`` ``testpaths`` leave
``benchmarks/`` out. Each benchmark first asserts that the code under test gives the right
answer, then times it.

* route compilation: registering one typed route (path parsing, binder, encoder, handler);
* request binding: a compiled binder on a fake request (path + query, a 1 KB JSON body);
* response encoding: a compiled encoder on the E1 dict and the E4 100-item list;
* routing: :class:`bolt_api._routing.RouteMatcher` on static, dynamic and missing paths;
* the whole route callable (bind + handler + encode) as an engine calls it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

pytest.importorskip("pytest_benchmark")

from bolt_api import BoltAPI
from bolt_api._binding import compile_plan
from bolt_api._encoding import compile_encoder
from bolt_api._routing import PathTemplate, RouteMatcher

from benchmarks.apps.common import HELLO, USER_BODY, make_items


class User(msgspec.Struct):
    name: str
    email: str
    age: int
    tags: list[str]


class FakeRequest:
    """The parts of :class:`bolt_api.engine.Request` a binder reads, precomputed."""

    __slots__ = (
        "body",
        "bound",
        "client",
        "cookies",
        "headers",
        "method",
        "path",
        "path_params",
        "query",
        "query_multi",
        "query_string",
        "state",
    )

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        *,
        path_params: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.path = path
        self.path_params = path_params
        self.bound: dict[str, Any] | None = None
        self.query = query or {}
        self.query_multi = {k: [v] for k, v in self.query.items()}
        self.query_string = "&".join(f"{k}={v}" for k, v in self.query.items())
        self.body = body
        self.client = ("127.0.0.1", 40000)
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self.state: dict[str, Any] = {}


async def item(id: int, q: str | None = None) -> dict[str, object]:
    return {"id": id, "q": q}


async def create_user(user: User) -> User:
    return user


# ---------------------------------------------------------------------------- route compilation


def test_route_compilation(benchmark: Any) -> None:
    def register() -> BoltAPI:
        api = BoltAPI()
        api.get("/items/{id}")(item)
        return api

    api = register()
    (route,) = api.routes
    assert route.path == "/items/{id}"
    assert route.call(FakeRequest(path_params={"id": "7"}, query={"q": "x"}))[0] == 200
    benchmark(register)


def test_route_compilation_body(benchmark: Any) -> None:
    def register() -> BoltAPI:
        api = BoltAPI()
        api.post("/users")(create_user)
        return api

    assert len(register().routes) == 1
    benchmark(register)


# ------------------------------------------------------------------------------ request binding


def _binder(fn: Any, method: str, path_names: tuple[str, ...]) -> Any:
    """The compiled binder of ``fn``: ``request -> kwargs`` (errors must stay empty)."""
    plan = compile_plan(fn, method, path_names)

    def bind(request: Any) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        kwargs = plan.bind(request, None, errors)
        assert not errors, errors
        return kwargs

    return plan, bind


def test_bind_path_and_query(benchmark: Any) -> None:
    plan, bind = _binder(item, "GET", ("id",))
    request = FakeRequest(path_params={"id": "42"}, query={"q": "hello"})
    assert bind(request) == {"id": 42, "q": "hello"}
    benchmark(plan.bind, request, None, [])


def test_bind_json_body(benchmark: Any) -> None:
    plan, bind = _binder(create_user, "POST", ())
    request = FakeRequest("POST", "/users", body=USER_BODY)
    assert msgspec.to_builtins(bind(request)["user"]) == json.loads(USER_BODY)
    benchmark(plan.bind, request, None, [])


# ---------------------------------------------------------------------------- response encoding


def test_encode_hello(benchmark: Any) -> None:
    encoder = compile_encoder(dict[str, str], None)
    status, headers, body = encoder({"message": HELLO["message"]})
    assert status == 200 and dict(headers)["content-type"] == "application/json"
    assert json.loads(body) == HELLO
    benchmark(encoder, {"message": HELLO["message"]})


def test_encode_hello_plain_dict(benchmark: Any) -> None:
    encoder = compile_encoder(dict, None)
    assert json.loads(encoder(dict(HELLO))[2]) == HELLO
    benchmark(encoder, dict(HELLO))


def test_encode_json_10k(benchmark: Any) -> None:
    encoder = compile_encoder(list[dict[str, object]], None)
    items = make_items()
    assert json.loads(encoder(items)[2]) == items
    benchmark(encoder, items)


def test_encode_struct(benchmark: Any) -> None:
    encoder = compile_encoder(User, None)
    user = msgspec.json.decode(USER_BODY, type=User)
    assert json.loads(encoder(user)[2]) == json.loads(USER_BODY)
    benchmark(encoder, user)


# -------------------------------------------------------------------------------------- routing


def _matcher() -> RouteMatcher[str]:
    paths = [
        "/",
        "/users",
        "/json-10k",
        "/stream",
        "/db/rows",
        "/items/{id}",
        "/items/{id}/reviews",
        "/users/{user_id}/orders/{order_id}",
        "/files/{rest:path}",
    ]
    paths += [f"/static/page-{i}" for i in range(20)]
    paths += [f"/api/v1/resource{i}/{{id}}" for i in range(20)]
    entries = [
        (method, PathTemplate.parse(p), f"{method} {p}")
        for p in paths
        for method in ("GET", "POST")
    ]
    return RouteMatcher(entries)


def test_routing_static(benchmark: Any) -> None:
    matcher = _matcher()
    assert matcher.match("GET", "/json-10k") == ("GET /json-10k", None)
    benchmark(matcher.match, "GET", "/json-10k")


def test_routing_dynamic(benchmark: Any) -> None:
    matcher = _matcher()
    assert matcher.match("GET", "/items/42") == ("GET /items/{id}", {"id": "42"})
    benchmark(matcher.match, "GET", "/items/42")


def test_routing_dynamic_late(benchmark: Any) -> None:
    matcher = _matcher()
    assert matcher.match("GET", "/api/v1/resource19/abc") == (
        "GET /api/v1/resource19/{id}",
        {"id": "abc"},
    )
    benchmark(matcher.match, "GET", "/api/v1/resource19/abc")


def test_routing_miss(benchmark: Any) -> None:
    matcher = _matcher()
    assert matcher.match("GET", "/missing") is None
    benchmark(matcher.match, "GET", "/missing")


# --------------------------------------------------------------------- the whole route callable


def _route(api: BoltAPI, method: str, path: str) -> Any:
    return next(r for r in api.routes if r.method == method and r.path == path)


def test_call_hello(benchmark: Any) -> None:
    api = BoltAPI()

    @api.get("/")
    async def hello() -> dict[str, str]:
        return {"message": HELLO["message"]}

    route = _route(api, "GET", "/")
    assert not route.is_async  # an async def that never awaits runs inline
    request = FakeRequest()
    status, _, body = route.call(request)
    assert status == 200 and json.loads(body) == HELLO
    benchmark(route.call, request)


def test_call_path_query(benchmark: Any) -> None:
    api = BoltAPI()
    api.get("/items/{id}")(item)
    route = _route(api, "GET", "/items/{id}")
    request = FakeRequest(path_params={"id": "42"}, query={"q": "hello"})
    status, _, body = route.call(request)
    assert status == 200 and json.loads(body) == {"id": 42, "q": "hello"}
    benchmark(route.call, request)


def test_call_post_user(benchmark: Any) -> None:
    api = BoltAPI()
    api.post("/users")(create_user)
    route = _route(api, "POST", "/users")
    request = FakeRequest("POST", "/users", body=USER_BODY)
    status, _, body = route.call(request)
    assert status == 200 and json.loads(body) == json.loads(USER_BODY)
    benchmark(route.call, request)


def test_call_json_10k(benchmark: Any) -> None:
    api = BoltAPI()

    @api.get("/json-10k")
    async def json_10k() -> list[dict[str, object]]:
        return make_items()

    route = _route(api, "GET", "/json-10k")
    request = FakeRequest()
    status, _, body = route.call(request)
    assert status == 200 and json.loads(body) == make_items()
    benchmark(route.call, request)


def test_call_422(benchmark: Any) -> None:
    api = BoltAPI()
    api.get("/items/{id}")(item)
    route = _route(api, "GET", "/items/{id}")
    request = FakeRequest(path_params={"id": "abc"}, query={"q": "hello"})
    status, _, _ = route.call(request)
    assert status == 422
    benchmark(route.call, request)
