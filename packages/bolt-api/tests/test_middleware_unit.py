"""The ``middleware`` stage without an engine: present only on routes with middleware, built
once per route, checked when declared or compiled (what cannot be honoured is an error)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from bolt_api import BoltAPI, Request, Router
from bolt_api.middleware import (
    BaseMiddleware,
    DjangoMiddleware,
    DjangoMiddlewareStack,
    MiddlewareResponse,
    middleware,
    skip_middleware,
)
from bolt_api_fakes import FakeRequest, compiled_call

built: list[str] = []


class Counting:
    """Counts how often it is built: once per route, at compile."""

    def __init__(self, get_response: Any) -> None:
        built.append("Counting")
        self.get_response = get_response

    async def __call__(self, request: Request) -> Any:
        response = await self.get_response(request)
        response.headers["x-counting"] = "1"
        return response


def test_a_route_without_middleware_has_no_stage_and_stays_sync() -> None:
    from bolt_api._pipeline import pipeline
    from bolt_api.files import ANY_FILE

    async def passing(request: Request, call_next: Any) -> Any:
        return await call_next(request)

    api = BoltAPI()

    @api.get("/plain")
    def plain(q: int) -> dict[str, int]:
        return {"q": q}

    @api.get("/wrapped")
    @middleware(passing)
    def wrapped(q: int) -> dict[str, int]:
        return {"q": q}

    specs = {s.path: s for s in api.compile().routes if s.method == "GET"}
    assert specs["/plain"].is_async is False
    assert specs["/plain"].params is not None  # the engine's parameter fast path is kept
    assert specs["/wrapped"].is_async is True
    assert specs["/wrapped"].params is None
    plain_entry, wrapped_entry = api.routes
    assert (
        "middleware" not in pipeline(plain_entry, compress=None, count=None, files=ANY_FILE).stages
    )
    stages = pipeline(
        wrapped_entry, compress=None, count=None, files=ANY_FILE, middleware=(passing,)
    ).stages
    assert stages[0] == "middleware"


def test_a_route_with_middleware_gets_the_stage_built_once() -> None:
    built.clear()
    api = BoltAPI(middleware=[Counting])

    @api.get("/a")
    def a() -> dict[str, int]:
        return {"a": 1}

    compiled = api.compile()
    assert built == ["Counting"]  # once for the route (its HEAD shares the callable)
    spec = next(s for s in compiled.routes if s.path == "/a" and s.method == "GET")
    assert spec.is_async is True
    assert spec.params is None
    call = compiled_call(api, "GET", "/a")
    for _ in range(3):
        status, headers, _ = call(FakeRequest(path="/a"))
        assert status == 200
        assert ("x-counting", "1") in list(headers)
    assert built == ["Counting", "Counting"]  # compiled twice, never built per request


def test_order_api_router_route() -> None:
    seen: list[str] = []

    def named(name: str) -> Any:
        async def mw(request: Request, call_next: Any) -> Any:
            seen.append(name)
            return await call_next(request)

        mw.__name__ = name
        return mw

    api = BoltAPI(middleware=[named("api")])
    router = Router(middleware=[named("router")])

    @router.get("/x")
    @middleware(named("route1"), named("route2"))
    async def x() -> dict[str, int]:
        return {"x": 1}

    api.include_router(router)
    status, _, body = compiled_call(api, "GET", "/x")(FakeRequest(path="/x"))
    assert (status, body) == (200, b'{"x":1}')
    assert seen == ["api", "router", "route1", "route2"]


def test_a_short_circuit_value_is_encoded_like_a_handler_result() -> None:
    async def deny(request: Request, call_next: Any) -> Any:
        return {"denied": True}

    api = BoltAPI(middleware=[deny])

    @api.get("/x")
    async def x() -> dict[str, int]:
        raise AssertionError("the handler must not run")

    status, _, body = compiled_call(api, "GET", "/x")(FakeRequest(path="/x"))
    assert (status, body) == (200, b'{"denied":true}')


def test_base_middleware_exclusions() -> None:
    class Deny(BaseMiddleware):
        exclude_paths = ("/open/*", "/deep/**")
        exclude_methods = ("post",)

        async def process_request(self, request: Request) -> Any:
            return MiddlewareResponse(403, [("content-type", "text/plain")], b"no")

    api = BoltAPI(middleware=[Deny])
    for path in ("/open/a", "/closed", "/deep/a/b", "/open/a/b"):

        @api.get(path)
        async def h() -> str:
            return "yes"

    def get(path: str) -> int:
        return compiled_call(api, "GET", path)(FakeRequest(path=path))[0]

    assert get("/open/a") == 200
    assert get("/deep/a/b") == 200
    assert get("/closed") == 403
    assert get("/open/a/b") == 403  # "*" is one segment


@pytest.mark.parametrize(
    "bad",
    [
        lambda r: r,  # a plain def, not async
        object(),  # an instance
        type("SyncMiddleware", (), {"__init__": lambda s, g: None, "__call__": lambda s, r: r}),
    ],
)
def test_what_is_not_middleware_is_refused_when_declared(bad: Any) -> None:
    with pytest.raises(TypeError):
        BoltAPI(middleware=[bad])
    with pytest.raises(TypeError):
        Router(middleware=[bad])
    with pytest.raises(TypeError):
        middleware(bad)


def test_middleware_options_through_partial() -> None:
    class Tagged:
        def __init__(self, get_response: Any, tag: str = "none") -> None:
            self.get_response, self.tag = get_response, tag

        async def __call__(self, request: Request) -> Any:
            response = await self.get_response(request)
            response.headers["x-tag"] = self.tag
            return response

    api = BoltAPI(middleware=[functools.partial(Tagged, tag="given")])

    @api.get("/x")
    async def x() -> str:
        return "x"

    _, headers, _ = compiled_call(api, "GET", "/x")(FakeRequest(path="/x"))
    assert ("x-tag", "given") in list(headers)


def test_skipping_an_unknown_name_is_an_error_at_compile() -> None:
    api = BoltAPI(middleware=[Counting])

    @api.get("/x")
    @skip_middleware("Countin")
    async def x() -> str:
        return "x"

    with pytest.raises(ValueError, match=r"Countin.*Counting"):
        api.compile()


def test_skipping_known_stages_is_fine_without_them() -> None:
    api = BoltAPI()

    @api.get("/x")
    @skip_middleware("cors", "compression", "rate_limit", "django")
    async def x() -> str:
        return "x"

    api.compile()


def test_authentication_cannot_be_skipped_as_middleware() -> None:
    with pytest.raises(ValueError, match="auth=\\[\\]"):
        skip_middleware("auth")


@pytest.mark.parametrize(
    "bad", ["django.middleware.security.SecurityMiddleware", {"only": []}, 3, [1]]
)
def test_django_middleware_shape_is_checked(bad: Any) -> None:
    with pytest.raises(TypeError):
        BoltAPI(django_middleware=bad)


def test_django_wrappers_need_paths_or_classes() -> None:
    with pytest.raises(TypeError):
        DjangoMiddlewareStack("django.middleware.security.SecurityMiddleware")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DjangoMiddleware(3)
    assert DjangoMiddleware("a.b.C").names() == [("a.b.C", ("C", "a.b.C"))]


def test_middleware_response_headers_are_case_insensitive() -> None:
    response = MiddlewareResponse.from_tuple((201, (("content-type", "text/plain"),), b"x"))
    response.headers["X-A"] = "1"
    response.headers["x-a"] = "2"
    response.headers.add_header("Set-Cookie", "a=1")
    response.headers.add_header("Set-Cookie", "b=2")
    assert response.headers["CONTENT-TYPE"] == "text/plain"
    assert response.to_tuple() == (
        201,
        [
            ("content-type", "text/plain"),
            ("x-a", "2"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
        ],
        b"x",
    )


def test_django_middleware_is_resolved_and_checked_at_compile() -> None:
    """In a fresh interpreter with Django set up: every failure names what is wrong."""
    script = textwrap.dedent(
        """
        from bolt_api import BoltAPI, run_inline

        @run_inline  # source from -c cannot be read: say it never blocks
        def x():
            return {}

        def api_with(spec):
            api = BoltAPI(django_middleware=spec)
            api.get("/x")(x)
            return api

        try:
            api_with(True).compile()
        except RuntimeError as exc:
            print(exc)
        import django
        from django.conf import settings

        settings.configure(
            MIDDLEWARE=[
                "django.middleware.security.SecurityMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
            ]
        )
        django.setup()
        for spec in (["nowhere.Middleware"], {"include": ["CsrfViewMiddleware"]}):
            try:
                api_with(spec).compile()
            except Exception as exc:
                print(type(exc).__name__, exc)
        api = api_with({"exclude": ["SecurityMiddleware"]})
        from bolt_api._middleware import route_middleware
        print(route_middleware(api.routes[0].definition, "GET /x")[0])
        api = api_with({"exclude": ["SecurityMiddleware", "XFrameOptionsMiddleware"]})
        print(route_middleware(api.routes[0].definition, "GET /x")[0])
        print(api.compile().routes[0].is_async)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    ).stdout.splitlines()
    assert out[0].startswith("GET /x, handler ")
    assert out[0].endswith(
        "django_middleware= needs Django: Django's settings are not configured "
        "(DJANGO_SETTINGS_MODULE)"
    )
    assert out[1].startswith("ImproperlyConfigured Django middleware 'nowhere.Middleware'")
    assert out[2].endswith(
        "django_middleware['include']: 'CsrfViewMiddleware' is not in MIDDLEWARE"
    )
    assert out[3] == (
        "(DjangoMiddlewareStack(['django.middleware.clickjacking.XFrameOptionsMiddleware']),)"
    )
    assert out[4:] == ["()", "False"]  # all excluded: no stage, a sync route
