"""The endpoints E1..E8: what each request is and the answer every target must give.

The same table drives the preflight check (``servers.verify``), wrk's scripts and the
results' rows, so a target that answers wrongly is caught before it is measured.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.apps import common

__all__ = ["BY_KEY", "ENDPOINTS", "Endpoint", "key_span"]


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
        "GET /db/rows (Django async ORM, 10 rows, sqlite)",
        "GET",
        "/db/rows",
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
)
BY_KEY = {e.key: e for e in ENDPOINTS}


def key_span(keys: tuple[str, ...]) -> str:
    """``E1`` to ``E4`` as a range for consecutive endpoint keys, else ``E1, E3``."""
    order = list(BY_KEY)
    idx = sorted(order.index(k) for k in keys)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{order[idx[0]]}–{order[idx[-1]]}"
    return ", ".join(order[i] for i in idx)
