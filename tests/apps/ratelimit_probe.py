"""A Django cache that records where it is called from (tests/test_ratelimit.py).

A shared rate-limit store waits on the network, so it must never be asked on the engine's
thread or on the event loop: each ``add`` (the store's lock) records the calling thread's
name and whether an event loop runs in it.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from django.core.cache.backends.locmem import LocMemCache

__all__ = ["STORE_CALLS", "ProbeCache"]

#: One entry per ``add``: ``{"thread": name, "loop": bool}``.
STORE_CALLS: list[dict[str, Any]] = []


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class ProbeCache(LocMemCache):
    def add(self, *args: Any, **kwargs: Any) -> bool:
        STORE_CALLS.append({"thread": threading.current_thread().name, "loop": _loop_running()})
        return super().add(*args, **kwargs)
