"""Django's middleware in front of a Bolt route, with Django's semantics.

``BoltAPI(django_middleware=True)`` (``settings.MIDDLEWARE``), a list of dotted paths
(exactly those, in that order), ``{"include": [...], "exclude": [...]}`` over
``settings.MIDDLEWARE``, or ``DjangoMiddleware(cls_or_path, **kwargs)`` /
``DjangoMiddlewareStack([...])`` entries in a ``middleware=`` list.

Each request is what a WSGI server gives Django: a real ``WSGIRequest`` built from the
environ of :func:`bolt_api._django_app.wsgi_environ` (``REMOTE_ADDR`` and every header
included), ``request_started`` before and ``request_finished`` when the response is closed,
and Django's own ``BaseHandler.get_response``: the middleware chain is built by Django's
rules (``sync_capable``/``async_capable``, ``MiddlewareNotUsed``, each layer wrapped by
``convert_exception_to_response``), ``process_view`` sees the route's handler as the view —
so ``@csrf_exempt`` is honoured — and ``ATOMIC_REQUESTS`` wraps the handler as it would a
view. Only URL resolving is replaced: the view is the Bolt route.

The whole chain runs on one handler-pool thread per request, never on the event loop or an
engine thread, and a sync handler runs on that same thread: ``threading.local`` state a
middleware sets (django-tenants, django-crum) is the request's own. What the middleware
put on the ``HttpRequest`` is copied to the Bolt request before the handler runs:
``request.user`` (and ``await request.auser()``), ``request.META`` (Django's dict),
``request.state["session"]``, ``request.state["django_request"]``, and every other public
attribute a middleware set (``LANGUAGE_CODE``, ``tenant``...) as ``request.state[name]``.
The route's answer goes back through the middleware as an ``HttpResponse`` (a stream or a
file as a ``StreamingHttpResponse``, passed through untouched when no middleware replaced it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from . import _django_requests
from ._django_app import _headers, django_ready, response_tuple, wsgi_environ
from ._django_requests import run_shared
from ._threads import handler_pool
from .engine import FileBody, Request, ResponseTuple, RouteCall, StreamBody

__all__ = [
    "AsyncCall",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "caller",
    "check_django_middleware",
    "django_layer",
    "django_stack",
    "is_django_layer",
]

ErrorHandler = Callable[[BaseException, Request], ResponseTuple]
AsyncCall = Callable[[Request], Coroutine[Any, Any, ResponseTuple]]

#: The thread of the Django layer a request is in, as an executor (asgiref's
#: ``CurrentThreadExecutor``): a sync handler or an inner Django layer runs there.
caller: ContextVar[Any] = ContextVar("bolt_django_caller", default=None)

#: ``HttpRequest`` attributes Django sets itself or Bolt copies by name: the rest come from
#: middleware and go to ``request.state``.
_STANDARD = frozenset(
    {
        "COOKIES", "FILES", "GET", "META", "POST", "auser", "content_params", "content_type",
        "csrf_cookie_needs_reset", "csrf_processing_done", "encoding", "environ", "headers",
        "method", "path", "path_info", "resolver_match", "session", "upload_handlers", "user",
    }
)  # fmt: skip


class DjangoMiddlewareStack:
    """Django middleware, outermost first: dotted paths or classes (factories), each run with
    Django's semantics (module docstring). Loaded when the API is compiled: an unknown
    dotted path is an error then, never dropped."""

    def __init__(self, middleware: Sequence[Any], **init_kwargs: Any) -> None:
        if isinstance(middleware, str) or not isinstance(middleware, list | tuple):
            raise TypeError("DjangoMiddlewareStack takes a list of dotted paths or classes")
        for entry in middleware:
            if not isinstance(entry, str) and not callable(entry):
                raise TypeError(f"Django middleware {entry!r} is not a dotted path or a class")
        self.entries: tuple[Any, ...] = tuple(middleware)
        self.init_kwargs = init_kwargs
        self._handler: Any = None

    def names(self) -> list[tuple[Any, tuple[str, ...]]]:
        """Each entry with the names ``@skip_middleware`` knows it by."""
        return [(entry, _names(entry)) for entry in self.entries]

    def without(self, skipped: Callable[[tuple[str, ...]], bool]) -> DjangoMiddlewareStack | None:
        """This stack minus the entries ``skipped`` names (``None`` when none is left)."""
        kept = [entry for entry, names in self.names() if not skipped(names)]
        if len(kept) == len(self.entries):
            return self
        return DjangoMiddlewareStack(kept, **self.init_kwargs) if kept else None

    def load(self) -> Any:
        """Django's handler with this chain (built once)."""
        if self._handler is None:
            self._handler = _load(self.entries, self.init_kwargs)
        return self._handler

    def __repr__(self) -> str:
        return f"DjangoMiddlewareStack({list(self.entries)!r})"


class DjangoMiddleware(DjangoMiddlewareStack):
    """One Django middleware (class or dotted path), built with ``init_kwargs``."""

    def __init__(self, middleware: Any, **init_kwargs: Any) -> None:
        super().__init__([middleware], **init_kwargs)

    def __repr__(self) -> str:
        return f"DjangoMiddleware({self.entries[0]!r})"


def is_django_layer(spec: Any) -> bool:
    return isinstance(spec, DjangoMiddlewareStack)


def _names(entry: Any) -> tuple[str, ...]:
    if isinstance(entry, str):
        return entry.rpartition(".")[2], entry
    name = getattr(entry, "__name__", repr(entry))
    return name, f"{getattr(entry, '__module__', '?')}.{getattr(entry, '__qualname__', name)}"


def check_django_middleware(spec: Any) -> Any:
    """``BoltAPI(django_middleware=...)`` checked for its shape (resolved at compile)."""
    if spec is None or isinstance(spec, bool):
        return spec or None
    if isinstance(spec, list | tuple):
        if not all(isinstance(path, str) for path in spec):
            raise TypeError("django_middleware= takes dotted paths (str)")
        return tuple(spec) or None
    if isinstance(spec, dict):
        unknown = set(spec) - {"include", "exclude"}
        if unknown:
            raise TypeError(f"django_middleware= keys are 'include' and 'exclude', not {unknown}")
        for key, paths in spec.items():
            if isinstance(paths, str) or not all(isinstance(p, str) for p in paths):
                raise TypeError(f"django_middleware[{key!r}] takes a list of dotted paths")
        return {key: tuple(paths) for key, paths in spec.items()}
    raise TypeError(
        "django_middleware= takes True, a list of dotted paths or {'include': [...], "
        f"'exclude': [...]}}, got {type(spec).__name__}"
    )


_stacks: dict[tuple[str, ...], DjangoMiddlewareStack] = {}


def django_stack(spec: Any, where: str) -> DjangoMiddlewareStack | None:
    """The stack ``django_middleware=`` names, resolved against Django's settings."""
    if spec is None:
        return None
    reason = django_ready()
    if reason is not None:
        raise RuntimeError(f"{where}: django_middleware= needs Django: {reason}")
    from django.conf import settings

    configured = tuple(settings.MIDDLEWARE)
    if spec is True:
        paths = configured
    elif isinstance(spec, tuple):
        paths = spec
    else:
        paths = configured
        for key, wanted in spec.items():
            for path in wanted:
                if not any(path in _names(p) for p in configured):
                    raise ValueError(
                        f"{where}: django_middleware[{key!r}]: {path!r} is not in MIDDLEWARE"
                    )
            hit = [p for p in paths if any(w in _names(p) for w in wanted)]
            paths = tuple(hit) if key == "include" else tuple(p for p in paths if p not in hit)
    if not paths:
        return None  # nothing left to run: no stage
    stack = _stacks.get(paths)
    if stack is None:
        stack = _stacks[paths] = DjangoMiddlewareStack(list(paths))
    return stack


def _handler_class() -> type:
    from django.core.handlers.base import BaseHandler
    from django.urls import ResolverMatch

    class StackHandler(BaseHandler):
        """Django's handler with the Bolt route as the view, instead of URL resolving."""

        def resolve_request(self, request: Any) -> ResolverMatch:
            view = request._bolt_view
            match = ResolverMatch(view, (), {}, route=view.route)
            request.resolver_match = match
            return match  # unpacked by Django as (view, args, kwargs)

    return StackHandler


def _load(entries: Sequence[Any], init_kwargs: dict[str, Any]) -> Any:
    """Build the chain as Django's ``load_middleware(is_async=False)`` does, from ``entries``
    instead of ``settings.MIDDLEWARE``; an entry that does not import is an error here."""
    reason = django_ready()
    if reason is not None:
        raise RuntimeError(f"Django middleware needs Django: {reason}")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
    from django.core.handlers.exception import convert_exception_to_response
    from django.utils.module_loading import import_string

    handler = _handler_class()()
    handler._view_middleware = []
    handler._template_response_middleware = []
    handler._exception_middleware = []
    adapt = handler.adapt_method_mode
    chain = convert_exception_to_response(handler._get_response)
    chain_is_async = False
    for entry in reversed(entries):
        name = entry if isinstance(entry, str) else _names(entry)[1]
        try:
            factory = import_string(entry) if isinstance(entry, str) else entry
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"Django middleware {name!r} cannot be imported: {exc}"
            ) from exc
        can_sync = getattr(factory, "sync_capable", True)
        if not can_sync and not getattr(factory, "async_capable", False):
            raise ImproperlyConfigured(f"middleware {name} is neither sync nor async capable")
        is_async = not can_sync
        adapted = adapt(is_async, chain, chain_is_async, debug=settings.DEBUG, name=name)
        try:
            instance = factory(adapted, **init_kwargs)
        except MiddlewareNotUsed:
            continue
        if instance is None:
            raise ImproperlyConfigured(f"Middleware factory {name} returned None.")
        if hasattr(instance, "process_view"):
            handler._view_middleware.insert(0, adapt(False, instance.process_view))
        if hasattr(instance, "process_template_response"):
            handler._template_response_middleware.append(
                adapt(False, instance.process_template_response)
            )
        if hasattr(instance, "process_exception"):
            handler._exception_middleware.append(adapt(False, instance.process_exception))
        chain = convert_exception_to_response(instance)
        chain_is_async = is_async
    handler._middleware_chain = adapt(False, chain, chain_is_async)
    return handler


class _RouteView:
    """The Bolt route, as the view Django's handler calls (and ``process_view`` sees)."""

    def __init__(self, rest: RouteCall, is_async: bool, fn: Callable[..., Any], route: str):
        self.rest = rest
        self.is_async = is_async
        self.route = route
        self.__name__ = getattr(fn, "__name__", "view")
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__qualname__ = getattr(fn, "__qualname__", self.__name__)
        for flag in ("csrf_exempt", "_non_atomic_requests", "login_required"):
            if hasattr(fn, flag):
                setattr(self, flag, getattr(fn, flag))

    def __call__(self, django_request: Any) -> Any:
        request, loop, outer = django_request._bolt
        _share(django_request, request)
        if not self.is_async:
            result = self.rest(request)
        else:
            from asgiref.current_thread_executor import CurrentThreadExecutor

            executor = CurrentThreadExecutor(outer)
            token = caller.set(executor)  # copied into the task's context
            try:
                coroutine: Any = self.rest(request)
                future = asyncio.run_coroutine_threadsafe(coroutine, loop)
            finally:
                caller.reset(token)
            executor.run_until_future(future)
            result = future.result()
        return _to_django(result)  # type: ignore[arg-type]


def _share(django_request: Any, request: Request) -> None:
    """What the middleware set on the ``HttpRequest``, on the Bolt request."""
    state = request.state
    state["django_request"] = django_request
    state["bolt.META"] = django_request.META
    attrs = vars(django_request)
    if "user" in attrs:
        state["bolt.user"] = attrs["user"]
    if "session" in attrs:
        state["session"] = attrs["session"]
    for name, value in attrs.items():
        if not name.startswith("_") and name not in _STANDARD:
            state[name] = value


def _file_chunks(body: FileBody) -> Iterator[bytes]:
    with open(body.path, "rb") as f:
        f.seek(body.offset)
        left = body.length
        while left > 0:
            chunk = f.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _to_django(result: ResponseTuple) -> Any:
    """The route's answer as an ``HttpResponse`` for the middleware's way back."""
    from django.http import HttpResponse, StreamingHttpResponse

    status, headers, body = result
    response: Any
    if isinstance(body, bytes):
        response = HttpResponse(body, status=status)
    else:
        chunks = body.chunks if isinstance(body, StreamBody) else _file_chunks(body)
        response = StreamingHttpResponse(chunks, status=status)
        response._bolt_body = body
        response._bolt_iterator = response._iterator
    typed = False
    cookies = []
    for name, value in headers:
        if name == "set-cookie":
            cookies.append(value)
        elif name in ("content-length", "transfer-encoding"):
            continue  # framing is the engine's
        elif name == "content-type" or name not in response:
            typed = typed or name == "content-type"
            response[name] = value
        else:
            response[name] = f"{response[name]}, {value}"
    if not typed:
        del response["Content-Type"]
    response._bolt_cookies = cookies
    return response


def _back(response: Any) -> ResponseTuple:
    """The chain's ``HttpResponse`` as a Bolt response, closed (``request_finished``)."""
    cookies = [("set-cookie", c) for c in getattr(response, "_bolt_cookies", ())]
    body = getattr(response, "_bolt_body", None)
    if body is not None and response._iterator is response._bolt_iterator:
        status = response.status_code
        headers: list[tuple[str, str]] = [*_headers(response), *cookies]
        response.close()
        return status, headers, body
    status, own, content = response_tuple(response)
    return status, [*own, *cookies], content


def django_layer(
    stack: DjangoMiddlewareStack,
    rest: RouteCall,
    rest_is_async: bool,
    fn: Callable[..., Any],
    route: str,
    on_error: ErrorHandler,
) -> AsyncCall:
    """``rest`` behind ``stack``: an async call that runs the chain on a pool thread (or on
    the thread of an outer Django layer)."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIRequest, get_script_name
    from django.urls import set_script_prefix

    handler = stack.load()
    view = _RouteView(rest, rest_is_async, fn, route)
    sender = handler.__class__

    def run(request: Request, loop: asyncio.AbstractEventLoop, outer: Any) -> ResponseTuple:
        try:
            environ = wsgi_environ(request)
            set_script_prefix(get_script_name(environ))
            signals.request_started.send(sender=sender, environ=environ)
            try:
                django_request: Any = WSGIRequest(environ)
                django_request._bolt = (request, loop, outer)
                django_request._bolt_view = view
                response = handler.get_response(django_request)
            except BaseException:
                signals.request_finished.send(sender=sender)
                raise
            return _back(response)
        except Exception as exc:
            return on_error(exc, request)

    def pooled(request: Request, loop: asyncio.AbstractEventLoop) -> ResponseTuple:
        if _django_requests.shared is not None:  # a TestClient lends the test's connections
            return run_shared(run, request, loop, None)
        return run(request, loop, None)

    async def layer(request: Request) -> ResponseTuple:
        loop = asyncio.get_running_loop()
        outer = caller.get()
        if outer is not None:  # inside another Django layer: stay on its thread
            return await asyncio.wrap_future(outer.submit(run, request, loop, outer))
        return await loop.run_in_executor(handler_pool(), pooled, request, loop)

    return layer
