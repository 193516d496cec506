"""The benchmark endpoints on Bolt (served by ``runbolt`` on the rust or the python engine).

Imported inside the Django project ``benchmarks.apps.djproject`` (E5 uses its ORM).

The three framework apps have the same ``async def`` handlers; each declares return types in
the form that is faster for its framework, measured: here, none on the handlers returning
plain dicts and lists (an annotation such as ``-> dict[str, str]`` makes Bolt and django-bolt
validate the result with msgspec on every request: django-bolt's E1 drops from 95k to 57k
req/s), and ``-> User`` on E3, the typed echo. FastAPI is the other way round (see
``fastapi_app.py``).

The feature endpoints: E9 checks an HS256 token in a ``JWTAuthentication`` backend with an
``IsAuthenticated`` guard; E10 and E11 are the hello route under ``@cors`` and
``@rate_limit`` (per route, as django-bolt's decorators are), ``/plain`` the same route
without either (their twins E10p and E11p); E5s and HOL's ``/slow`` are plain ``def``
handlers, which Bolt runs on its thread pool (the ORM, ``time.sleep``).
"""

from __future__ import annotations

import time

import msgspec
from bolt_api import BoltAPI

from benchmarks.apps.benchdb.models import Row
from benchmarks.apps.common import (
    CORS_ORIGIN,
    DB_READ,
    DJANGO_MIDDLEWARE,
    HELLO,
    JWT_SECRET,
    RATE_LIMIT_RPS,
    SLOW,
    SLOW_SECONDS,
    STREAM_BODY,
    STREAM_CHUNK,
    STREAM_CHUNKS,
    make_items,
)

try:  # streamed responses arrived after the benchmark; older trees send E6 in one piece
    from bolt_api.streaming import StreamingResponse
except ImportError:
    StreamingResponse = None

try:  # so did E9-E11's APIs: a `--baseline` tree without them serves the other endpoints
    from bolt_api import cors, rate_limit
    from bolt_api.auth import IsAuthenticated, JWTAuthentication, get_auth_context
except ImportError:
    cors = rate_limit = None

try:  # and E13's (Django's middleware on a route)
    from bolt_api.middleware import DjangoMiddlewareStack, middleware
except ImportError:
    middleware = None

api = BoltAPI()


class User(msgspec.Struct):
    name: str
    email: str
    age: int
    tags: list[str]


@api.get("/")
async def hello():  # E1
    return {"message": HELLO["message"]}


@api.get("/items/{id}")
async def item(id: int, q: str | None = None):  # E2, E8
    return {"id": id, "q": q}


@api.post("/users")
async def create_user(user: User) -> User:  # E3
    return user


@api.get("/json-10k")
async def json_10k():  # E4
    return make_items()


@api.get("/db/rows")
async def db_rows():  # E5
    rows = Row.objects.order_by("id").values("id", "name", "email", "score")[:DB_READ]
    return [row async for row in rows]


@api.get("/db/rows-sync")
def db_rows_sync():  # E5s
    return list(Row.objects.order_by("id").values("id", "name", "email", "score")[:DB_READ])


if cors is not None:

    @api.get("/me", auth=[JWTAuthentication(secret=JWT_SECRET)], guards=[IsAuthenticated()])
    async def me(request):  # E9
        return {"user_id": get_auth_context(request).user_id}

    @api.get("/cors")
    @cors(origins=[CORS_ORIGIN])
    async def with_cors():  # E10
        return {"message": HELLO["message"]}

    @api.get("/limited")
    @rate_limit(rps=RATE_LIMIT_RPS)
    async def limited():  # E11
        return {"message": HELLO["message"]}


if middleware is not None:

    @api.get("/dj-mw")
    @middleware(DjangoMiddlewareStack(DJANGO_MIDDLEWARE))
    async def through_django():  # E13
        return {"message": HELLO["message"]}


@api.get("/plain")
async def plain():  # E10p, E11p, E13p: the same route without @cors or @rate_limit
    return {"message": HELLO["message"]}


@api.get("/slow")
def slow():  # HOL: the requests kept in flight
    time.sleep(SLOW_SECONDS)
    return SLOW


if StreamingResponse is not None:

    async def _chunks():
        for _ in range(STREAM_CHUNKS):
            yield STREAM_CHUNK

    @api.get("/stream")
    async def stream() -> StreamingResponse:  # E6: 16 chunks of 4 KB
        return StreamingResponse(_chunks(), media_type="application/octet-stream")

else:

    @api.get("/stream")
    async def stream() -> bytes:  # E6 without streaming support: the 64 KB in one body
        return STREAM_BODY
