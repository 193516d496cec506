"""Dependencies: chained (a dependency of a dependency), cached per request, and scoped.

``session`` is a generator dependency: its code after ``yield`` runs once the handler has
returned (commit) or raised (rollback). What ran is recorded in ``EVENTS``, which
``/deps/events`` reads (and clears), so a test sees the order over HTTP.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from bolt_api import Depends, Header

from .app import api

__all__ = [
    "EVENTS",
    "counter",
    "deps_cached",
    "deps_events",
    "deps_session",
    "deps_user",
    "get_token",
    "get_user",
    "session",
]

EVENTS: list[str] = []


def get_token(x_token: Annotated[str, Header()]) -> str:
    return x_token


async def get_user(token: Annotated[str, Depends(get_token)], page: int = 1) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"user": f"user-{token}", "page": page}


def counter() -> dict[str, int]:
    EVENTS.append("counter")
    return {"n": len(EVENTS)}


def session(name: str = "db"):  # type: ignore[no-untyped-def]
    EVENTS.append(f"open {name}")
    try:
        yield f"session:{name}"
    except RuntimeError:
        EVENTS.append(f"rollback {name}")
        raise
    else:
        EVENTS.append(f"commit {name}")


@api.get("/deps/user")
async def deps_user(user: Annotated[dict[str, Any], Depends(get_user)]) -> dict[str, Any]:
    return user


@api.get("/deps/cached")
def deps_cached(
    a: dict[str, int] = Depends(counter),
    b: dict[str, int] = Depends(counter),
) -> dict[str, bool]:
    return {"same": a is b}


@api.get("/deps/session")
def deps_session(s: Annotated[str, Depends(session)], fail: bool = False) -> dict[str, str]:
    if fail:
        raise RuntimeError("handler failed")
    return {"session": s}


@api.get("/deps/events")
def deps_events(clear: bool = False) -> list[str]:
    events = list(EVENTS)
    if clear:
        EVENTS.clear()
    return events
