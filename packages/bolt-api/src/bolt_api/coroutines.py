"""Driving coroutines that can never suspend, without an event loop.

An ``async def`` whose bytecode holds no ``await``, ``async for`` or ``async with`` (nor any
nested code object that does) cannot suspend: :func:`drive` runs it to completion with one
``coro.send(None)`` on the calling thread. Handlers and dependencies judged so at
registration become sync routes — the seed's "trivially async" optimisation.
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["drive", "never_suspends"]

_SUSPENDING_OPS = frozenset({
    "GET_AWAITABLE", "SEND", "YIELD_VALUE", "GET_AITER", "GET_ANEXT", "BEFORE_ASYNC_WITH",
    "END_ASYNC_FOR", "ASYNC_GEN_WRAP", "SETUP_ASYNC_WITH", "CLEANUP_THROW",
})


def _code_suspends(code: types.CodeType) -> bool:
    for ins in dis.get_instructions(code):
        if ins.opname in _SUSPENDING_OPS:
            return True
    return any(isinstance(c, types.CodeType) and _code_suspends(c) for c in code.co_consts)


def never_suspends(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` is an ``async def`` whose body cannot await anything."""
    if not isinstance(fn, types.FunctionType) or not inspect.iscoroutinefunction(fn):
        return False
    return not _code_suspends(fn.__code__)


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that cannot suspend to completion and return its result."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("a coroutine judged never to suspend did suspend")
