"""A Django-configured API whose handlers use the database connection directly (no models,
no migrations): the subject of tests/test_db_connections.py.

The database comes from the environment: ``BOLT_TEST_PG`` (a libpq keyword string's parts:
``host=/tmp/x port=5432 dbname=postgres user=postgres``) for PostgreSQL, else a sqlite file
in ``BOLT_TEST_SQLITE``. ``BOLT_TEST_CONN_MAX_AGE`` and ``BOLT_TEST_HEALTH_CHECKS`` set
``CONN_MAX_AGE`` / ``CONN_HEALTH_CHECKS``. Every request signal is recorded with the thread
it was sent in; ``GET /signals`` returns the record and clears it.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
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
        "OPTIONS": {"application_name": "bolt-test"},
    }
else:
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_TEST_SQLITE")
        or os.path.join(tempfile.mkdtemp(prefix="bolt-dbapp-"), "db.sqlite3"),
    }
database["CONN_MAX_AGE"] = (
    None
    if os.environ.get("BOLT_TEST_CONN_MAX_AGE") == "none"
    else int(os.environ.get("BOLT_TEST_CONN_MAX_AGE", "0"))
)
database["CONN_HEALTH_CHECKS"] = os.environ.get("BOLT_TEST_HEALTH_CHECKS") == "1"

if not settings.configured:
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=[],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from bolt_api import BoltAPI, run_inline  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import connection  # noqa: E402

api = BoltAPI()

_record: list[tuple[str, str]] = []
_lock = threading.Lock()


def _started(**_: Any) -> None:
    with _lock:
        _record.append(("started", threading.current_thread().name))


def _finished(**_: Any) -> None:
    with _lock:
        _record.append(("finished", threading.current_thread().name))


request_started.connect(_started)
request_finished.connect(_finished)


def _query() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"one": one, "thread": threading.current_thread().name}


@api.get("/sync/query")
def sync_query() -> dict[str, Any]:
    return _query()


@api.get("/async/query")
async def async_query() -> dict[str, Any]:
    return await sync_to_async(_query)()


@api.get("/sync/boom")
def sync_boom() -> dict[str, Any]:
    _query()
    raise RuntimeError("the handler failed after using its connection")


@api.get("/async/boom")
async def async_boom() -> dict[str, Any]:
    await sync_to_async(_query)()
    raise RuntimeError("the handler failed after using its connection")


@api.get("/async/nodb")
async def async_nodb() -> dict[str, bool]:
    await asyncio.sleep(0)
    return {"ok": True}


@api.get("/signals")
@run_inline
def signals() -> dict[str, list[list[str]]]:
    with _lock:
        taken = [list(item) for item in _record]
        _record.clear()
    return {"signals": taken}
