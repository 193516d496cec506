"""The benchmark endpoints on FastAPI (served by uvicorn with uvloop + httptools).

No Django, so no E5. Handlers are ``async def`` (FastAPI runs plain ``def`` in a thread pool).

Same code shape in every framework target: ``async def`` handlers; handlers returning plain
dicts and lists carry no return annotation (an annotation such as ``-> dict[str, str]`` makes
each framework validate the result on every request); E3 declares ``-> User``, the typed echo.
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
async def hello():  # E1
    return {"message": HELLO["message"]}


@app.get("/items/{id}")
async def item(id: int, q: str | None = None):  # E2, E8
    return {"id": id, "q": q}


@app.post("/users")
async def create_user(user: User) -> User:  # E3
    return user


@app.get("/json-10k")
async def json_10k():  # E4
    return make_items()


async def _chunks():
    for _ in range(STREAM_CHUNKS):
        yield STREAM_CHUNK


@app.get("/stream")
async def stream() -> StreamingResponse:  # E6: 16 chunks of 4 KB
    return StreamingResponse(_chunks(), media_type="application/octet-stream")
