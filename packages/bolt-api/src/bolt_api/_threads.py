"""Where a plain ``def`` handler runs: in place, or on the process's bounded handler pool.

A ``def`` handler may block: a Django ORM query, a file read, a call to another service.
Run in place, it would hold the engine's thread (and, on the Python engine, the event loop,
where Django also refuses synchronous ORM calls). So a ``def`` route runs on a bounded
thread pool unless registration *shows* it cannot block: :func:`may_block` reads the
handler's source (and its ``def`` dependencies') and lets it run in place only when every
call it makes is to a harmless builtin (``dict``, ``len``, ``sorted``...) or builds the
exception it raises — the seed's fast path for handlers that only build their answer.
Anything else, or a handler whose source cannot be read, is judged blocking: being wrong
that way costs a thread hop, the other way a stalled process. ``@run_in_thread`` and
``@run_inline`` override the analysis.

The pool is created in the process that serves (after a supervisor's fork), on first use;
its size is ``BOLT_THREADS`` (environment, or the Django setting) and defaults to
``min(32, cpu_count + 4)``, as :class:`concurrent.futures.ThreadPoolExecutor`'s own.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import inspect
import logging
import os
import textwrap
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from . import _django_requests
from ._django_requests import RequestSignals, run_shared
from .engine import Request, ResponseTuple

__all__ = [
    "DEFAULT_THREADS",
    "handler_pool",
    "handler_threads",
    "in_thread",
    "may_block",
    "run_in_thread",
    "run_inline",
]

F = TypeVar("F", bound=Callable[..., Any])

#: ``ThreadPoolExecutor``'s own default: enough for I/O waits, bounded on big machines.
DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4)

#: Builtins a handler may call and still run in place: they compute, they never wait.
SAFE_CALLS = frozenset(
    {
        "abs", "all", "any", "bool", "bytes", "dict", "divmod", "enumerate", "filter",
        "float", "format", "frozenset", "hash", "int", "isinstance", "issubclass", "len",
        "list", "map", "max", "min", "range", "repr", "reversed", "round", "set", "slice",
        "sorted", "str", "sum", "tuple", "zip",
    }
)  # fmt: skip

_ATTR = "__bolt_run__"

_log = logging.getLogger("bolt.django")


def run_in_thread(fn: F) -> F:
    """Run this ``def`` handler on the handler pool whatever the analysis says."""
    setattr(fn, _ATTR, "thread")
    return fn


def run_inline(fn: F) -> F:
    """Run this ``def`` handler in place, on the engine's thread: for a handler the analysis
    cannot show harmless but that never blocks (it must not touch the ORM or do I/O)."""
    setattr(fn, _ATTR, "inline")
    return fn


def override(fn: Callable[..., Any]) -> Literal["thread", "inline"] | None:
    """What ``@run_in_thread``/``@run_inline`` asked for, if either."""
    choice = getattr(inspect.unwrap(fn), _ATTR, None) or getattr(fn, _ATTR, None)
    return choice


def may_block(fn: Callable[..., Any]) -> bool:
    """False only when ``fn``'s source shows it calls nothing but :data:`SAFE_CALLS`.

    A class, a ``functools.partial``, a callable object or a function whose source is not
    available (built in C, defined in a REPL) may block.
    """
    target = inspect.unwrap(fn)
    if not inspect.isfunction(target):
        return True
    try:
        source = textwrap.dedent(inspect.getsource(target))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return True
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return True  # a lambda, or something decorated into another shape
    shadowed = set(target.__code__.co_varnames) | set(target.__code__.co_freevars)
    shadowed |= {name for name in SAFE_CALLS if name in target.__globals__}
    # only the body runs per request: decorators, annotations and defaults ran at definition
    subs = [n for stmt in node.body for n in ast.walk(stmt)]
    # ``raise NotFound(...)``: building the exception raised is not waiting on anything
    raised = {id(n.exc) for n in subs if isinstance(n, ast.Raise) and n.exc is not None}
    for sub in subs:
        if isinstance(sub, ast.With | ast.AsyncWith | ast.Await | ast.Yield | ast.YieldFrom):
            return True
        if isinstance(sub, ast.Call) and id(sub) not in raised:
            callee = sub.func
            if not (
                isinstance(callee, ast.Name)
                and callee.id in SAFE_CALLS
                and callee.id not in shadowed
                and hasattr(builtins, callee.id)
            ):
                return True
    return False


def handler_threads() -> int:
    """The handler pool's size: ``BOLT_THREADS`` from the environment or Django's settings."""
    raw: Any = os.environ.get("BOLT_THREADS")
    if raw is None:
        try:
            from django.conf import settings

            raw = getattr(settings, "BOLT_THREADS", None) if settings.configured else None
        except ImportError:
            raw = None
    if raw is None:
        return DEFAULT_THREADS
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"BOLT_THREADS must be a whole number, got {raw!r}") from None
    if size < 1:
        raise ValueError(f"BOLT_THREADS must be 1 or more, got {size}")
    return size


_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def handler_pool() -> ThreadPoolExecutor:
    """This process's handler pool, created on first use (a forked child makes its own)."""
    global _pool
    current = _pool
    pid = os.getpid()
    if current is not None and current[0] == pid:
        return current[1]
    with _lock:
        if _pool is None or _pool[0] != pid:
            executor = ThreadPoolExecutor(handler_threads(), thread_name_prefix="bolt-handler")
            _pool = (pid, executor)
        return _pool[1]


def in_thread(
    call: Callable[[Request], ResponseTuple], signals: RequestSignals | None = None
) -> Callable[[Request], Coroutine[Any, Any, ResponseTuple]]:
    """``call`` (a sync route callable, which never raises) as an async route that runs it on
    the handler pool, so the event loop and the engine's threads stay free while it waits;
    with ``signals``, Django's request signals are sent in the pool thread around it."""
    work = call if signals is None else _signalled(call, signals)

    def pooled(request: Request) -> ResponseTuple:
        if _django_requests.shared is not None:  # a TestClient lends the test's connections
            return run_shared(work, request)
        return work(request)

    async def threaded(request: Request) -> ResponseTuple:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(handler_pool(), pooled, request)

    return threaded


def _signalled(
    call: Callable[[Request], ResponseTuple], signals: RequestSignals
) -> Callable[[Request], ResponseTuple]:
    started, finished = signals.started, signals.finished

    def signalled(request: Request) -> ResponseTuple:
        try:
            started()
        except Exception:  # a receiver's bug must not cost the request its answer
            _log.exception("a request_started receiver failed")
        try:
            return call(request)
        finally:
            finished()

    return signalled
