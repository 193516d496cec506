"""The benchmark endpoints on FastAPI (served by uvicorn with uvloop + httptools).

No Django, so no E5. Handlers are ``async def`` (FastAPI runs plain ``def`` in a thread pool).

The three framework apps have the same ``async def`` handlers; each declares return types in
the form that is faster for its framework, measured. FastAPI serializes a declared return
type with pydantic (in Rust) and an undeclared one with ``jsonable_encoder`` (in Python), so
here every handler declares it: E4 is 7x faster (4,400 against 600 req/s) and E1 13 % faster
than without. Bolt and django-bolt are the other way round (see ``bolt_app.py``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from benchmarks.apps.common import HELLO, STREAM_CHUNK, STREAM_CHUNKS, make_items

app = FastAPI()


class User(BaseModel):
    name: str
    email: str
    age: int
    tags: list[str]


@app.get("/")
async def hello() -> dict[str, str]:  # E1
    return {"message": HELLO["message"]}


@app.get("/items/{id}")
async def item(id: int, q: str | None = None) -> dict[str, object]:  # E2, E8
    return {"id": id, "q": q}


@app.post("/users")
async def create_user(user: User) -> User:  # E3
    return user


@app.get("/json-10k")
async def json_10k() -> list[dict[str, object]]:  # E4
    return make_items()


async def _chunks():
    for _ in range(STREAM_CHUNKS):
        yield STREAM_CHUNK


@app.get("/stream")
async def stream() -> StreamingResponse:  # E6: 16 chunks of 4 KB
    return StreamingResponse(_chunks(), media_type="application/octet-stream")
