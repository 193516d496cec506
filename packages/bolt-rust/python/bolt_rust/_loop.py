"""The asyncio loop thread that runs ``async def`` handlers for the Rust engine.

The engine's workers are Rust threads; a handler that really awaits needs an event loop. One loop
(uvloop when installed) runs forever in a daemon thread; :meth:`LoopThread.submit` is what the
Rust side calls, from any thread, to start a coroutine there and get told when it is done.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["LoopThread"]


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class LoopThread:
    """An event loop running in its own daemon thread."""

    def __init__(self) -> None:
        self.loop = _new_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bolt-asyncio", daemon=True)
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()

    def _start(self, coro: Coroutine[Any, Any, Any], done: Callable[[Any], None]) -> None:
        self.loop.create_task(coro).add_done_callback(done)

    def submit(self, coro: Coroutine[Any, Any, Any], done: Callable[[Any], None]) -> None:
        """Run ``coro`` on the loop; ``done(task)`` is called when it finishes."""
        self.loop.call_soon_threadsafe(self._start, coro, done)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for its result (the lifespan's steps)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        """Cancel what still runs (handlers cut by a forced stop), stop the loop, join."""
        self.loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(timeout=5)

    def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if not tasks:
            self.loop.stop()
            return
        gathered = asyncio.gather(*tasks, return_exceptions=True)
        gathered.add_done_callback(lambda _: self.loop.stop())
