"""The ``middleware`` stage: a route's Bolt and Django middleware, joined once at ``compile()``.

A route's middleware is the list its API, its routers and its handler (``@middleware``)
declared, outermost first, minus what ``@skip_middleware`` names. :func:`wrap` builds the
chain for one route when the API is compiled: each class is instantiated there with the
next layer as its ``get_response`` (Django's pattern), so a request only runs the calls.
A route without middleware has no stage at all (:mod:`bolt_api._pipeline`).

Each Bolt layer receives the request and awaits ``get_response(request)``, which always
gives a :class:`MiddlewareResponse` — an inner layer's exception is already answered through
the route's error handling, as Django's ``convert_exception_to_response`` does for its
middleware. A layer may return that response (changed or not) or any value a handler may
return (``JSON(...)``, a dict, a Django ``HttpResponse``): that is a short-circuit, encoded
as a handler's result would be. What a layer raises is answered by the route's error
handling. The response stages (CORS headers, compression) run once, on the outermost
layer's answer, so middleware sees the uncompressed body.

Django layers (:mod:`bolt_api._django_middleware`) run on a handler-pool thread; a sync
handler inside them runs on that same thread (through the executor in the ``caller``
context variable, asgiref's ``CurrentThreadExecutor``), so the request's
``threading.local`` state is the same in the middleware and the handler.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from wsgiref.headers import Headers as _Headers

from ._django_middleware import AsyncCall, caller, django_layer, django_stack, is_django_layer
from ._encoding import compile_encoder
from ._lanes import in_lane
from ._threads import in_thread
from .engine import Body, Request, ResponseTuple, RouteCall

__all__ = [
    "MiddlewareResponse",
    "ResponseHeaders",
    "check_middleware",
    "middleware_name",
    "route_middleware",
    "wrap",
]

#: The names ``@skip_middleware`` knows besides middleware: the built-in stages, all
#: Django middleware, and everything (``*``: middleware, CORS, compression).
STAGES = frozenset({"cors", "compression", "rate_limit", "django", "*"})

ErrorHandler = Callable[[BaseException, Request], ResponseTuple]
Finisher = Callable[[ResponseTuple, Request], ResponseTuple]


class ResponseHeaders(_Headers):
    """A response's headers: case-insensitive names, repeats kept (the stdlib's
    :class:`wsgiref.headers.Headers`). ``headers["X-A"] = "1"`` replaces every ``X-A``;
    ``headers.add_header("Set-Cookie", "a=b")`` adds one; ``get_all(name)`` lists them."""


class MiddlewareResponse:
    """What ``await get_response(request)`` gives a middleware: the route's answer, mutable.

    ``body`` is ``bytes``, or the engine's stream or file body for a streamed or file
    response (then ``content-length`` and the like are already set by Bolt).
    """

    __slots__ = ("body", "headers", "status_code")

    def __init__(
        self,
        status_code: int = 200,
        headers: Iterable[tuple[str, str]] | None = None,
        body: Body = b"",
    ) -> None:
        self.status_code = status_code
        self.headers = ResponseHeaders(list(headers or ()))
        self.body = body

    @classmethod
    def from_tuple(cls, response: ResponseTuple) -> MiddlewareResponse:
        return cls(response[0], response[1], response[2])

    def to_tuple(self) -> ResponseTuple:
        """``(status, headers, body)`` with header names lower-cased (the engine contract)."""
        headers = [(name.lower(), value) for name, value in self.headers.items()]
        body = self.body
        if isinstance(body, str):  # a middleware that rewrote the body as text
            body = body.encode()
        return self.status_code, headers, body

    def __repr__(self) -> str:
        return f"MiddlewareResponse({self.status_code}, {self.headers.items()!r})"


def middleware_name(spec: Any) -> tuple[str, ...]:
    """The names ``@skip_middleware`` knows ``spec`` by: its class or function name and its
    dotted path (``module.QualName``)."""
    target = spec.func if isinstance(spec, functools.partial) else spec
    name = getattr(target, "__name__", None)
    if name is None:
        return ()
    return name, f"{target.__module__}.{getattr(target, '__qualname__', name)}"


def check_middleware(specs: Any, where: str) -> tuple[Any, ...]:
    """``specs`` as a tuple, each checked: a middleware class (or a ``functools.partial`` of
    one, for its options), an ``async def`` function ``(request, call_next)``, or a
    ``DjangoMiddleware``/``DjangoMiddlewareStack``. Anything else is a ``TypeError`` now,
    not on the first request."""
    if specs is None:
        return ()
    if not isinstance(specs, list | tuple):
        raise TypeError(f"{where}: middleware= takes a list, got {type(specs).__name__}")
    for spec in specs:
        if is_django_layer(spec) or inspect.iscoroutinefunction(spec):
            continue
        target = spec.func if isinstance(spec, functools.partial) else spec
        if isinstance(target, type):
            if not inspect.iscoroutinefunction(target.__call__):
                raise TypeError(
                    f"{where}: middleware {target.__name__} needs `async def __call__(self, "
                    "request)`; a Django middleware class goes in DjangoMiddleware(...) or "
                    "django_middleware="
                )
            continue
        if callable(spec):
            what = "a plain def" if inspect.isfunction(spec) else "an instance"
            raise TypeError(
                f"{where}: middleware {spec!r} is {what}; pass the class (Bolt builds it with "
                "get_response) or an `async def middleware(request, call_next)`"
            )
        raise TypeError(f"{where}: {spec!r} is not middleware")
    return tuple(specs)


def route_middleware(definition: Any, where: str) -> tuple[tuple[Any, ...], frozenset[str]]:
    """The middleware of a route (a ``RouteDef``), outermost first — the API's Django stack,
    the API's, the routers' and the handler's own — minus what ``@skip_middleware`` names,
    and those names (for the built-in stages). A name that matches nothing is an error."""
    handler = definition.handler
    skip: frozenset[str] = getattr(handler, "__bolt_skip_middleware__", frozenset())
    stack = django_stack(definition.django_middleware, where)
    own = getattr(handler, "__bolt_middleware__", ())
    specs = ([stack] if stack is not None else []) + [*definition.middleware, *own]
    if not skip:
        return tuple(specs), skip
    every = "*" in skip
    used: set[str] = set()

    def skipped(names: tuple[str, ...]) -> bool:
        hit = skip.intersection(names)
        used.update(hit)
        return every or bool(hit)

    kept = []
    for spec in specs:
        if is_django_layer(spec):
            if every or "django" in skip:
                continue
            spec = spec.without(skipped)
            if spec is not None:
                kept.append(spec)
        elif not skipped(middleware_name(spec)):
            kept.append(spec)
    unknown = skip - used - STAGES
    if unknown:
        present = sorted({n for s in specs if not is_django_layer(s) for n in middleware_name(s)})
        raise ValueError(
            f"{where}: @skip_middleware names {', '.join(sorted(unknown))}, which is no "
            f"middleware of this route (its middleware: {', '.join(present) or 'none'}; "
            f"stages: {', '.join(sorted(STAGES))})"
        )
    return tuple(kept), skip


def _as_call(result: Any, encode: Callable[[Any], ResponseTuple]) -> MiddlewareResponse:
    if result.__class__ is MiddlewareResponse:
        return result
    if result is None:
        raise TypeError("a middleware returned None instead of the response of get_response()")
    return MiddlewareResponse.from_tuple(encode(result))


def _bolt_layer(
    spec: Any, inner: AsyncCall, on_error: ErrorHandler, encode: Callable[[Any], ResponseTuple]
) -> AsyncCall:
    """One Bolt middleware around ``inner``, instantiated now."""

    async def get_response(request: Request) -> MiddlewareResponse:
        return MiddlewareResponse.from_tuple(await inner(request))

    run: Callable[[Request], Any]
    if inspect.iscoroutinefunction(spec):
        function = spec

        def call_function(request: Request) -> Any:
            return function(request, get_response)

        run = call_function
    else:
        run = spec(get_response)

    async def layer(request: Request) -> ResponseTuple:
        try:
            return _as_call(await run(request), encode).to_tuple()
        except Exception as exc:
            return on_error(exc, request)

    return layer


def _adapted(core: RouteCall, run: str, signals: Any) -> AsyncCall:
    """The route's core (access, binding, handler) as an async call: ``loop`` routes on a
    lane; a sync core on the calling Django layer's thread when there is one, else on the
    handler pool (``thread``) or in place (``inline``)."""
    if run == "loop":
        return in_lane(core, signals)  # type: ignore[arg-type]
    sync: Callable[[Request], ResponseTuple] = core  # type: ignore[assignment]
    pooled = in_thread(sync, signals) if run == "thread" else None

    async def adapted(request: Request) -> ResponseTuple:
        executor = caller.get()
        if executor is not None:
            return await asyncio.wrap_future(executor.submit(sync, request))
        if pooled is not None:
            return await pooled(request)
        return sync(request)

    return adapted


def wrap(
    specs: Sequence[Any],
    core: RouteCall,
    run: str,
    signals: Any,
    handler: Callable[..., Any],
    route: str,
    on_error: ErrorHandler,
    after: Finisher | None,
) -> AsyncCall:
    """The route's callable: ``specs`` (outermost first) around ``core`` (built without the
    response stages, which ``after`` runs once on the final answer)."""
    has_django = any(is_django_layer(spec) for spec in specs)
    encode = compile_encoder(None, None)
    # Django layers send Django's request signals themselves, as Django's handler does
    call: AsyncCall | None = None
    sync_core = run != "loop" and has_django
    for spec in reversed(specs):
        if is_django_layer(spec):
            if call is None and sync_core:
                call = django_layer(spec, core, False, handler, route, on_error)
            else:
                inner = call if call is not None else _adapted(core, run, None)
                call = django_layer(spec, inner, True, handler, route, on_error)
        else:
            inner = (
                call if call is not None else _adapted(core, run, None if has_django else signals)
            )
            call = _bolt_layer(spec, inner, on_error, encode)
    assert call is not None
    if after is None:
        return call
    top = call

    async def finished(request: Request) -> ResponseTuple:
        return after(await top(request), request)

    return finished
