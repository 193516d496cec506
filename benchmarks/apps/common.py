"""What every benchmark target serves, written down once.

Standard library only: this module is imported by every target (Bolt, django-bolt, FastAPI,
the raw ASGI and RSGI apps) in its own virtual environment, and by the runner to check the
answers. Data that a real handler would compute (the 100-item list) is *built per request* by
calling the function here, in every target alike.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

#: E1 ``GET /``.
HELLO = {"message": "Hello, World!"}

#: E2 ``GET /items/{id}?q=`` and E8 (the same route with a non-integer id).
ITEM_ID = 42
ITEM_Q = "hello"

#: E3 ``POST /users``: the ~1 KB JSON body (the wrk Lua script posts the same file).
USER_BODY_PATH = HERE.parent / "wrk" / "user.json"
USER_BODY: bytes = USER_BODY_PATH.read_bytes()

#: E6 ``GET /stream``: 64 KB sent as 16 chunks of 4 KB where the target can stream.
STREAM_CHUNK = b"0123456789abcdef" * 256  # 4096 bytes
STREAM_CHUNKS = 16
STREAM_BODY = STREAM_CHUNK * STREAM_CHUNKS

#: E5 and E5s: rows in the table (PostgreSQL, or sqlite without it) and how many they read.
DB_ROWS = 100
DB_READ = 10

#: E9 ``GET /me``: the HS256 secret every target verifies the Bearer token with (the runner
#: signs one token with it when it starts, ``bench.endpoints.bearer_token``), and the token's
#: subject, which the endpoint answers as ``{"user_id": "42"}``.
JWT_SECRET = "bolt-benchmark-hs256-secret-not-secret-0123456789"
JWT_SUBJECT = "42"

#: E10 ``GET /cors``: the origin the route allows and the wrk run sends in ``Origin:``.
CORS_ORIGIN = "https://app.example.com"
#: E13: the Django middleware its route runs through (Django's own, no database needed).
DJANGO_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

#: E11 ``GET /limited``: a per-client limit no run comes near (wrk's 64 connections share one
#: client address, one bucket), so the route pays the check and is never refused.
RATE_LIMIT_RPS = 10_000_000

#: HOL: the slow ``def`` handler sleeps this long; the runner keeps ``SLOW_IN_FLIGHT`` of its
#: requests open while wrk measures the fast endpoint (issue 12: 20 requests of 1 s).
SLOW_SECONDS = 1.0
SLOW_IN_FLIGHT = 20
SLOW = {"slept": SLOW_SECONDS}


#: The field values of E4's rows, computed once: formatting them would cost more than any
#: framework's share of the request, and E4 is about building and serializing the response.
_ITEM_VALUES = [
    (i, f"item-{i:03d}", f"SKU-{i:06d}", round(i * 1.25, 2), i % 3 != 0) for i in range(100)
]


def make_items() -> list[dict[str, object]]:
    """E4 ``GET /json-10k``: 100 new dicts (about 10 KB of JSON), built anew on every call."""
    return [
        {
            "id": i,
            "name": name,
            "sku": sku,
            "price": price,
            "in_stock": in_stock,
            "tags": ["alpha", "beta"],
        }
        for i, name, sku, price, in_stock in _ITEM_VALUES
    ]


def seed_row(i: int) -> dict[str, object]:
    """Row ``i`` (1-based) of the E5 table, without its id."""
    return {"name": f"user-{i:03d}", "email": f"user{i}@example.com", "score": (i * 7) % 100}


def expected_rows() -> list[dict[str, object]]:
    """What E5 answers: the first ``DB_READ`` rows by id."""
    return [{"id": i, **seed_row(i)} for i in range(1, DB_READ + 1)]
