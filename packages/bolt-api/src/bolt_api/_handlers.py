"""Compiling a handler into the route callable an engine calls.

``compile_handler`` joins what was built at registration — the handler's
:class:`~bolt_api._binding.Plan` (its parameters and dependencies), the handler itself and
the response encoder — into one function ``request -> (status, headers, body)`` that never
raises. It also decides how the route runs:

* plain ``def`` handlers, and ``async def`` handlers that can never suspend (see
  :mod:`bolt_api._coroutines`), give a sync route: no event loop;
* a handler or dependency that really awaits gives an ``async`` route.

A sync route without dependencies or uploads gets one closure for its shape (no parameters,
the request only, bound parameters), so the common case pays for nothing it does not use;
a trivially-async handler is driven inline there. A sync route whose
parameters are all plain path/query ``str``/``int`` also publishes them as ``ParamSpec``s:
an engine that converts those values itself hands them over as ``request.bound``, and the
route skips its binder (:mod:`bolt_api._param_specs`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, NamedTuple

from ._ablation import ablated
from ._binding import Plan, RequestScope
from ._coroutines import drive, never_suspends, suspended
from ._dependencies import solve_async, solve_sync, teardown_async, teardown_sync
from ._encoding import Encoder
from ._param_specs import param_specs
from .engine import ParamSpec, ResponseTuple
from .exceptions import RequestValidationError
from .files import PendingFile

__all__ = [
    "CompiledHandler",
    "ErrorHandler",
    "Finisher",
    "compile_handler",
    "drive",
    "never_suspends",
]

#: Turns an exception (and the request) into the error response; never raises.
ErrorHandler = Callable[[BaseException, Any], ResponseTuple]
#: A last step over every response of a route, given the request (compression's ``apply``).
Finisher = Callable[[ResponseTuple, Any], ResponseTuple]
#: Turns the errors a binder recorded (and the request) into the 422; never raises.
InvalidHandler = Callable[[list[dict[str, Any]], Any], ResponseTuple]


def _finish(response: ResponseTuple, request: Any) -> ResponseTuple:
    """Resolve a body that depends on the request (a ``FileResponse``'s ranges, 304s)."""
    body: Any = response[2]
    if body.__class__ is PendingFile:
        resolved: ResponseTuple = body.resolve(request, response)
        return resolved
    return response


class CompiledHandler(NamedTuple):
    """What the route table gets for one handler (see :class:`bolt_api.engine.RouteSpec`)."""

    call: Callable[[Any], Any]
    is_async: bool
    params: tuple[ParamSpec, ...] | None
    #: ``call`` built again with a :data:`Finisher` folded in, for every kind of route.
    #: Compression is decided when the app is compiled, after registration; building it
    #: into the route's own closure spares every response a layer of calls.
    finishing: Callable[[Finisher | None], Callable[[Any], Any]]


def compile_handler(
    plan: Plan, encoder: Encoder, on_error: ErrorHandler, on_invalid: InvalidHandler
) -> CompiledHandler:
    """Build the route callables for the engine's route table.

    ``on_error`` answers an exception, ``on_invalid`` the errors a binder recorded (bolt-api
    passes ``ErrorHandling.handle_exception`` and ``ErrorHandling.invalid``).
    """
    fn = plan.fn
    unwrapped = inspect.unwrap(fn)
    is_coroutine = inspect.iscoroutinefunction(unwrapped) or inspect.iscoroutinefunction(fn)
    awaits = is_coroutine and (not never_suspends(fn) or ablated("trivial_async"))
    if awaits or plan.any_async:

        def finishing_async(after: Finisher | None) -> Callable[[Any], Any]:
            return _async_call(plan, encoder, on_error, on_invalid, is_coroutine, after)

        return CompiledHandler(finishing_async(None), True, None, finishing_async)
    if plan.has_scope:
        invoke: Callable[..., Any] = fn
        if is_coroutine:

            def invoke(*args: Any, **kwargs: Any) -> Any:
                return drive(fn(*args, **kwargs))

        def finishing_scoped(after: Finisher | None) -> Callable[[Any], Any]:
            return _scoped_sync_call(plan, invoke, encoder, on_error, after)

        return CompiledHandler(finishing_scoped(None), False, None, finishing_scoped)
    params = param_specs(plan)

    def finishing(after: Finisher | None) -> Callable[[Any], ResponseTuple]:
        return _sync_call(
            plan, fn, is_coroutine, encoder, on_error, on_invalid, params is not None, after
        )

    return CompiledHandler(finishing(None), False, params, finishing)


def _as_is(response: ResponseTuple, request: Any) -> ResponseTuple:
    return response


def _finisher(after: Finisher | None) -> Finisher:
    """``_finish``, then ``after`` (the last step of a route without an inlined one)."""
    if after is None:
        return _finish

    def finish(response: ResponseTuple, request: Any) -> ResponseTuple:
        return after(_finish(response, request), request)

    return finish


def _sync_call(
    plan: Plan,
    fn: Callable[..., Any],
    is_coroutine: bool,
    encoder: Encoder,
    on_error: ErrorHandler,
    on_invalid: InvalidHandler,
    has_params: bool,
    after: Finisher | None = None,
) -> Callable[[Any], ResponseTuple]:
    """A sync route; an ``async def`` handler that never suspends is driven in place.

    ``has_params``: the route published ``ParamSpec``s, so ``request.bound`` may hold its
    parameters already converted by the engine (read only then). ``after``: a last step over
    every response (compression), error responses included. One closure for every shape (no
    parameters, the request only, bound parameters), with ``drive()``, ``_finish()`` and
    ``after`` inlined: a branch costs less than a layer of calls, and this closure is most
    of the Python a plain request runs.
    """
    request_only = plan.request_only
    by_body = plan.body_value  # the body alone, passed positionally
    binds = bool(plan.bindings) and not request_only and by_body is None
    bind = plan.binder
    tail = _as_is if after is None else after

    def call(request: Any) -> ResponseTuple:
        try:
            if by_body is not None:
                errors: list[dict[str, Any]] = []
                value = by_body(request, errors)
                if errors:
                    return tail(on_invalid(errors, request), request)
                result = fn(value)
            elif binds:
                kwargs = request.bound if has_params else None
                if kwargs is None:
                    errors = []
                    kwargs = bind(request, None, errors)
                    if errors:  # handed over, not raised: a 422 costs no traceback
                        return tail(on_invalid(errors, request), request)
                result = fn(**kwargs)
            elif request_only:
                result = fn(request)
            else:
                result = fn()
            if is_coroutine:
                try:
                    result.send(None)
                except StopIteration as done:
                    result = done.value
                else:
                    result = suspended(result)
            response = encoder(result)
            body: Any = response[2]
            if body.__class__ is PendingFile:
                response = body.resolve(request, response)
            return response if after is None else after(response, request)
        except Exception as exc:
            return tail(on_error(exc, request), request)

    return call


def _scoped_sync_call(
    plan: Plan,
    fn: Callable[..., Any],
    encoder: Encoder,
    on_error: ErrorHandler,
    after: Finisher | None,
) -> Callable[[Any], ResponseTuple]:
    finish, tail = _finisher(after), after or _as_is

    def call(request: Any) -> ResponseTuple:
        scope = RequestScope()
        try:
            kwargs = solve_sync(plan, request, scope)
            try:
                if scope.errors:  # raised: the dependencies' teardown sees the exception
                    raise RequestValidationError(scope.errors)
                response = finish(encoder(fn(**kwargs)), request)
            except BaseException as exc:
                teardown_sync(scope, exc)
                raise
            teardown_sync(scope, None)
            return response
        except Exception as exc:
            return tail(on_error(exc, request), request)
        finally:
            scope.close()

    return call


def _async_call(
    plan: Plan,
    encoder: Encoder,
    on_error: ErrorHandler,
    on_invalid: InvalidHandler,
    is_coroutine: bool,
    after: Finisher | None,
) -> Callable[[Any], Coroutine[Any, Any, ResponseTuple]]:
    fn = plan.fn
    finish, tail = _finisher(after), after or _as_is
    if not plan.has_scope:
        bind = plan.binder

        async def call(request: Any) -> ResponseTuple:
            errors: list[dict[str, Any]] = []
            try:
                if plan.request_only:
                    result = fn(request)
                else:
                    kwargs = bind(request, None, errors)
                    if errors:
                        return tail(on_invalid(errors, request), request)
                    result = fn(**kwargs)
                if is_coroutine:
                    result = await result
                return finish(encoder(result), request)
            except Exception as exc:
                return tail(on_error(exc, request), request)

        return call

    async def scoped_call(request: Any) -> ResponseTuple:
        scope = RequestScope()
        try:
            kwargs = await solve_async(plan, request, scope)
            try:
                if scope.errors:  # raised: the dependencies' teardown sees the exception
                    raise RequestValidationError(scope.errors)
                result = fn(**kwargs)
                if is_coroutine:
                    result = await result
                response = finish(encoder(result), request)
            except BaseException as exc:
                await teardown_async(scope, exc)
                raise
            await teardown_async(scope, None)
            return response
        except Exception as exc:
            return tail(on_error(exc, request), request)
        finally:
            scope.close()

    return scoped_call
