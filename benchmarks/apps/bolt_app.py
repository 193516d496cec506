"""The benchmark endpoints on Bolt (served by ``runbolt`` on the rust or the python engine).

Imported inside the Django project ``benchmarks.apps.djproject`` (E5 uses its ORM). Every
handler is ``async def``, as in the other targets: the idiomatic non-blocking form everywhere.
"""

from __future__ import annotations

import msgspec
from bolt_api import BoltAPI

from benchmarks.apps.benchdb.models import Row
from benchmarks.apps.common import DB_READ, HELLO, STREAM_BODY, make_items

api = BoltAPI()


class User(msgspec.Struct):
    name: str
    email: str
    age: int
    tags: list[str]


@api.get("/")
async def hello() -> dict[str, str]:  # E1
    return {"message": HELLO["message"]}


@api.get("/items/{id}")
async def item(id: int, q: str | None = None) -> dict[str, object]:  # E2, E8
    return {"id": id, "q": q}


@api.post("/users")
async def create_user(user: User) -> User:  # E3
    return user


@api.get("/json-10k")
async def json_10k() -> list[dict[str, object]]:  # E4
    return make_items()


@api.get("/db/rows")
async def db_rows() -> list[dict[str, object]]:  # E5
    rows = Row.objects.order_by("id").values("id", "name", "email", "score")[:DB_READ]
    return [row async for row in rows]


@api.get("/stream")
async def stream() -> bytes:  # E6: Bolt has no streaming responses yet; one 64 KB body.
    return STREAM_BODY
