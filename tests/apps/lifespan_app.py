"""An API with a lifespan and the health endpoints: the subject of tests/test_lifespan.py.

The lifespan appends ``startup <pid>`` / ``shutdown <pid>`` to the file ``BOLT_LIFESPAN_LOG``
names (and prints the same on stdout with ``BOLT_LIFESPAN_STDOUT`` set); with
``BOLT_LIFESPAN_FAIL`` set its start-up raises.
A custom readiness check fails while the file ``BOLT_HEALTH_FAIL`` names exists; another,
async, sleeps past its timeout while ``BOLT_HEALTH_SLOW`` exists. Django is configured with
a database: PostgreSQL when ``BOLT_TEST_PG`` is set (as in tests/apps/dbapp.py), else a
sqlite file in ``BOLT_TEST_SQLITE`` or a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import django
from django.conf import settings

if os.environ.get("BOLT_TEST_PG"):
    parts = dict(item.split("=", 1) for item in os.environ["BOLT_TEST_PG"].split())
    database: dict[str, Any] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.get("dbname", "postgres"),
        "USER": parts.get("user", "postgres"),
        "HOST": parts.get("host", ""),
        "PORT": parts.get("port", ""),
        "OPTIONS": {"connect_timeout": 2},
    }
else:
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_TEST_SQLITE")
        or os.path.join(tempfile.mkdtemp(prefix="bolt-lifespan-"), "db.sqlite3"),
    }

if not settings.configured:
    settings.configure(DATABASES={"default": database}, INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

from bolt_api import BoltAPI
from bolt_api.health import HealthCheck, add_health_check, register_health_checks


def _record(event: str) -> None:
    line = f"{event} {os.getpid()}"
    if os.environ.get("BOLT_LIFESPAN_STDOUT"):
        print(line, flush=True)
    log = os.environ.get("BOLT_LIFESPAN_LOG")
    if log:
        with open(log, "a") as f:
            f.write(line + "\n")


@asynccontextmanager
async def lifespan(api: BoltAPI) -> AsyncIterator[None]:
    """Start-up and shut-down are recorded; the loop is kept to compare with the handlers'."""
    if os.environ.get("BOLT_LIFESPAN_FAIL"):
        raise ConnectionError("the cache is not reachable")
    await asyncio.sleep(0.2)  # a start-up that takes time: no request may be answered meanwhile
    STATE.update(loop=id(asyncio.get_running_loop()), pid=os.getpid(), api=api is app)
    _record("startup")
    try:
        yield
    finally:
        _record("shutdown")


#: What the lifespan set up, read by ``GET /state``.
STATE: dict[str, Any] = {}

api = app = BoltAPI(lifespan=lifespan)


@api.get("/state")
async def state() -> dict[str, Any]:
    """What the lifespan set up, and whether this handler runs on the lifespan's loop."""
    await asyncio.sleep(0)
    return {**STATE, "same_loop": STATE.get("loop") == id(asyncio.get_running_loop())}


@api.get("/slow")
async def slow() -> dict[str, str]:
    """In flight when SIGTERM comes: the shut-down must wait for it (recorded around it)."""
    _record("request-begun")
    await asyncio.sleep(0.5)
    _record("request-done")
    return {"status": "done"}


def custom_flag() -> tuple[bool, str]:
    """Fails while the file ``BOLT_HEALTH_FAIL`` names exists."""
    flag = os.environ.get("BOLT_HEALTH_FAIL")
    if flag and Path(flag).exists():
        return False, "flag file present"
    return True, "no flag"


async def slow_check() -> bool:
    """Sleeps past the timeout while the file ``BOLT_HEALTH_SLOW`` names exists."""
    flag = os.environ.get("BOLT_HEALTH_SLOW")
    if flag and Path(flag).exists():
        await asyncio.sleep(10)
    return True


add_health_check(custom_flag)
register_health_checks(api)

#: The same checks with a short timeout, under /fast: a slow check fails within a second.
quick = HealthCheck([custom_flag, slow_check], timeout=0.5)
register_health_checks(api, quick, health_path="/fast/health", ready_path="/fast/ready")
