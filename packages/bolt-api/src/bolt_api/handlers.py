"""Compiling a handler into the route callable an engine calls.

``compile_handler`` joins what was built at registration — the handler's
:class:`~bolt_api.binding.Plan` (its parameters and dependencies), the handler itself and
the response encoder — into one function ``request -> (status, headers, body)`` that never
raises. It also decides how the route runs:

* plain ``def`` handlers, and ``async def`` handlers that can never suspend (see
  :mod:`bolt_api.coroutines`), give a sync route: no event loop;
* a handler or dependency that really awaits gives an ``async`` route.

The simplest shapes (no parameters, only the request, no dependencies or uploads) get their
own closures, so the common case pays for nothing it does not use.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from .ablation import ablated
from .binding import Plan, RequestScope
from .coroutines import drive, never_suspends
from .dependencies import solve_async, solve_sync, teardown_async, teardown_sync
from .encoding import Encoder
from .engine import ResponseTuple
from .exceptions import RequestValidationError
from .files import PendingFile

__all__ = ["ErrorHandler", "compile_handler", "drive", "never_suspends"]

#: Turns an exception (and the request) into the error response; never raises.
ErrorHandler = Callable[[BaseException, Any], ResponseTuple]


def _finish(response: ResponseTuple, request: Any) -> ResponseTuple:
    """Resolve a body that depends on the request (a ``FileResponse``'s ranges, 304s)."""
    body: Any = response[2]
    if body.__class__ is PendingFile:
        resolved: ResponseTuple = body.resolve(request, response)
        return resolved
    return response


def compile_handler(plan: Plan, encoder: Encoder,
                    on_error: ErrorHandler) -> tuple[Callable[[Any], Any], bool]:
    """Return ``(call, is_async)`` for the engine's route table."""
    fn = plan.fn
    unwrapped = inspect.unwrap(fn)
    is_coroutine = inspect.iscoroutinefunction(unwrapped) or inspect.iscoroutinefunction(fn)
    awaits = is_coroutine and (not never_suspends(fn) or ablated("trivial_async"))
    if awaits or plan.any_async:
        return _async_call(plan, encoder, on_error, is_coroutine), True
    invoke: Callable[..., Any] = fn
    if is_coroutine:
        def invoke(*args: Any, **kwargs: Any) -> Any:
            return drive(fn(*args, **kwargs))
    if plan.has_scope:
        return _scoped_sync_call(plan, invoke, encoder, on_error), False
    return _sync_call(plan, invoke, encoder, on_error), False


def _sync_call(plan: Plan, fn: Callable[..., Any], encoder: Encoder,
               on_error: ErrorHandler) -> Callable[[Any], ResponseTuple]:
    if plan.request_only:
        def call(request: Any) -> ResponseTuple:
            try:
                return _finish(encoder(fn(request)), request)
            except Exception as exc:
                return on_error(exc, request)
    elif not plan.bindings:
        def call(request: Any) -> ResponseTuple:
            try:
                return _finish(encoder(fn()), request)
            except Exception as exc:
                return on_error(exc, request)
    else:
        bind = plan.bind

        def call(request: Any) -> ResponseTuple:
            errors: list[dict[str, Any]] = []
            try:
                kwargs = bind(request, None, errors)
                if errors:
                    raise RequestValidationError(errors)
                return _finish(encoder(fn(**kwargs)), request)
            except Exception as exc:
                return on_error(exc, request)
    return call


def _scoped_sync_call(plan: Plan, fn: Callable[..., Any], encoder: Encoder,
                      on_error: ErrorHandler) -> Callable[[Any], ResponseTuple]:
    def call(request: Any) -> ResponseTuple:
        scope = RequestScope()
        try:
            kwargs = solve_sync(plan, request, scope)
            try:
                if scope.errors:
                    raise RequestValidationError(scope.errors)
                response = _finish(encoder(fn(**kwargs)), request)
            except BaseException as exc:
                teardown_sync(scope, exc)
                raise
            teardown_sync(scope, None)
            return response
        except Exception as exc:
            return on_error(exc, request)
        finally:
            scope.close()
    return call


def _async_call(plan: Plan, encoder: Encoder, on_error: ErrorHandler,
                is_coroutine: bool) -> Callable[[Any], Coroutine[Any, Any, ResponseTuple]]:
    fn = plan.fn
    if not plan.has_scope:
        bind = plan.bind

        async def call(request: Any) -> ResponseTuple:
            errors: list[dict[str, Any]] = []
            try:
                if plan.request_only:
                    result = fn(request)
                else:
                    kwargs = bind(request, None, errors)
                    if errors:
                        raise RequestValidationError(errors)
                    result = fn(**kwargs)
                if is_coroutine:
                    result = await result
                return _finish(encoder(result), request)
            except Exception as exc:
                return on_error(exc, request)
        return call

    async def scoped_call(request: Any) -> ResponseTuple:
        scope = RequestScope()
        try:
            kwargs = await solve_async(plan, request, scope)
            try:
                if scope.errors:
                    raise RequestValidationError(scope.errors)
                result = fn(**kwargs)
                if is_coroutine:
                    result = await result
                response = _finish(encoder(result), request)
            except BaseException as exc:
                await teardown_async(scope, exc)
                raise
            await teardown_async(scope, None)
            return response
        except Exception as exc:
            return on_error(exc, request)
        finally:
            scope.close()
    return scoped_call
