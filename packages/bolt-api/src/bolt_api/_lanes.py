"""Where an ``async def`` handler's synchronous calls run: one of a bounded set of *lanes*.

Django's async ORM (``aget``, ``acreate``, ``async for``...) and ``sync_to_async`` in user
code hand their work to asgiref, which runs *thread-sensitive* calls — the default — on one
thread per process unless the caller opened a ``ThreadSensitiveContext``: every request's
queries then queue behind each other (the "2.4k vs 24k req/s" others report). Django's ASGI
handler opens a context per request with a fresh thread, which is unbounded and pays a
thread start per request.

Bolt puts each request of an ``async`` route in the ``ThreadSensitiveContext`` of one *lane*:
a single-thread executor taken from this process's set of at most ``BOLT_THREADS`` lanes —
a free one when there is one, otherwise one of them in turn, shared. So all the
thread-sensitive calls of one request run on one thread (one database connection; a
transaction opened by one ``sync_to_async`` call is seen by the next), concurrent requests
run on different threads up to the bound, and the process never holds more than
``BOLT_THREADS`` such threads, created on first use. ``thread_sensitive=False`` calls go to
the event loop's default executor, as asgiref does everywhere.

Each lane's context is made once and never entered: a request only sets asgiref's context
variable to it (about 1 µs, against 7 µs for ``async with ThreadSensitiveContext``), which
relies on asgiref's ``SyncToAsync.thread_sensitive_context`` and
``context_to_thread_executor``; tests/test_orm_lanes.py fails if asgiref changes them.
Requires asgiref 3.13 (``ThreadSensitiveContext(executor=...)``); without asgiref (no
Django) routes get no lane and pay nothing.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

from . import _django_requests
from ._django_requests import RequestSignals, run_shared
from ._threads import handler_pool, handler_threads
from .engine import Request, ResponseTuple

__all__ = ["LANES", "Lanes", "in_lane", "lanes", "offloaded"]

AsyncCall = Callable[[Request], Coroutine[Any, Any, ResponseTuple]]
T = TypeVar("T")

_log = logging.getLogger("bolt.django")

try:
    from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
except ImportError:  # pragma: no cover - asgiref comes with Django
    ThreadSensitiveContext = None  # type: ignore[assignment,misc]

#: Whether asgiref is here and lets a context choose its executor (3.13+).
LANES = ThreadSensitiveContext is not None and (
    "executor" in inspect.signature(ThreadSensitiveContext).parameters
)


class _Turn:
    """One request's use of its lane: whether it has sent ``request_started`` there."""

    __slots__ = ("signals", "started")

    def __init__(self, signals: RequestSignals) -> None:
        self.signals = signals
        self.started = False


#: The current request's turn, when the route sends Django's request signals.
_turn: ContextVar[_Turn | None] = ContextVar("bolt_lane_turn", default=None)


class LaneExecutor(ThreadPoolExecutor):
    """A single-thread executor that, for a request sending Django's request signals, sends
    ``request_started`` before the request's first call, and that runs calls on a test's
    lent connections while a ``TestClient`` lends them."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # called on the event loop, in the request's context (``run_in_executor``)
        turn = _turn.get()
        if turn is not None and not turn.started:
            turn.started = True
            super().submit(_send, turn.signals.started)
        if _django_requests.shared is not None:
            return super().submit(run_shared, fn, *args, **kwargs)
        return super().submit(fn, *args, **kwargs)


def _send(signal: Callable[[], None]) -> None:
    try:
        signal()
    except Exception:  # a receiver's bug must not stall the lane
        _log.exception("a request signal receiver failed")


class Lane:
    """One single-thread executor and the asgiref context that sends calls to it."""

    __slots__ = ("context", "executor", "users")

    def __init__(self, index: int) -> None:
        self.executor = LaneExecutor(1, thread_name_prefix=f"bolt-lane-{index}")
        # Never entered: asgiref looks a context's executor up in this mapping, so the entry
        # lives as long as the lane, and a request only sets the context variable.
        self.context = ThreadSensitiveContext(executor=self.executor)
        SyncToAsync.context_to_thread_executor[self.context] = self.executor
        self.users = 0


class Lanes:
    """At most ``size`` lanes, lent to requests: free ones first, then shared in turn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lanes: list[Lane] = []
        self._free: deque[Lane] = deque()
        self._shared = 0
        self._lock = threading.Lock()

    def acquire(self) -> Lane:
        """A lane for one request; give it back with :meth:`release`."""
        with self._lock:
            if self._free:
                lane = self._free.popleft()
            elif len(self._lanes) < self.size:
                lane = Lane(len(self._lanes))
                self._lanes.append(lane)
            else:  # every lane is lent: share one
                lane = self._lanes[self._shared % self.size]
                self._shared += 1
            lane.users += 1
            return lane

    def release(self, lane: Lane) -> None:
        with self._lock:
            lane.users -= 1
            if lane.users == 0:
                self._free.append(lane)

    @property
    def threads(self) -> int:
        """How many lanes (threads) exist (for tests and diagnostics)."""
        return len(self._lanes)


_lock = threading.Lock()
_lanes: tuple[int, Lanes] | None = None


def lanes() -> Lanes:
    """This process's lanes, made on first use (a forked child makes its own)."""
    global _lanes
    current = _lanes
    pid = os.getpid()
    if current is not None and current[0] == pid:
        return current[1]
    with _lock:
        if _lanes is None or _lanes[0] != pid:
            _lanes = (pid, Lanes(handler_threads()))
        return _lanes[1]


def in_lane(call: AsyncCall, signals: RequestSignals | None = None) -> AsyncCall:
    """``call`` (an async route callable, which never raises) inside a
    ``ThreadSensitiveContext`` on one lane; ``call`` itself when lanes are not available.
    With ``signals``, a request that uses its lane sends Django's request signals there."""
    if not LANES:
        return call
    current = SyncToAsync.thread_sensitive_context
    if signals is None:

        async def laned(request: Request) -> ResponseTuple:
            pool = lanes()
            lane = pool.acquire()
            token = current.set(lane.context)
            try:
                return await call(request)
            finally:
                current.reset(token)
                pool.release(lane)

        return laned
    finished = signals.finished

    async def signalled(request: Request) -> ResponseTuple:
        pool = lanes()
        lane = pool.acquire()
        token = current.set(lane.context)
        turn = _Turn(signals)
        turn_token = _turn.set(turn)
        try:
            return await call(request)
        finally:
            _turn.reset(turn_token)
            current.reset(token)
            if turn.started:  # queued behind the request's calls, not awaited
                ThreadPoolExecutor.submit(lane.executor, finished)
            pool.release(lane)

    return signalled


async def offloaded(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` — a ``def`` handler or dependency that may block, in a route on the
    event loop — off the loop: on the request's lane (thread-sensitive, so it shares the
    thread and connection of the request's other ORM calls), or on the handler pool when
    there are no lanes."""
    if LANES:
        return await sync_to_async(fn)(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(handler_pool(), functools.partial(fn, *args, **kwargs))
