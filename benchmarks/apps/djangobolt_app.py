"""The benchmark endpoints on django-bolt 0.13.0, written with its own API.

Served by django-bolt's ``manage.py runbolt --processes 1`` inside ``benchmarks.apps.djproject``
(with ``BENCH_FRAMEWORK=django-bolt``). Request logging is switched off because the other
main targets do not log requests either (Bolt's access log is off unless asked for, uvicorn
runs with ``--no-access-log``, nginx with ``access_log off``): ``enable_logging=False`` here,
and the project's ``LOGGING`` raises ``django.server`` (django-bolt's per-request access
line) to WARNING. The ``django-bolt-log`` target keeps Django's default logging, to show what
the access log costs.

The three framework apps have the same ``async def`` handlers; each declares return types in
the form that is faster for its framework, measured: here, none on the handlers returning
plain dicts and lists (an annotation such as ``-> dict[str, str]`` makes Bolt and django-bolt
validate the result with msgspec on every request: django-bolt's E1 drops from 95k to 57k
req/s), and ``-> User`` on E3, the typed echo. FastAPI is the other way round (see
``fastapi_app.py``).

The feature endpoints use django-bolt's own: ``JWTAuthentication`` + ``IsAuthenticated``
(validated in Rust) for E9, the route decorators ``@cors`` and ``@rate_limit`` for E10 and
E11, plain ``def`` handlers for E5s and HOL's ``/slow``.
"""

from __future__ import annotations

import time

import msgspec
from django_bolt import BoltAPI
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.middleware import DjangoMiddleware, cors, middleware, rate_limit
from django_bolt.responses import StreamingResponse

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
    STREAM_CHUNK,
    STREAM_CHUNKS,
    make_items,
)

api = BoltAPI(enable_logging=False)


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


@api.get("/me", auth=[JWTAuthentication(secret=JWT_SECRET)], guards=[IsAuthenticated()])
async def me(request):  # E9
    return {"user_id": request.context["user_id"]}


@api.get("/cors")
@cors(origins=[CORS_ORIGIN])
async def with_cors():  # E10
    return {"message": HELLO["message"]}


@api.get("/limited")
@rate_limit(rps=RATE_LIMIT_RPS)
async def limited():  # E11
    return {"message": HELLO["message"]}


@api.get("/dj-mw")
@middleware(*(DjangoMiddleware(path) for path in DJANGO_MIDDLEWARE))
async def through_django():  # E13
    return {"message": HELLO["message"]}


@api.get("/plain")
async def plain():  # E10p, E11p, E13p: the same route without @cors or @rate_limit
    return {"message": HELLO["message"]}


@api.get("/slow")
def slow():  # HOL: the requests kept in flight
    time.sleep(SLOW_SECONDS)
    return SLOW


async def _chunks():
    for _ in range(STREAM_CHUNKS):
        yield STREAM_CHUNK


@api.get("/stream")
async def stream() -> StreamingResponse:  # E6: 16 chunks of 4 KB
    return StreamingResponse(_chunks(), media_type="application/octet-stream")
