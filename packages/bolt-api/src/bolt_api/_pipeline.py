"""A route's pipeline: the ordered stages its callable is built from, once, by ``compile()``.

Registration records what a route *is* (:class:`RouteEntry`: its path, its
:class:`~bolt_api._binding.Plan` of parameters and dependencies, its declared response type).
:meth:`BoltAPI.compile() <bolt_api.BoltAPI.compile>` turns each entry into a
:class:`Pipeline` — the stages that route uses, in request order — and :func:`assemble`
builds from it the one function ``request -> (status, headers, body)`` an engine calls::

    count ─► host ─► preflight ─► middleware ─► access ─► limit ─► bind ─► run ─► handler ─►
    --max-   allowed  CORS,        Django's and  auth,     @rate_   Plan     where the
    requests hosts    OPTIONS      Bolt's        guards    limit             handler runs

    ─► encode ─►
       Encoder

    ─► cors ─► compress
       CORS    Compressor
       headers

A stage the route does not use is *absent* from its callable, never a no-op call: a route
without parameters has no binder, one with ``@no_compress`` no compression step, and only a
process started with ``--max-requests`` counts, and only a route with authentication
backends or guards has an ``access`` stage (:mod:`bolt_api.auth._access`): it runs before
binding, so a refused request is never validated, and answers 401/403 through the route's
error handling and response stages. Only a route with a CORS policy (:mod:`bolt_api.cors`)
has a ``cors`` response stage, and its ``OPTIONS`` route a ``preflight`` stage, in front of
everything but the count and the host check: a preflight is answered without
authentication. Only an API with an allowed-hosts list (:mod:`bolt_api.hosts`) other than
``"*"`` has a ``host`` stage (:mod:`bolt_api._hosts`), first after the count. Only a route
with middleware (its API's, routers' or own, Bolt's or Django's) has a ``middleware`` stage
(:mod:`bolt_api._middleware`), around everything after the gates: the middleware sees
401s, 429s and 422s too, and the response stages run once on its answer; such a route is
async. The assembled callable never raises: every exception is turned into the error
response by the route's ``on_error``.

A route with ``@rate_limit`` also has a ``limit`` stage (:mod:`bolt_api._ratelimit`), right
after ``access`` (before it when the route has none) and before ``bind``: after, so that
it can key on the authenticated identity and a refused request is not counted; it answers
429 through the route's error handling and response stages, as ``access`` does.

How the handler runs (``run``) is decided here, per route:

* ``async def`` handlers that can never suspend (see :mod:`bolt_api._coroutines`), and
  ``def`` handlers shown not to block (see :mod:`bolt_api._threads`), run in place: a sync
  route, no event loop;
* a ``def`` handler (or ``def`` dependency) that may block runs on the process's bounded
  handler pool: an ``async`` route whose callable hands the sync one to the pool, so the ORM
  works and a slow handler holds no engine thread;
* a handler or dependency that really awaits gives an ``async`` route (the event loop); its
  requests each get one asgiref *lane* for their ``sync_to_async`` and async-ORM calls, and
  a ``def`` handler or dependency in it that may block runs there too
  (:mod:`bolt_api._lanes`).

Inside the callable, the stages are inlined rather than chained as calls: a sync route
without dependencies gets one closure for its shape (no parameters, the request only, bound
parameters, the whole body), since a branch costs less than a layer of calls and this closure
is most of the Python a plain request runs. A sync route whose parameters are all plain
path/query ``str``/``int`` also publishes them as ``ParamSpec``\\ s: an engine that converts
those values itself hands them over as ``request.bound`` and the route skips its binder
(:mod:`bolt_api._param_specs`).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from ._binding import Plan, RequestScope
from ._coroutines import DrivenChunks, drive, never_suspends, suspended
from ._cors import CORSPolicy, is_preflight
from ._dependencies import solve_async, solve_sync, teardown_async, teardown_sync
from ._django_requests import RequestSignals
from ._encoding import Encoder, compile_encoder
from ._gates import gated
from ._hosts import host_checked
from ._lanes import in_lane, offloaded
from ._middleware import wrap
from ._param_specs import param_specs
from ._ratelimit import Limiter, limited
from ._routing import PathTemplate
from ._threads import in_thread, may_block, override
from .auth._access import Access, guarded
from .engine import Fallback, Needs, ParamSpec, Request, ResponseTuple, RouteCall, StreamBody
from .exceptions import RequestValidationError
from .files import FileAccess, PendingFile
from .hosts import AllowedHosts

__all__ = [
    "ABLATIONS",
    "ErrorHandler",
    "Finisher",
    "InvalidHandler",
    "Pipeline",
    "RequestCounter",
    "RouteEntry",
    "assemble",
    "counted",
    "counted_fallback",
    "pipeline",
]

#: Turns an exception (and the request) into the error response; never raises.
ErrorHandler = Callable[[BaseException, Request], ResponseTuple]
#: A response stage: a last step over every response of a route, given the request
#: (compression's ``apply``). Error responses go through it too.
Finisher = Callable[[ResponseTuple, Request], ResponseTuple]
#: Turns the errors a binder recorded (and the request) into the 422; never raises.
InvalidHandler = Callable[[list[dict[str, Any]], Request], ResponseTuple]
#: Where the handler runs: in place on the engine's thread, on the event loop, or (a ``def``
#: handler that may block) on the handler pool (:mod:`bolt_api._threads`).
Run = Literal["inline", "loop", "thread"]

#: The seed's optimisations ``compile(ablate=...)`` can switch off, for the benchmark's
#: ablation table only: ``trivial_async`` (never-suspending ``async def`` handlers and
#: streams go through the event loop), ``compiled_encoders`` (an ``isinstance`` chain per
#: response), ``rust_params`` (no ``ParamSpec``: every parameter bound in Python).
ABLATIONS = frozenset({"trivial_async", "compiled_encoders", "rust_params"})


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """What registration records about one route: what it is, nothing built to serve it."""

    method: str
    template: PathTemplate
    #: The handler and its declared options (``bolt_api._router.RouteDef``).
    definition: Any
    #: The handler's parameters and dependencies, compiled and checked at registration.
    plan: Plan
    #: ``response_model`` or the return annotation (``None`` when undeclared).
    return_type: Any
    needs: Needs
    #: The API's error handling for this route (a mounted API keeps its own).
    errors: Any

    @property
    def path(self) -> str:
        return self.template.engine_path

    @property
    def bindings(self) -> tuple[Any, ...]:
        return self.plan.bindings

    @property
    def name(self) -> str:
        """``module.function`` of the handler, for diagnostics."""
        handler = self.definition.handler
        module = getattr(handler, "__module__", "?")
        return f"{module}.{getattr(handler, '__qualname__', '?')}"


class RequestCounter:
    """The ``count`` stage: ``on_limit()`` runs once when the ``limit``-th request arrives.

    One counter is shared by every route and the fallback of a process (``--max-requests``
    recycles a process after that many requests of any kind, misses included).
    """

    __slots__ = ("_next", "limit", "on_limit")

    def __init__(self, limit: int, on_limit: Callable[[], None]) -> None:
        if limit < 1:
            raise ValueError(f"a request limit must be 1 or more, got {limit}")
        self.limit = limit
        self.on_limit = on_limit
        self._next = itertools.count(1).__next__  # atomic under the GIL

    def tick(self) -> None:
        if self._next() == self.limit:
            self.on_limit()


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The stages of one route, in request order. An absent stage is ``None`` or empty."""

    plan: Plan
    run: Run
    #: Whether the handler is a coroutine function (driven in place when ``run`` is inline).
    is_coroutine: bool
    encode: Encoder
    #: Response stages, ``(name, stage)`` in order: ``cors``, ``compress``, and ``undrive``
    #: (the ``trivial_async`` ablation) before them.
    respond: tuple[tuple[str, Finisher], ...]
    count: RequestCounter | None
    #: The parameters an engine may convert itself, for ``run == "inline"`` routes only.
    params: tuple[ParamSpec, ...] | None
    #: The files a ``FileResponse``/``File`` of this route may serve (the API's setting).
    files: FileAccess
    #: Authentication and guards, run before binding; ``None`` when the route has neither.
    access: Access | None = None
    #: Django's request signals, for a route on the pool or the loop when Django is set up.
    signals: RequestSignals | None = None
    #: The route's CORS policy (its ``cors`` response stage is in ``respond``).
    cors: CORSPolicy | None = None
    #: An ``OPTIONS`` route with a CORS policy: preflights are answered before the rest.
    preflight: bool = False
    #: The hosts the route answers to (``None``: any), checked first after the count.
    hosts: AllowedHosts | None = None
    #: The route's rate limit (``@rate_limit``), run after ``access``; ``None`` without.
    limit: Limiter | None = None
    #: Its Bolt and Django middleware, outermost first (:mod:`bolt_api._middleware`),
    #: around ``access`` and the rest; the route is then async. Empty: no stage.
    middleware: tuple[Any, ...] = ()

    @property
    def is_async(self) -> bool:
        """Whether the route's callable returns a coroutine."""
        return self.run != "inline" or bool(self.middleware)

    @property
    def stages(self) -> tuple[str, ...]:
        """The names of the stages present, in order (for diagnostics and tests)."""
        names = ["count"] if self.count is not None else []
        if self.hosts is not None:
            names.append("host")
        if self.preflight:
            names.append("preflight")
        if self.middleware:
            names.append("middleware")
        if self.access is not None:
            names.append("access")
        if self.limit is not None:
            names.append("limit")
        if self.plan.bindings:
            names.append("bind")
        names += [f"run:{self.run}", "handler", "encode"]
        names += [name for name, _ in self.respond]
        return tuple(names)


def pipeline(
    entry: RouteEntry,
    *,
    compress: Finisher | None,
    count: RequestCounter | None,
    files: FileAccess,
    ablate: Collection[str] = (),
    access: Access | None = None,
    signals: RequestSignals | None = None,
    cors: CORSPolicy | None = None,
    hosts: AllowedHosts | None = None,
    limit: Limiter | None = None,
    middleware: tuple[Any, ...] = (),
) -> Pipeline:
    """Decide the stages of ``entry``'s route (``compress``: the API's compressor, if on;
    ``access``: its authentication and guards, if any; ``cors``: its CORS policy, if any;
    ``hosts``: the hosts it answers to, if not any). An ``async`` guard puts the route on
    the event loop."""
    plan = entry.plan
    fn = plan.fn
    unwrapped = inspect.unwrap(fn)
    is_coroutine = inspect.iscoroutinefunction(unwrapped) or inspect.iscoroutinefunction(fn)
    drives = "trivial_async" not in ablate
    awaits = is_coroutine and (not drives or not never_suspends(fn))
    guarded_async = access is not None and access.is_async
    run: Run = "loop" if awaits or plan.any_async or guarded_async else "inline"
    if run == "inline" and not is_coroutine:
        run = override(fn) or ("thread" if _may_block(plan) else "inline")
    if run == "inline" and access is not None and access.blocks:
        run = "thread"  # a backend that reads the database: off the engine's thread
    if run == "inline" and limit is not None and limit.blocks:
        run = "thread"  # a rate-limit store across the network (Redis): likewise
    if run == "loop":
        _mark_offload(plan)
    respond: list[tuple[str, Finisher]] = []
    if not drives:
        respond.append(("undrive", _undrive))
    if cors is not None:
        respond.append(("cors", cors.apply))
    handler = entry.definition.handler
    if compress is not None and not getattr(handler, "__bolt_no_compress__", False):
        respond.append(("compress", compress))
    params = None
    if run == "inline" and not middleware and not plan.has_scope and "rust_params" not in ablate:
        params = param_specs(plan)
    encode = compile_encoder(
        entry.return_type,
        entry.definition.status_code,
        ladder="compiled_encoders" in ablate,
    )
    return Pipeline(
        plan,
        run,
        is_coroutine,
        encode,
        tuple(respond),
        count,
        params,
        files,
        access,
        None if run == "inline" else signals,
        cors,
        cors is not None and entry.method == "OPTIONS",
        None if hosts is None or hosts.allows_any else hosts,
        limit,
        middleware,
    )


def assemble(p: Pipeline, on_error: ErrorHandler, on_invalid: InvalidHandler) -> RouteCall:
    """The route callable for ``p``: its stages joined into one function that never raises.

    ``on_error`` answers an exception, ``on_invalid`` the errors a binder recorded (bolt-api
    passes ``ErrorHandling.handle_exception`` and ``ErrorHandling.invalid``).
    """
    after = final = _chain(tuple(stage for _, stage in p.respond))
    if p.middleware:
        after = None  # the middleware sees the answer before CORS and compression
    call: RouteCall
    if p.run == "loop":
        call = _async_call(p.plan, p.encode, on_error, on_invalid, p.is_coroutine, after, p.files)
    elif p.plan.has_scope:
        fn = p.plan.fn
        invoke: Callable[..., Any] = fn
        if p.is_coroutine:

            def invoke(*args: Any, **kwargs: Any) -> Any:
                return drive(fn(*args, **kwargs))

        call = _scoped_sync_call(p.plan, invoke, p.encode, on_error, after, p.files)
    else:
        call = _sync_call(
            p.plan,
            p.is_coroutine,
            p.encode,
            on_error,
            on_invalid,
            p.params is not None,
            after,
            p.files,
        )
    if p.limit is not None:
        call = limited(call, p.limit, p.run == "loop", on_error, after)
    if p.access is not None:
        call = guarded(call, p.access, p.run == "loop", on_error, after)
    if p.middleware:
        fn = p.plan.fn
        route = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
        call = wrap(p.middleware, call, p.run, p.signals, fn, route, on_error, final)
    elif p.run == "thread":
        call = in_thread(call, p.signals)  # type: ignore[arg-type]
    elif p.run == "loop":
        call = in_lane(call, p.signals)  # type: ignore[arg-type]
    if p.preflight and p.cors is not None:
        call = _preflighted(call, p.cors, p.is_async)
    if p.hosts is not None:
        call = host_checked(call, p.hosts, p.is_async, on_error, final)
    if p.count is not None:
        call = counted(call, p.count)
    return call


def _preflighted(call: RouteCall, policy: CORSPolicy, is_async: bool) -> RouteCall:
    """``call`` behind the ``preflight`` stage: a browser's preflight is answered by the
    route's CORS policy, with nothing else of the route run (no thread hop either)."""
    answer = policy.preflight

    def preflight(request: Request) -> ResponseTuple | None:
        return answer(request) if is_preflight(request) else None

    return gated(call, preflight, is_async)


def _mark_offload(plan: Plan) -> None:
    """In a route on the event loop, mark each ``def`` callable (handler or dependency) that
    may block to run off the loop; generator dependencies stay in place."""
    if not plan.is_async and not plan.is_generator:
        choice = override(plan.fn)
        plan.offload = choice == "thread" or (choice is None and may_block(plan.fn))
    for b in plan.bindings:
        if b.kind == "depends" and b.dependency is not None:
            _mark_offload(b.dependency)


def _may_block(plan: Plan) -> bool:
    """Whether a sync plan's handler or any of its ``def`` dependencies may block."""
    if may_block(plan.fn):
        return True
    return any(
        b.dependency is not None and _may_block(b.dependency)
        for b in plan.bindings
        if b.kind == "depends"
    )


def counted_fallback(fallback: Fallback, counter: RequestCounter | None) -> Fallback:
    """The routing-miss handler with the ``count`` stage, when the process counts."""
    if counter is None:
        return fallback
    tick = counter.tick

    def counted(request: Request, allowed: tuple[str, ...] | None) -> ResponseTuple:
        tick()
        return fallback(request, allowed)

    return counted


def counted(call: RouteCall, counter: RequestCounter) -> RouteCall:
    """``call`` with the ``count`` stage in front (also used for the docs routes)."""
    tick = counter.tick

    def counted(request: Request) -> Any:
        tick()
        return call(request)

    return counted


def _chain(stages: tuple[Finisher, ...]) -> Finisher | None:
    """One finisher running ``stages`` in order (``None`` for none: the step is absent)."""
    if not stages:
        return None
    if len(stages) == 1:
        return stages[0]
    first, rest = stages[0], _chain(stages[1:])
    assert rest is not None

    def chained(response: ResponseTuple, request: Request) -> ResponseTuple:
        return rest(first(response, request), request)

    return chained


def _undrive(response: ResponseTuple, request: Request) -> ResponseTuple:
    """The ``trivial_async`` ablation: an async stream that was to be pulled in place is
    sent through the event loop again, as it would be without the optimisation."""
    body: Any = response[2]
    if body.__class__ is StreamBody and body.inline and isinstance(body.chunks, DrivenChunks):
        return response[0], response[1], StreamBody(body.chunks.as_async(), True)
    return response


def _as_is(response: ResponseTuple, request: Request) -> ResponseTuple:
    return response


def _finisher(after: Finisher | None, files: FileAccess) -> Finisher:
    """Resolve a body that depends on the request (a ``FileResponse``'s ranges, 304s,
    checked against ``files``), then ``after``: the last step of a route that does not
    inline them."""

    def finish(response: ResponseTuple, request: Request) -> ResponseTuple:
        body: Any = response[2]
        if body.__class__ is PendingFile:
            response = body.resolve(request, response, files)
        return response if after is None else after(response, request)

    return finish


def _sync_call(
    plan: Plan,
    is_coroutine: bool,
    encoder: Encoder,
    on_error: ErrorHandler,
    on_invalid: InvalidHandler,
    has_params: bool,
    after: Finisher | None,
    files: FileAccess,
) -> Callable[[Request], ResponseTuple]:
    """A sync route; an ``async def`` handler that never suspends is driven in place.

    ``has_params``: the route published ``ParamSpec``\\ s, so ``request.bound`` may hold its
    parameters already converted by the engine (read only then). ``after``: the response
    stages, error responses included. ``files``: what a file response may serve. One
    closure for every shape (no parameters, the request only, bound parameters, the body
    alone), with ``drive()``, the file resolution and ``after`` inlined.
    """
    fn = plan.fn
    request_only = plan.request_only
    by_body = plan.body_value  # the body alone, passed positionally
    binds = bool(plan.bindings) and not request_only and by_body is None
    bind = plan.binder
    tail = _as_is if after is None else after

    def call(request: Request) -> ResponseTuple:
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
                response = body.resolve(request, response, files)
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
    files: FileAccess,
) -> Callable[[Request], ResponseTuple]:
    """A sync route with dependencies, forms or uploads: one :class:`RequestScope` per
    request, torn down (dependencies' ``yield`` exits) before the response leaves."""
    finish, tail = _finisher(after, files), after or _as_is

    def call(request: Request) -> ResponseTuple:
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
    files: FileAccess,
) -> Callable[[Request], Coroutine[Any, Any, ResponseTuple]]:
    """A route run on the event loop: the handler, or one of its dependencies, awaits."""
    fn = plan.fn
    offload = plan.offload
    finish, tail = _finisher(after, files), after or _as_is
    if not plan.has_scope:
        bind = plan.binder

        async def call(request: Request) -> ResponseTuple:
            errors: list[dict[str, Any]] = []
            try:
                if plan.request_only:
                    result = await offloaded(fn, request) if offload else fn(request)
                else:
                    kwargs = bind(request, None, errors)
                    if errors:
                        return tail(on_invalid(errors, request), request)
                    result = await offloaded(fn, **kwargs) if offload else fn(**kwargs)
                if is_coroutine:
                    result = await result
                return finish(encoder(result), request)
            except Exception as exc:
                return tail(on_error(exc, request), request)

        return call

    async def scoped_call(request: Request) -> ResponseTuple:
        scope = RequestScope()
        try:
            kwargs = await solve_async(plan, request, scope)
            try:
                if scope.errors:  # raised: the dependencies' teardown sees the exception
                    raise RequestValidationError(scope.errors)
                result = await offloaded(fn, **kwargs) if offload else fn(**kwargs)
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
