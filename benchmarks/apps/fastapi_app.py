"""The benchmark endpoints on FastAPI (served by uvicorn with uvloop + httptools).

No Django, so no E5/E5s. Handlers are ``async def`` (FastAPI runs plain ``def`` in a thread
pool: HOL's ``/slow`` is one). E9 is FastAPI's documented recipe: an ``HTTPBearer``
dependency decoding the token with PyJWT; no E10/E11 (see the target's notes).

The three framework apps have the same ``async def`` handlers; each declares return types in
the form that is faster for its framework, measured. FastAPI serializes a declared return
type with pydantic (in Rust) and an undeclared one with ``jsonable_encoder`` (in Python), so
here every handler declares it: E4 is 7x faster (4,400 against 600 req/s) and E1 13 % faster
than without. Bolt and django-bolt are the other way round (see ``bolt_app.py``).
"""

from __future__ import annotations

import time
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from benchmarks.apps.common import (
    HELLO,
    JWT_SECRET,
    SLOW,
    SLOW_SECONDS,
    STREAM_CHUNK,
    STREAM_CHUNKS,
    make_items,
)

app = FastAPI()
bearer = HTTPBearer(auto_error=False)


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


async def user_id(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The token's subject; 401 as the other targets answer without a valid token."""
    if credentials is not None:
        try:
            claims = jwt.decode(credentials.credentials, JWT_SECRET, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            pass
        else:
            return str(claims["sub"])
    raise HTTPException(401, "Authentication required", {"WWW-Authenticate": "Bearer"})


@app.get("/me")
async def me(uid: Annotated[str, Depends(user_id)]) -> dict[str, str]:  # E9
    return {"user_id": uid}


@app.get("/slow")
def slow() -> dict[str, float]:  # HOL: the requests kept in flight (FastAPI's thread pool)
    time.sleep(SLOW_SECONDS)
    return SLOW
