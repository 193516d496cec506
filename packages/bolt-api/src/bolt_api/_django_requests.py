"""What a Django project expects around each request: its request signals, and in tests the
test's database connections.

**Signals.** Django's own handlers send ``request_started`` and ``request_finished`` for
every request; ``close_old_connections`` listens to both, and that is what makes
``CONN_MAX_AGE`` and ``CONN_HEALTH_CHECKS`` work and what drops a connection that broke (a
database restart) so the next request opens a fresh one. The signals act on the connections
of the thread that sends them, so Bolt sends them *where the request's database work runs*:

* a ``def`` route on the handler pool: in the pool thread, before and after the handler;
* an ``async`` route: on the request's lane (:mod:`bolt_api._lanes`), before its first
  thread-sensitive call and after the response, only when the request used the lane;
* a route run in place (shown not to touch the database): none, so it pays nothing.

They are sent when Django's settings are configured at ``compile()``.

**Tests.** Inside ``django.test.TestCase`` the test's rows live in a transaction on the
test thread's connection. :func:`shared_connections` (used by ``TestClient`` for each
request) lends that connection to the threads that run handlers, one request at a time, and
holds ``close_old_connections`` back meanwhile, as Django's own test client does, so a
handler sees the test's rows and its writes roll back with the test.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["RequestSignals", "request_signals", "run_shared", "shared", "shared_connections"]

T = TypeVar("T")

_log = logging.getLogger("bolt.django")


class BoltHandler:
    """The ``sender`` of the request signals Bolt sends (Django's handlers send their class)."""


@dataclass(frozen=True, slots=True)
class RequestSignals:
    """Send ``request_started`` / ``request_finished`` in the current thread."""

    started: Callable[[], None]
    finished: Callable[[], None]


def request_signals() -> RequestSignals | None:
    """Django's request signals, or ``None`` without Django or before its settings are set."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    from django.core.signals import request_finished, request_started

    def started() -> None:
        request_started.send(sender=BoltHandler)

    def finished() -> None:
        # after the response: a receiver's error is logged, the client already has its answer
        try:
            request_finished.send(sender=BoltHandler)
        except Exception:
            _log.exception("a request_finished receiver failed")

    return RequestSignals(started, finished)


@dataclass(slots=True)
class _Shared:
    """The connections of the test thread, by alias, lent to handler threads."""

    connections: dict[str, Any]
    lock: threading.Lock


#: Set while a ``TestClient`` request lends the test's connections (tests only).
shared: _Shared | None = None


def run_shared(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the lent connections, when a test lends them."""
    lent = shared
    if lent is None:
        return fn(*args, **kwargs)
    from django.db import connections

    with lent.lock:
        own = {conn.alias: conn for conn in connections.all(initialized_only=True)}
        for alias, conn in lent.connections.items():
            connections[alias] = conn
        try:
            return fn(*args, **kwargs)
        finally:
            for alias in lent.connections:
                if alias in own:
                    connections[alias] = own[alias]
                else:
                    del connections[alias]


@contextlib.contextmanager
def shared_connections() -> Iterator[bool]:
    """Lend the calling thread's open database connections to the handlers for the block;
    yields whether it did.

    Does nothing without Django, or when the thread has no open connection (the handlers
    then use their own), or while another thread lends its own.
    """
    global shared
    try:
        from django.conf import settings
    except ImportError:
        yield False
        return
    if not settings.configured:
        yield False
        return
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connections

    lent = {conn.alias: conn for conn in connections.all(initialized_only=True)}
    if not lent or shared is not None:
        yield False
        return
    for conn in lent.values():
        conn.inc_thread_sharing()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shared = _Shared(lent, threading.Lock())
    try:
        yield True
    finally:
        shared = None
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        for conn in lent.values():
            conn.dec_thread_sharing()
