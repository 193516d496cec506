"""Compiling a handler into the route callable an engine calls.

``compile_handler`` joins the three parts built at registration — the parameter binder, the
handler itself and the response encoder — into one function ``request -> (status, headers,
body)`` that never raises. It also decides how the handler runs:

* plain ``def`` handlers are called directly;
* ``async def`` handlers that contain no ``await``/``async for``/``async with`` anywhere
  (checked in their bytecode) can never suspend, so they are driven to completion with
  ``coro.send(None)`` on the calling thread: a sync route, no event loop;
* other ``async def`` handlers give an ``async`` route callable.
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import Callable, Coroutine
from typing import Any

from .binding import Binder
from .encoding import Encoder
from .engine import ResponseTuple
from .errors import handle_exception

__all__ = ["compile_handler", "drive", "never_suspends"]

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
    raise RuntimeError("a handler judged never to suspend did suspend")


def compile_handler(
    fn: Callable[..., Any],
    binder: Binder | None,
    request_only: bool,
    encoder: Encoder,
) -> tuple[Callable[[Any], Any], bool]:
    """Return ``(call, is_async)`` for the engine's route table."""
    is_coroutine = (inspect.iscoroutinefunction(inspect.unwrap(fn))
                    or inspect.iscoroutinefunction(fn))
    if is_coroutine and not never_suspends(fn):
        return _async_call(fn, binder, request_only, encoder), True
    invoke: Callable[..., Any] = fn
    if is_coroutine:
        def invoke(*args: Any, **kwargs: Any) -> Any:
            return drive(fn(*args, **kwargs))
    return _sync_call(invoke, binder, request_only, encoder), False


def _sync_call(fn: Callable[..., Any], binder: Binder | None, request_only: bool,
               encoder: Encoder) -> Callable[[Any], ResponseTuple]:
    if request_only:
        def call(request: Any) -> ResponseTuple:
            try:
                return encoder(fn(request))
            except Exception as exc:
                return handle_exception(exc)
    elif binder is None:
        def call(request: Any) -> ResponseTuple:
            try:
                return encoder(fn())
            except Exception as exc:
                return handle_exception(exc)
    else:
        def call(request: Any) -> ResponseTuple:
            try:
                return encoder(fn(**binder(request)))
            except Exception as exc:
                return handle_exception(exc)
    return call


def _async_call(fn: Callable[..., Any], binder: Binder | None, request_only: bool,
                encoder: Encoder) -> Callable[[Any], Coroutine[Any, Any, ResponseTuple]]:
    async def call(request: Any) -> ResponseTuple:
        try:
            if request_only:
                result = await fn(request)
            elif binder is None:
                result = await fn()
            else:
                result = await fn(**binder(request))
            return encoder(result)
        except Exception as exc:
            return handle_exception(exc)
    return call
