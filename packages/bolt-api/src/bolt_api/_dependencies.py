"""Solving dependencies (``Depends``) for one request, and tearing them down after it.

A dependency is a :class:`~bolt_api._binding.Plan` like a handler. Solving binds its own
parameters, solves its dependencies first, then calls it — once per request when
``use_cache`` (the default). A generator dependency is advanced to its ``yield``; its
teardown runs after the handler, in reverse order, and gets the handler's exception thrown
into it when the handler raised (FastAPI's semantics; django-bolt has no teardown).

A route whose dependency tree holds nothing that really awaits is solved synchronously, with
no event loop; otherwise the async solver is used.
"""

from __future__ import annotations

import inspect
from typing import Any

from ._binding import Plan, RequestScope
from ._coroutines import drive
from ._lanes import offloaded
from .engine import Request

__all__ = ["solve_async", "solve_sync", "teardown_async", "teardown_sync"]


def _call_sync(plan: Plan, kwargs: dict[str, Any], scope: RequestScope) -> Any:
    result = plan.fn(**kwargs)
    if inspect.isgenerator(result):
        value = next(result)
        scope.exits.append(result)
        return value
    if inspect.iscoroutine(result):
        return drive(result)
    return result


async def _call_async(plan: Plan, kwargs: dict[str, Any], scope: RequestScope) -> Any:
    result = await offloaded(plan.fn, **kwargs) if plan.offload else plan.fn(**kwargs)
    if inspect.isasyncgen(result):
        value = await result.__anext__()
        scope.exits.append(result)
        return value
    if inspect.isgenerator(result):
        value = next(result)
        scope.exits.append(result)
        return value
    if inspect.isawaitable(result):
        return await result
    return result


def solve_sync(plan: Plan, request: Request, scope: RequestScope) -> dict[str, Any]:
    """Keyword arguments for ``plan.fn``; errors accumulate in ``scope.errors``.

    Dependencies are solved first, then the callable's own parameters, so errors are listed
    in the order the request is bound."""
    kwargs: dict[str, Any] = {}
    for b in plan.dependencies:
        dep = b.dependency
        assert dep is not None
        if dep.use_cache and dep.fn in scope.cache:
            kwargs[b.name] = scope.cache[dep.fn]
            continue
        before = len(scope.errors)
        sub = solve_sync(dep, request, scope)
        if len(scope.errors) > before:
            continue
        value = _call_sync(dep, sub, scope)
        if dep.use_cache:
            scope.cache[dep.fn] = value
        kwargs[b.name] = value
    kwargs.update(plan.bind(request, scope, scope.errors))
    return kwargs


async def solve_async(plan: Plan, request: Request, scope: RequestScope) -> dict[str, Any]:
    """The async twin of :func:`solve_sync`, for trees with dependencies that await."""
    kwargs: dict[str, Any] = {}
    for b in plan.dependencies:
        dep = b.dependency
        assert dep is not None
        if dep.use_cache and dep.fn in scope.cache:
            kwargs[b.name] = scope.cache[dep.fn]
            continue
        before = len(scope.errors)
        sub = await solve_async(dep, request, scope)
        if len(scope.errors) > before:
            continue
        value = await _call_async(dep, sub, scope)
        if dep.use_cache:
            scope.cache[dep.fn] = value
        kwargs[b.name] = value
    kwargs.update(plan.bind(request, scope, scope.errors))
    return kwargs


def teardown_sync(scope: RequestScope, exc: BaseException | None) -> None:
    """Finish generator dependencies, newest first; a teardown error replaces ``exc``."""
    raised: BaseException | None = None
    while scope.exits:
        gen = scope.exits.pop()
        try:
            if exc is None:
                next(gen)
            else:
                gen.throw(exc)
        except StopIteration:
            continue
        except BaseException as error:
            if error is not exc:
                raised = exc = error
            continue
        gen.close()
        raised = exc = RuntimeError(f"dependency {gen.__qualname__} yielded more than once")
    if raised is not None:
        raise raised


async def teardown_async(scope: RequestScope, exc: BaseException | None) -> None:
    """:func:`teardown_sync` for trees that may hold async generators."""
    raised: BaseException | None = None
    while scope.exits:
        gen = scope.exits.pop()
        if inspect.isgenerator(gen):
            try:
                teardown_sync(_single(gen), exc)
            except BaseException as error:
                if error is not exc:
                    raised = exc = error
            continue
        try:
            if exc is None:
                await gen.__anext__()
            else:
                await gen.athrow(exc)
        except StopAsyncIteration:
            continue
        except BaseException as error:
            if error is not exc:
                raised = exc = error
            continue
        await gen.aclose()
        raised = exc = RuntimeError(f"dependency {gen.__qualname__} yielded more than once")
    if raised is not None:
        raise raised


def _single(gen: Any) -> RequestScope:
    scope = RequestScope()
    scope.exits.append(gen)
    return scope
