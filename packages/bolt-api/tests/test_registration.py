"""Tier one: what bolt-api decides at registration, tested without any engine or socket."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import bolt_api
import msgspec
import pytest
from bolt_api import BoltAPI, Query, Router
from bolt_api._coroutines import never_suspends
from bolt_api._routing import PathTemplate, RouteMatcher
from bolt_api.engine import Needs
from bolt_api_fakes import FakeRequest


class Body(msgspec.Struct):
    x: int


def route(api: BoltAPI, method: str, path: str) -> Any:
    return next(r for r in api.compile().routes if r.method == method and r.path == path)


def test_public_names_are_sorted_and_importable() -> None:
    assert bolt_api.__all__ == sorted(bolt_api.__all__)
    for name in bolt_api.__all__:
        assert hasattr(bolt_api, name)


@pytest.mark.parametrize(
    ("source", "engine_path"),
    [
        ("/", "/"),
        ("/items/{item_id}", "/items/{item_id}"),
        ("/f/{rest:path}", "/f/{*rest}"),
        ("/a/{n:int}/b/", "/a/{n}/b"),
    ],
)
def test_path_templates(source: str, engine_path: str) -> None:
    assert PathTemplate.parse(source).engine_path == engine_path


@pytest.mark.parametrize(
    "bad", ["items", "/a//b", "/a/{x", "/a/pre{x}", "/{x}/{x}", "/{rest:path}/more", "/a?b"]
)
def test_bad_templates_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        PathTemplate.parse(bad)


def test_matcher_priority_and_allowed() -> None:
    entries = [
        ("GET", PathTemplate.parse(p), p)
        for p in ["/users/me", "/users/{id}", "/users/{id}/posts", "/files/{rest:path}"]
    ]
    entries.append(("POST", PathTemplate.parse("/users/{id}"), "post"))
    m = RouteMatcher(entries)
    assert m.match("GET", "/users/me") == ("/users/me", None)
    assert m.match("GET", "/users/a%20b") == ("/users/{id}", {"id": "a b"})
    assert m.match("GET", "/files/x/y") == ("/files/{rest:path}", {"rest": "x/y"})
    assert m.match("GET", "/files/") is None
    assert m.match("DELETE", "/users/1") is None
    assert m.allowed("/users/1") == ("GET", "POST")
    assert m.allowed("/nothing") is None


def test_duplicate_routes_are_rejected_at_registration() -> None:
    api = BoltAPI()

    @api.get("/items/{a}")
    def one(a: int) -> None: ...

    with pytest.raises(ValueError, match=r"Route conflict: GET /items/\{b\}"):

        @api.get("/items/{b}")
        def two(b: int) -> None: ...


def test_binding_mistakes_are_reported_at_registration() -> None:
    api = BoltAPI()

    with pytest.raises(TypeError, match="GET routes cannot take a body"):

        @api.get("/b")
        def body_on_get(b: Body) -> None: ...

    with pytest.raises(TypeError, match="does not take: item_id"):

        @api.get("/items/{item_id}")
        def forgot(other: int) -> None: ...

    with pytest.raises(TypeError, match="default after '='"):

        @api.get("/q")
        def default_in_marker(q: Annotated[int, Query(5)]) -> None: ...


def test_prefixes_and_routers_compose() -> None:
    api = BoltAPI(prefix="/api")
    inner = Router(prefix="/inner")
    outer = Router(prefix="/outer", tags=["t"])

    @inner.get("/{x}")
    def f(x: int) -> None: ...

    outer.include_router(inner)
    api.include_router(outer, prefix="/v1")
    assert [(r.method, r.path) for r in api.compile().routes if not r.path.startswith("/docs")] == [
        ("GET", "/api/v1/outer/inner/{x}"),
        ("HEAD", "/api/v1/outer/inner/{x}"),
    ]
    assert api.routes[0].definition.tags == ("t",)


def test_needs_flags_follow_the_signature() -> None:
    api = BoltAPI(compression=False)  # compression reads Accept-Encoding

    @api.get("/a")
    def plain() -> None: ...

    @api.get("/b")
    def with_query(q: str) -> None: ...

    @api.get("/c")
    def with_request(request: Any) -> None: ...

    assert route(api, "GET", "/a").needs == Needs.NONE
    assert route(api, "GET", "/b").needs == Needs.QUERY
    assert route(api, "GET", "/c").needs == Needs.ALL


def test_trivially_async_handlers_become_sync_routes() -> None:
    async def never_awaits() -> dict[str, int]:
        return {"a": 1}

    async def awaits() -> None:
        await asyncio.sleep(0)

    async def async_for() -> list[int]:
        return [x async for x in agen()]

    async def agen() -> Any:
        yield 1

    assert never_suspends(never_awaits)
    assert not never_suspends(awaits)
    assert not never_suspends(async_for)

    api = BoltAPI()
    api.get("/sync")(never_awaits)
    api.get("/async")(awaits)
    sync_route = route(api, "GET", "/sync")
    assert not sync_route.is_async
    assert sync_route.call(FakeRequest()) == (
        200,
        (("content-type", "application/json"),),
        b'{"a":1}',
    )
    assert route(api, "GET", "/async").is_async


def test_async_generators_that_never_await_stream_inline() -> None:
    import asyncio

    from bolt_api._coroutines import DrivenChunks, never_suspends_gen
    from bolt_api.streaming import stream_body

    closed: list[str] = []

    async def plain() -> Any:
        try:
            yield "a"
            yield b"b"
        finally:
            closed.append("plain")

    async def awaits() -> Any:
        await asyncio.sleep(0)
        yield b"x"

    async def async_for() -> Any:
        async for item in plain():
            yield item

    def sync_gen() -> Any:
        yield b"x"

    assert never_suspends_gen(plain())
    assert not never_suspends_gen(awaits())
    assert not never_suspends_gen(async_for())
    assert not never_suspends_gen(sync_gen())

    body = stream_body(plain())
    assert (body.is_async, body.inline) == (False, True)
    assert list(body.chunks) == [b"a", b"b"]  # type: ignore[arg-type]
    assert closed == ["plain"]
    body = stream_body(plain())
    assert next(body.chunks) == b"a"  # type: ignore[call-overload]
    body.chunks.close()  # type: ignore[union-attr]  # runs the generator's finally
    assert closed == ["plain", "plain"]
    awaiting = stream_body(awaits())
    assert (awaiting.is_async, awaiting.inline) == (True, False)
    assert stream_body(sync_gen()).inline is False

    async def lies() -> Any:  # judged by its code object, not by behaviour
        yield 1

    driven = DrivenChunks(lies(), str)
    assert list(driven) == ["1"]


def test_route_callables_never_raise() -> None:
    api = BoltAPI()

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("x")

    status, _, body = route(api, "GET", "/boom").call(FakeRequest())
    assert (status, body) == (500, b'{"detail":"Internal Server Error"}')


def test_engine_errors_come_from_bolt_api() -> None:
    app = BoltAPI().compile()
    assert app.render_error(413) == (
        413,
        (("content-type", "application/json"),),
        b'{"detail":"Content Too Large"}',
    )
    assert app.fallback(FakeRequest("PUT"), ("GET", "HEAD"))[1][-1] == (
        "allow",
        "GET, HEAD, OPTIONS",
    )


def test_load_engine_errors() -> None:
    with pytest.raises(bolt_api.EngineNotFoundError, match="Unknown engine 'nope'"):
        bolt_api.load_engine("nope")


def test_compiled_app_lists_the_header_tuples_it_reuses() -> None:
    """Engines may convert ``static_headers`` once and recognise them by identity."""
    from bolt_api._encoding import JSON_HEADERS

    api = BoltAPI()

    @api.get("/big")
    def big() -> list[int]:
        return list(range(1000))

    app = api.compile()
    assert any(h is JSON_HEADERS for h in app.static_headers)
    route = next(r for r in app.routes if r.path == "/big" and r.method == "GET")
    status, headers, _ = route.call(FakeRequest())
    assert status == 200
    # the compressed route's uncompressed answer reuses the listed tuple with Vary added
    assert any(h is headers for h in app.static_headers)
    assert ("vary", "Accept-Encoding") in headers


def test_a_body_alone_is_passed_positionally_when_it_can_be() -> None:
    """``Plan.body_value``: the body-only route calls ``fn(value)``; a keyword-only body
    parameter keeps the keyword call. Both answer alike, errors included."""
    from bolt_api._binding import compile_plan

    def positional(item: Body) -> Body:
        return item

    def keyword_only(*, item: Body) -> Body:
        return item

    assert compile_plan(positional, "POST", ()).body_value is not None
    assert compile_plan(keyword_only, "POST", ()).body_value is None
    api = BoltAPI()
    api.post("/positional")(positional)
    api.post("/keyword")(keyword_only)
    for path in ("/positional", "/keyword"):
        call = route(api, "POST", path).call
        assert call(FakeRequest("POST", path, body=b'{"x": 1}'))[2] == b'{"x":1}'
        status, _, body = call(FakeRequest("POST", path, body=b'{"x": "one"}'))
        assert status == 422
        assert msgspec.json.decode(body)["detail"][0]["loc"] == ["body", "x"]
        status, _, body = call(FakeRequest("POST", path))
        assert status == 422
        assert msgspec.json.decode(body)["detail"][0]["type"] == "missing"


@pytest.mark.parametrize("formatter", [None, "problem_details"])
def test_binding_errors_render_as_their_exception_would(formatter: str | None) -> None:
    """``ErrorHandling.invalid`` (the 422 fast path: no exception, no BoltError without a
    formatter) answers exactly what ``handle_exception(RequestValidationError)`` does."""
    from bolt_api.errors import ErrorHandling, problem_details
    from bolt_api.exceptions import RequestValidationError

    handling = ErrorHandling(problem_details if formatter else None)
    errors = [
        {
            "type": "validation_error",
            "loc": ["path", "id"],
            "msg": "Expected `int`",
            "input": "abc",
        },
        {"type": "missing", "loc": ["query", "q"], "msg": "Field required"},
    ]
    request = FakeRequest("GET", "/items/abc")
    assert handling.invalid(errors, request) == handling.handle_exception(
        RequestValidationError(errors), request
    )
