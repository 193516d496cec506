"""Routing: nested routers with prefixes and tags, trailing slashes, HEAD, reversed URLs.

``/trailing/`` is declared with its slash, which registration strips (the default
``trailing_slash="strip"``; the other form of any path answers with a 308).
``/explicit-head`` has a ``HEAD`` route of its own, which wins over the automatic one, and
``/named/{slug}`` builds a URL from a route's name (``api.url_path_for``).
"""

from __future__ import annotations

from bolt_api import Response, Router

from .app import api

__all__ = [
    "explicit_head",
    "explicit_head_get",
    "named",
    "nested",
    "nested_thing",
    "ping",
    "trailing",
    "v1",
]

v1 = Router(prefix="/v1", tags=["v1"])


@v1.get("/ping")
def ping() -> dict[str, str]:
    return {"pong": "v1"}


nested = Router(prefix="/nested")


@nested.get("/{thing_id}")
def nested_thing(thing_id: int) -> dict[str, int]:
    return {"thing_id": thing_id}


v1.include_router(nested)
api.include_router(v1, prefix="/api")


@api.get("/trailing/")
def trailing() -> dict[str, str]:
    return {"trailing": "stripped"}


@api.head("/explicit-head")
def explicit_head() -> Response:
    return Response(b"", headers={"X-Head": "explicit"})


@api.get("/explicit-head")
def explicit_head_get() -> dict[str, str]:
    return {"get": "yes"}


@api.get("/named/{slug}", name="named-route")
def named(slug: str) -> dict[str, str]:
    return {"url": api.url_path_for("named-route", slug=slug + " x")}
