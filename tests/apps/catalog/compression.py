"""Response compression: which responses are compressed, on every kind of route.

A large JSON list from a sync route, from an async route that really awaits and from a
route with a dependency; a large error response; a route that opts out (``@no_compress``);
and a response whose media type is already compressed (PNG), which is left alone.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from bolt_api import Depends, HTTPException, Response, no_compress

from .app import api

__all__ = [
    "BIG_ROWS",
    "compress_awaits",
    "compress_big",
    "compress_error",
    "compress_off",
    "compress_png",
    "compress_scoped",
]

BIG_ROWS = [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]} for i in range(200)]


@api.get("/compress/big")
def compress_big() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/awaits")
async def compress_awaits() -> list[dict[str, Any]]:
    """An async route that really awaits (a coroutine route): compressed like the others."""
    await asyncio.sleep(0)
    return BIG_ROWS


def _rows() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/scoped")
def compress_scoped(rows: Annotated[list[dict[str, Any]], Depends(_rows)]) -> list[dict[str, Any]]:
    """A route with a dependency: compressed like the others."""
    return rows


@api.get("/compress/error")
def compress_error(n: int = 600) -> None:
    """An error response as large as asked: compressed like any other response."""
    raise HTTPException(409, detail="e" * min(n, 10_000))


@api.get("/compress/off")
@no_compress
def compress_off() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/png")
def compress_png() -> Response:
    return Response(b"\x89PNG" + b"\x00" * 2000, media_type="image/png")
