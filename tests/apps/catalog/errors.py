"""Error responses: raised HTTP errors, mapped exceptions, crashes and problem details.

``problems`` is a second ``BoltAPI`` with RFC 9457 problem details as its error format,
mounted under ``/problems``: a mounted API keeps its own error handling
(tests/test_routing.py also serves it alone, as ``tests.apps.catalog:problems``).
"""

from __future__ import annotations

import asyncio

from bolt_api import BoltAPI, HTTPException, NotFound
from bolt_api.errors import problem_details

from .app import api

__all__ = [
    "crash",
    "crash_async",
    "errors_file",
    "errors_permission",
    "extra",
    "missing",
    "problem_item",
    "problems",
    "teapot",
]


@api.get("/teapot")
def teapot() -> None:
    raise HTTPException(418, "I'm a teapot", headers={"X-Tea": "earl-grey"})


@api.get("/extra")
def extra() -> None:
    raise HTTPException(400, "Bad thing", extra={"field": "name"})


@api.get("/missing")
async def missing() -> None:
    raise NotFound("No such thing")


@api.get("/crash")
def crash() -> None:
    raise RuntimeError("boom")


@api.get("/crash-async")
async def crash_async() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("boom")


@api.get("/errors/file")
def errors_file() -> None:
    raise FileNotFoundError("/secret/path")


@api.get("/errors/permission")
def errors_permission() -> None:
    raise PermissionError("nope")


problems = BoltAPI(error_formatter=problem_details)


@problems.get("/item/{item_id}")
def problem_item(item_id: int) -> dict[str, int]:
    if item_id == 0:
        raise NotFound("Item 0 does not exist")
    return {"item_id": item_id}


api.mount("/problems", problems)
