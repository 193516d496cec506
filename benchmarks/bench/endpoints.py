"""The endpoints: what each request is and the answer every target must give.

The same table drives the preflight check (``servers.verify``), wrk's command line and the
results' rows, so a target that answers wrongly is caught before it is measured. E1 to E8 are
issue 4's; E5s, E9 to E11, their plain twins E10p/E11p and HOL are the feature benchmarks of
issues 12 and 16; E13 (a route through Django's middleware, issue 13) and its twin E13p.
A twin is the same route without the feature, sent the same request: the report divides
the two (``Endpoint.twin``), which is what "within 10 % of the same route
without it" asks.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from benchmarks.apps import common

__all__ = [
    "BY_KEY",
    "ENDPOINTS",
    "FEATURES",
    "Endpoint",
    "bearer_token",
    "key_span",
    "request_headers",
]

#: What a framework must have to serve an endpoint (``Endpoint.feature``), for the tables'
#: "n/a (no ...)" cells.
FEATURES = {
    "jwt": "JWT auth",
    "cors": "per-route CORS",
    "rate_limit": "rate limiting",
    "threads": "a thread pool for def handlers",
    "django_middleware": "Django middleware on routes",
}


def _json_equals(expected: Any) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        try:
            got = json.loads(body)
        except ValueError as exc:
            return f"body is not JSON ({exc}): {body[:200]!r}"
        return None if got == expected else f"expected {expected!r:.200}, got {got!r:.200}"

    return check


def _bytes_equal(expected: bytes) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        if body == expected:
            return None
        return f"expected {len(expected)} bytes, got {len(body)}: {body[:80]!r}"

    return check


@cache
def bearer_token() -> str:
    """E9's token: HS256 over ``common.JWT_SECRET``, signed once per runner process.

    It expires a day after the run began (every framework requires ``exp`` or checks it);
    PyJWT is bolt-api's own dependency, so the runner always has it.
    """
    import jwt

    now = int(time.time())
    claims = {"sub": common.JWT_SUBJECT, "iat": now, "exp": now + 86400}
    return jwt.encode(claims, common.JWT_SECRET, algorithm="HS256")


@dataclass(frozen=True)
class Endpoint:
    key: str
    name: str
    title: str
    method: str
    path: str
    status: int
    check: Callable[[bytes], str | None] | None = None
    script: str = "report.lua"
    body: bytes | None = None
    needs_django: bool = False
    #: Request headers sent on every request (wrk's ``-H``, and the preflight's).
    headers: tuple[tuple[str, str], ...] = ()
    #: Send ``Authorization: Bearer <bearer_token()>``; the preflight also checks that the
    #: request without it is refused with ``refused_status``.
    bearer: bool = False
    refused_status: int | None = None
    #: Response headers the preflight checks (lower-case name, value; None: must be absent),
    #: so a feature that is silently off fails the run instead of measuring nothing.
    expect_headers: tuple[tuple[str, str | None], ...] = ()
    #: What the framework needs (a key of ``FEATURES``), or None: every framework app.
    feature: str | None = None
    #: The key of the same route without the feature, sent the same request.
    twin: str | None = None
    #: Head-of-line: the path of the slow ``def`` route of which ``common.SLOW_IN_FLIGHT``
    #: requests are kept in flight while wrk measures this endpoint (``bench.background``).
    background: str | None = None


def request_headers(ep: Endpoint) -> dict[str, str]:
    """Every header ``ep``'s request carries besides wrk's own (Host, Content-Length)."""
    out = dict(ep.headers)
    if ep.body is not None:
        out["Content-Type"] = "application/json"
    if ep.bearer:
        out["Authorization"] = f"Bearer {bearer_token()}"
    return out


_ORIGIN = (("Origin", common.CORS_ORIGIN),)
_ALLOWED = (("access-control-allow-origin", common.CORS_ORIGIN),)
_NO_CORS = (("access-control-allow-origin", None),)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("E1", "hello", "GET / → JSON hello", "GET", "/", 200, _json_equals(common.HELLO)),
    Endpoint(
        "E2",
        "path-query",
        "GET /items/{id}?q= (int path + str query)",
        "GET",
        f"/items/{common.ITEM_ID}?q={common.ITEM_Q}",
        200,
        _json_equals({"id": common.ITEM_ID, "q": common.ITEM_Q}),
    ),
    Endpoint(
        "E3",
        "post-1k",
        "POST /users, ~1 KB JSON validated into a struct",
        "POST",
        "/users",
        200,
        _json_equals(json.loads(common.USER_BODY)),
        "post_users.lua",
        common.USER_BODY,
    ),
    Endpoint(
        "E4",
        "json-10k",
        "GET /json-10k (100 dicts built per request)",
        "GET",
        "/json-10k",
        200,
        _json_equals(common.make_items()),
    ),
    Endpoint(
        "E5",
        "orm-10",
        "GET /db/rows (async def, Django async ORM, 10 rows)",
        "GET",
        "/db/rows",
        200,
        _json_equals(common.expected_rows()),
        needs_django=True,
    ),
    Endpoint(
        "E5s",
        "orm-10-sync",
        "GET /db/rows-sync (def, Django ORM, 10 rows)",
        "GET",
        "/db/rows-sync",
        200,
        _json_equals(common.expected_rows()),
        needs_django=True,
    ),
    Endpoint(
        "E6",
        "stream-64k",
        "GET /stream (64 KB)",
        "GET",
        "/stream",
        200,
        _bytes_equal(common.STREAM_BODY),
    ),
    Endpoint("E7", "404", "GET /missing → 404", "GET", "/missing", 404),
    Endpoint("E8", "422", "GET /items/abc?q= → 422", "GET", f"/items/abc?q={common.ITEM_Q}", 422),
    Endpoint(
        "E9",
        "jwt",
        "GET /me, HS256 Bearer token + IsAuthenticated → user id",
        "GET",
        "/me",
        200,
        _json_equals({"user_id": common.JWT_SUBJECT}),
        bearer=True,
        refused_status=401,
        feature="jwt",
    ),
    Endpoint(
        "E10",
        "cors",
        "GET /cors with an allowed Origin (@cors)",
        "GET",
        "/cors",
        200,
        _json_equals(common.HELLO),
        headers=_ORIGIN,
        expect_headers=_ALLOWED,
        feature="cors",
        twin="E10p",
    ),
    Endpoint(
        "E10p",
        "cors-twin",
        "GET /plain with the same Origin (E10's route without @cors)",
        "GET",
        "/plain",
        200,
        _json_equals(common.HELLO),
        headers=_ORIGIN,
        expect_headers=_NO_CORS,
        feature="cors",
    ),
    Endpoint(
        "E11",
        "rate-limit",
        "GET /limited, under its @rate_limit",
        "GET",
        "/limited",
        200,
        _json_equals(common.HELLO),
        feature="rate_limit",
        twin="E11p",
    ),
    Endpoint(
        "E11p",
        "rate-limit-twin",
        "GET /plain (E11's route without @rate_limit)",
        "GET",
        "/plain",
        200,
        _json_equals(common.HELLO),
        feature="rate_limit",
    ),
    Endpoint(
        "E13",
        "django-middleware",
        "GET /dj-mw through Django's SecurityMiddleware and CommonMiddleware",
        "GET",
        "/dj-mw",
        200,
        _json_equals(common.HELLO),
        expect_headers=(("x-content-type-options", "nosniff"),),
        feature="django_middleware",
        twin="E13p",
    ),
    Endpoint(
        "E13p",
        "django-middleware-twin",
        "GET /plain (E13's route without Django's middleware)",
        "GET",
        "/plain",
        200,
        _json_equals(common.HELLO),
        expect_headers=(("x-content-type-options", None),),
        feature="django_middleware",
    ),
    Endpoint(
        "HOL",
        "head-of-line",
        f"GET / while {common.SLOW_IN_FLIGHT} requests to a {common.SLOW_SECONDS:g} s "
        "def handler are in flight",
        "GET",
        "/",
        200,
        _json_equals(common.HELLO),
        feature="threads",
        background="/slow",
    ),
)
BY_KEY = {e.key: e for e in ENDPOINTS}


def key_span(keys: tuple[str, ...]) -> str:
    """``E1`` to ``E4`` as a range for consecutive endpoint keys, else ``E1, E3``."""
    order = list(BY_KEY)
    idx = sorted(order.index(k) for k in keys)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{order[idx[0]]}–{order[idx[-1]]}"
    return ", ".join(order[i] for i in idx)
