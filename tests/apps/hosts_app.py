"""The allowed-hosts app (tests/test_hosts.py): an API that answers three names only, with
every kind of route a ``host`` stage must sit in front of (in place, on the handler pool, on
the event loop, behind a guard, an ``OPTIONS`` route with CORS) and the routing misses.

Served alone (``python -m bolt_api serve tests.apps.hosts_app:api``).
"""

from __future__ import annotations

import asyncio
import time

from bolt_api import BoltAPI, CORSConfig, Request, run_in_thread
from bolt_api.auth import APIKeyAuthentication, IsAuthenticated

__all__ = ["ALLOWED", "APP", "CALLS", "api"]

#: The API's list: one exact name, one domain with its subdomains, one address.
ALLOWED = ["api.example.com", ".example.org", "127.0.0.1"]
APP = "https://app.example.com"
#: How many times each handler ran (read through /calls): a refused request runs none.
CALLS: dict[str, int] = {}

api = BoltAPI(allowed_hosts=ALLOWED, cors=CORSConfig(allowed_origins=[APP]))


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


@api.get("/calls")
def calls() -> dict[str, int]:
    return CALLS


@api.get("/hello")
def hello() -> dict[str, str]:
    _count("hello")
    return {"hello": "world"}


@api.get("/items/{item_id}")
def item(item_id: int, q: str = "") -> dict[str, object]:
    _count("item")
    return {"id": item_id, "q": q}


@api.get("/host")
def host(request: Request) -> dict[str, str | None]:
    """What the handler sees: the request's host as the check read it."""
    return {"host": request.host}


@api.get("/pool")
@run_in_thread
def pool() -> dict[str, str]:
    _count("pool")
    time.sleep(0)
    return {"ran": "pool"}


@api.get("/async")
async def on_loop() -> dict[str, str]:
    _count("async")
    await asyncio.sleep(0)
    return {"ran": "loop"}


@api.get("/secret", auth=[APIKeyAuthentication({"k" * 32})], guards=[IsAuthenticated()])
def secret() -> dict[str, str]:
    _count("secret")
    return {"secret": "s"}


@api.post("/echo")
def echo(name: str) -> dict[str, str]:
    _count("echo")
    return {"name": name}
