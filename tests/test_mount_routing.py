"""Mounts next to parameter routes, on each engine: every path no Bolt route matches reaches
the mount, although a router cannot hold ``/{slug}`` and ``/{*rest}`` for one method
(bolt_api._mounts covers the paths one segment deeper). In process, through ``TestClient``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api.testing import TestClient


async def tiny(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": f"asgi:{scope['path']}".encode()})


def build() -> BoltAPI:
    api = BoltAPI()

    @api.get("/{slug}")
    async def page(slug: str) -> str:
        return f"page:{slug}"

    @api.get("/a/{x}/b")
    async def axb(x: str) -> str:
        return f"axb:{x}"

    @api.get("/files/{rest:path}")
    async def files(rest: str) -> str:
        return f"files:{rest}"

    @api.get("/v/{x}")
    async def v(x: str) -> str:
        return f"v:{x}"

    api.mount_asgi("/", tiny)
    api.mount_asgi("/v/legacy", tiny)  # beside /v/{x}: the literal wins
    return api


@pytest.fixture(scope="module")
def client(engine: str) -> Iterator[TestClient]:
    with TestClient(build(), engine=engine) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/x", 200, "page:x"),
        ("GET", "/x/y", 200, "asgi:/x/y"),
        ("GET", "/x/y/", 200, "asgi:/x/y/"),
        ("GET", "/", 200, "asgi:/"),
        ("GET", "/x/", 308, ""),  # the other form of a Bolt route: Bolt's redirect
        ("GET", "/a/1/b", 200, "axb:1"),
        ("GET", "/a/1/c", 200, "asgi:/a/1/c"),
        ("GET", "/a/1/b/c", 200, "asgi:/a/1/b/c"),
        ("GET", "/files/q/r", 200, "files:q/r"),
        ("GET", "/v/1", 200, "v:1"),
        ("GET", "/v/legacy", 200, "asgi:/v/legacy"),
        ("GET", "/v/legacy/", 200, "asgi:/v/legacy/"),
        ("GET", "/v/legacy/deep", 200, "asgi:/v/legacy/deep"),
        ("POST", "/x", 405, '{"detail":"Method Not Allowed"}'),
        ("POST", "/x/y", 200, "asgi:/x/y"),
        ("DELETE", "/v/legacy/z", 200, "asgi:/v/legacy/z"),
    ],
)
def test_every_miss_reaches_the_mount(
    client: TestClient, method: str, path: str, status: int, text: str
) -> None:
    r = client.request(method, path, follow_redirects=False)
    assert (r.status_code, r.text) == (status, text)
