"""Handlers that take their time: for the timers that must not fire while a request is in
hand (issue 19: the keep-alive timer reset a connection whose next request waited behind a
slow handler)."""

from __future__ import annotations

import asyncio
import time

from bolt_api import BoltAPI, Request, run_in_thread

__all__ = ["api"]

api = BoltAPI()


@api.get("/sleep/{seconds}")
async def sleep_on_loop(seconds: float) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@api.get("/block/{seconds}")
@run_in_thread
def sleep_in_thread(seconds: float) -> dict[str, float]:
    time.sleep(seconds)
    return {"slept": seconds}


@api.get("/fast")
def fast() -> dict[str, bool]:
    return {"fast": True}


@api.post("/upload")
async def upload(request: Request) -> dict[str, int]:
    return {"size": len(request.body)}
