"""Parameters from the path, the query, headers and cookies, and how they are converted.

Path parameters of every converter (``int``, ``float``, ``bool``, ``UUID``, ``str``, the
rest of the path), a literal route beside a parameter route (``/users/me``), query
parameters with defaults, constraints and aliases, lists and a ``Struct`` grouping several
query parameters, and the richer scalar types (``Decimal``, dates and times).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Annotated, Any

import msgspec
from bolt_api import Cookie, Header, Query

from .app import api

__all__ = [
    "Filters",
    "aliased",
    "coerce",
    "get_bool",
    "get_file",
    "get_float",
    "get_item",
    "get_str",
    "get_uuid",
    "grouped",
    "headers",
    "me",
    "multi",
    "search",
    "typed",
    "user",
]


class Filters(msgspec.Struct):
    status: str = "any"
    limit: int = 10
    tags: list[str] = []


# --- path parameters --------------------------------------------------------------------


@api.get("/items/{item_id}")
def get_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    """Read one item by its id.

    The docstring is the operation's description in the OpenAPI document.
    """
    return {"item_id": item_id, "q": q}


@api.get("/float/{value}")
def get_float(value: float) -> dict[str, float]:
    return {"value": value}


@api.get("/bool/{flag}")
def get_bool(flag: bool) -> dict[str, bool]:
    return {"flag": flag}


@api.get("/uuid/{uid}")
def get_uuid(uid: uuid.UUID) -> dict[str, str]:
    return {"uid": str(uid), "type": type(uid).__name__}


@api.get("/str/{name}")
def get_str(name: str) -> dict[str, str]:
    return {"name": name}


@api.get("/files/{rest:path}")
def get_file(rest: str) -> dict[str, str]:
    return {"rest": rest}


@api.get("/users/me")
def me() -> dict[str, str]:
    return {"user": "me"}


@api.get("/users/{user_id}")
def user(user_id: int) -> dict[str, int]:
    return {"user_id": user_id}


@api.get("/typed/{item_id:int}")
def typed(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


# --- query parameters, headers and cookies ----------------------------------------------


@api.get("/search")
def search(
    q: str,
    page: int = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    exact: bool = False,
    sort: str | None = None,
    price: float | None = None,
) -> dict[str, Any]:
    return {"q": q, "page": page, "size": size, "exact": exact, "sort": sort, "price": price}


@api.get("/aliased")
def aliased(item_query: str = Query("none", alias="item-query", max_length=5)) -> dict[str, str]:
    return {"item_query": item_query}


@api.get("/headers")
def headers(
    x_token: Annotated[str, Header()],
    x_count: Annotated[int, Header(alias="X-Count")] = 0,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, Any]:
    return {"x_token": x_token, "x_count": x_count, "session": session}


# --- lists, groups and richer types -----------------------------------------------------


@api.get("/multi")
def multi(ids: list[int], flags: list[bool] | None = None) -> dict[str, Any]:
    return {"ids": ids, "flags": flags}


@api.get("/grouped")
def grouped(filters: Annotated[Filters, Query()]) -> Filters:
    return filters


@api.get("/coerce")
def coerce(
    amount: decimal.Decimal,
    when: datetime.datetime,
    day: datetime.date,
    at: datetime.time,
    uid: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "amount": str(amount),
        "when": when.isoformat(),
        "day": day.isoformat(),
        "at": at.isoformat(),
        "uid": str(uid) if uid else None,
        "types": [type(v).__name__ for v in (amount, when, day, at)],
    }
