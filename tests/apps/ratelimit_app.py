"""The rate-limit app (tests/test_ratelimit.py): ``@rate_limit`` with every key kind and store.

Served alone (``python -m bolt_api serve tests.apps.ratelimit_app:api --trusted-proxy
127.0.0.1``: the tests pick their client address with ``X-Forwarded-For``). Django's settings
are configured here, with a local-memory cache ``default`` and, when ``BOLT_TEST_REDIS_URL``
is set, a ``redis`` cache (Django's ``RedisCache``); ``BOLT_TEST_RL_CACHE`` becomes
``BOLT_RATE_LIMIT_CACHE``. Every limited route answers with the serving process's pid.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import django
from django.conf import settings

caches: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "probe": {"BACKEND": "tests.apps.ratelimit_probe.ProbeCache"},
}
if os.environ.get("BOLT_TEST_REDIS_URL"):
    caches["redis"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["BOLT_TEST_REDIS_URL"],
    }
if not settings.configured:
    settings.configure(
        CACHES=caches,
        INSTALLED_APPS=[],
        USE_TZ=True,
        BOLT_RATE_LIMIT_CACHE=os.environ.get("BOLT_TEST_RL_CACHE") or None,
    )
    django.setup()

from bolt_api import APIView, BoltAPI, cors, rate_limit  # noqa: E402
from bolt_api.auth import (  # noqa: E402
    APIKeyAuthentication,
    AuthContext,
    IsAuthenticated,
    JWTAuthentication,
    get_auth_context,
)
from bolt_api.params import Depends  # noqa: E402

from .ratelimit_probe import STORE_CALLS  # noqa: E402

__all__ = ["APP", "KEYS", "SECRET", "api"]

SECRET = "bolt-ratelimit-tests-hmac-secret-0123456789"
KEYS = ("key-one-0123456789", "key-two-0123456789")
APP = "https://app.example.com"

api = BoltAPI()
PID = {"pid": os.getpid()}


@api.get("/limited")
@rate_limit(rps=2, burst=2)
def limited() -> dict[str, int]:
    return PID


@api.get("/free")
def free() -> dict[str, int]:
    return PID


@api.get("/header")
@rate_limit(rps=1, burst=1, key="x-client-id")
def header() -> dict[str, int]:
    return PID


@api.get("/user", auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated()])
@rate_limit(rps=1, burst=1, key="user")
def user(ctx: AuthContext | None = Depends(get_auth_context)) -> dict[str, Any]:
    return {"user": ctx.user_id if ctx else None}


@api.get("/api-key", auth=[APIKeyAuthentication(KEYS)], guards=[IsAuthenticated()])
@rate_limit(rps=1, burst=1, key="api_key")
def api_key() -> dict[str, int]:
    return PID


@api.get("/cors")
@cors(origins=[APP])
@rate_limit(rps=1, burst=1)
def with_cors() -> dict[str, int]:
    return PID


@api.get("/async")
@rate_limit(rps=1, burst=1)
async def in_loop() -> dict[str, int]:
    await asyncio.sleep(0)
    return PID


@api.get("/cached")
@rate_limit(rps=1, burst=2, cache="default")
def cached() -> dict[str, int]:
    return PID


@api.get("/shared")
@rate_limit(rps=1, burst=10)
def shared() -> dict[str, int]:
    """Limited in the store ``BOLT_RATE_LIMIT_CACHE`` names (this process's memory when
    unset)."""
    return PID


@api.get("/probed/inline")
@rate_limit(rps=100, burst=100, cache="probe")
def probed_inline() -> dict[str, int]:
    return PID


@api.get("/probed/async")
@rate_limit(rps=100, burst=100, cache="probe")
async def probed_async() -> dict[str, int]:
    await asyncio.sleep(0)
    return PID


@api.get("/probed/calls")
def probed_calls() -> list[dict[str, Any]]:
    """Where the ``probe`` store was asked since the last call (and forget it)."""
    calls = list(STORE_CALLS)
    STORE_CALLS.clear()
    return calls


@api.view("/view")
class Limited(APIView):
    @rate_limit(rps=1, burst=1)
    async def get(self) -> dict[str, int]:
        return PID
