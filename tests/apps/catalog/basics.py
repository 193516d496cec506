"""The simplest routes, sync and async, and the ones the process tests read.

``/pid`` and ``/lifecycle/slow`` are for tests/test_lifecycle.py: which process answered, and
a request that stays in flight (it creates the file ``mark`` first, so a test sees it
arrive) while a test restarts or stops the server.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
from typing import Any

from .app import api

__all__ = ["lifecycle_slow", "root", "serving_pid", "sleepy", "sync_root"]


# "" is the root on an API without a prefix (issue 19): the root tests pin it.
@api.get("")
async def root() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/sync")
def sync_root() -> dict[str, str]:
    return {"message": "sync"}


@api.get("/sleep")
async def sleepy(ms: int = 10) -> dict[str, Any]:
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@api.get("/pid")
def serving_pid() -> dict[str, int]:
    return {"pid": os.getpid()}


@api.get("/lifecycle/slow")
async def lifecycle_slow(ms: int = 1000, mark: str | None = None) -> dict[str, int]:
    """Sleeps ``ms``; first creates the file ``mark``, so a test sees the request in flight."""
    if mark:
        pathlib.Path(mark).touch()
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms, "pid": os.getpid()}
