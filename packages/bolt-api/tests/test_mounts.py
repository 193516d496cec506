"""Tier one: mounts (``api.mount_asgi``, ``api.mount_django``) as bolt-api compiles them, and
the ASGI protocol run without an engine. Over real sockets: tests/test_django_site.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api._mounts import check_mount_path
from bolt_api.engine import RouteSpec, StreamBody
from bolt_api_fakes import FakeRequest

REST = "{*__bolt_mount_rest}"


async def echo(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-path", b"p")]})
    text = f"{scope['root_path']}|{scope['path']}|{message['body'].decode()}"
    await send({"type": "http.response.body", "body": text.encode()})


def specs(api: BoltAPI, path: str) -> dict[str, RouteSpec]:
    return {s.method: s for s in api.compile().routes if s.path == path and not s.websocket}


def docs_paths(api: BoltAPI) -> set[str]:
    return {s.path for s in api.compile().routes if s.path.startswith("/docs")}


def call(spec: RouteSpec, request: Any) -> Any:
    request.scheme = "http"
    return asyncio.run(spec.call(request))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "prefix"),
    [("/", ""), ("", ""), ("/legacy", "/legacy"), ("/legacy/", "/legacy"), ("/a/b", "/a/b")],
)
def test_a_mount_path_is_a_plain_prefix(path: str, prefix: str) -> None:
    assert check_mount_path(path) == prefix


@pytest.mark.parametrize("path", ["legacy", "/a//b", "/{id}", "/a/{rest:path}", "/a?x", "//"])
def test_a_mount_path_that_cannot_be_a_prefix_is_an_error(path: str) -> None:
    with pytest.raises(ValueError, match="plain prefix"):
        BoltAPI().mount_asgi(path, echo)


def test_mount_asgi_refuses_what_it_cannot_serve() -> None:
    class ASGI2:
        def __init__(self, scope: Any) -> None: ...

    with pytest.raises(TypeError, match="ASGI 2"):
        BoltAPI().mount_asgi("/x", ASGI2)
    with pytest.raises(TypeError, match="ASGI application"):
        BoltAPI().mount_asgi("/x", "app:asgi")
    api = BoltAPI()
    api.mount_asgi("/x", echo)
    with pytest.raises(ValueError, match="already mounted"):
        api.mount_django("/x/")
    with pytest.raises(TypeError, match="urlconf"):
        api.mount_django("/y", urlconf=object())  # type: ignore[arg-type]


def test_a_mount_is_three_async_routes_per_method() -> None:
    api = BoltAPI()
    api.mount_asgi("/x", echo)
    exact, slash, rest = specs(api, "/x"), specs(api, "/x/"), specs(api, f"/x/{REST}")
    methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"}
    assert set(exact) == set(slash) == set(rest) == methods
    assert all(s.is_async for s in [*exact.values(), *rest.values()])


def test_no_catch_all_beside_a_parameter() -> None:
    # a router cannot hold /{slug} and /{*rest} for one method: the mount goes one level down
    api = BoltAPI()

    @api.get("/{slug}")
    async def page(slug: str) -> str:
        return slug

    api.mount_asgi("/", echo)
    get = {
        s.path for s in api.compile().routes if s.method == "GET" and not s.websocket
    } - docs_paths(api)
    assert get == {"/{slug}", "/", "/{slug}/", f"/{{slug}}/{REST}"}
    post = {s.path for s in api.compile().routes if s.method == "POST"}
    assert post == {"/", f"/{REST}"}


def test_bolt_routes_win_over_a_mount() -> None:
    api = BoltAPI()

    @api.get("/x")
    async def own() -> dict[str, str]:
        return {}

    api.mount_asgi("/x", echo)
    exact = specs(api, "/x")
    assert exact["GET"].name.endswith("own")
    assert exact["HEAD"].name.endswith("own")
    assert exact["POST"].name == "mount_asgi:/x"


def test_mounts_follow_prefixes_mount_and_merge() -> None:
    inner = BoltAPI(prefix="/v1")
    inner.mount_asgi("/x", echo)
    assert specs(inner, "/v1/x")
    outer = BoltAPI()
    outer.mount("/p", inner)
    assert specs(outer, "/p/v1/x")
    merged = BoltAPI.merge([BoltAPI(), inner])
    assert specs(merged, f"/v1/x/{REST}")
    with pytest.raises(ValueError, match="already mounted"):
        BoltAPI.merge([inner, inner])


def test_the_asgi_protocol_one_body() -> None:
    api = BoltAPI()
    api.mount_asgi("/x", echo)
    spec = specs(api, f"/x/{REST}")["POST"]
    status, headers, body = call(spec, FakeRequest("POST", "/x/a/b", body=b"hi"))
    assert (status, list(headers), body) == (200, [("x-path", "p")], b"/x|/x/a/b|hi")


def test_the_asgi_protocol_streamed() -> None:
    async def streamed(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 206, "headers": []})
        for part in (b"a", b"", b"b"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"c"})

    api = BoltAPI()
    api.mount_asgi("/", streamed)

    async def run() -> tuple[int, list[bytes]]:
        spec = specs(api, f"/{REST}")["GET"]
        request: Any = FakeRequest("GET", "/s")
        request.scheme = "http"
        status, _, body = await spec.call(request)  # type: ignore[misc]
        assert isinstance(body, StreamBody) and body.is_async
        return status, [chunk async for chunk in body.chunks]  # type: ignore[union-attr]

    assert asyncio.run(run()) == (206, [b"a", b"b", b"c"])


@pytest.mark.parametrize("failure", ["raises", "no response"])
def test_an_asgi_app_without_a_response_is_a_500(failure: str) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        if failure == "raises":
            raise RuntimeError("boom")

    api = BoltAPI()
    api.mount_asgi("/x", broken)
    status, _, body = call(specs(api, "/x")["GET"], FakeRequest("GET", "/x"))
    assert (status, body) == (500, b'{"detail":"Internal Server Error"}')


def test_the_django_fallback_is_off_by_default() -> None:
    api = BoltAPI()
    assert api.django_fallback is False
    assert not specs(api, f"/{REST}")
