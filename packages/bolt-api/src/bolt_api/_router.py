"""Decorator routing: :class:`Router` collects route definitions; ``BoltAPI`` compiles them.

A :class:`Router` only records what was declared (:class:`RouteDef`); nothing is compiled
until the router is included into a ``BoltAPI``, because only then is the final path — and
so the set of path parameters — known.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ._middleware import check_middleware
from ._routing import join_paths
from .auth._access import check_auth, check_guards

__all__ = ["UNSET", "RouteDef", "RouteRegistrar", "Router"]

F = TypeVar("F", bound=Callable[..., Any])


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: ``response_model`` default: take the return annotation (``None`` means "untyped").
UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class RouteDef:
    """One declared route, before compilation."""

    methods: tuple[str, ...]
    path: str
    handler: Callable[..., Any]
    status_code: int | None = None
    response_model: Any = UNSET
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Authentication backends (``None``: the router's, else the API's defaults; ``()``: none).
    auth: tuple[Any, ...] | None = None
    #: Guards, run in order (``None``: the router's, else the API's defaults).
    guards: tuple[Any, ...] | None = None
    #: The API's and routers' middleware, outermost first (the handler's ``@middleware``
    #: is read at ``compile()``, so it may sit above or below the route decorator).
    middleware: tuple[Any, ...] = ()
    #: The API's ``django_middleware=`` (resolved against Django's settings at compile).
    django_middleware: Any = None
    #: A WebSocket route (``@api.websocket``): ``methods`` is ``("GET",)``, matched only
    #: for upgrade requests (:mod:`bolt_api._ws_routes`).
    websocket: bool = False


class RouteRegistrar:
    """The decorator surface shared by ``Router`` and ``BoltAPI``."""

    def _add(self, route: RouteDef) -> None:
        raise NotImplementedError

    def route(
        self,
        path: str,
        methods: list[str] | tuple[str, ...],
        *,
        response_model: Any = UNSET,
        status_code: int | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        name: str | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function for ``methods`` on ``path``.

        ``auth``: authentication backends (``[]``: none, not even the API's defaults);
        ``guards``: who may proceed (:mod:`bolt_api.auth`). Left ``None``, both come from
        the router, else from the API's defaults.
        """
        if not isinstance(path, str):
            raise TypeError(f"route path must be a str, got {type(path).__name__}")
        upper = tuple(m.upper() for m in methods)
        backends = check_auth(auth, f"route {path!r}")
        checked_guards = check_guards(guards, f"route {path!r}")

        def decorator(fn: F) -> F:
            if not callable(fn):
                raise TypeError(f"route handler for {path!r} must be callable")
            self._add(
                RouteDef(
                    upper,
                    path,
                    fn,
                    status_code,
                    response_model,
                    tuple(tags or ()),
                    summary,
                    description,
                    name,
                    auth=backends,
                    guards=checked_guards,
                )
            )
            return fn

        return decorator

    def websocket(
        self,
        path: str,
        *,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        include_in_schema: bool = False,
    ) -> Callable[[F], F]:
        """Register the decorated ``async def handler(websocket: WebSocket, ...)`` as the
        WebSocket endpoint on ``path`` (:mod:`bolt_api.websocket`).

        Its other parameters bind as an HTTP route's do (path, query, header, cookie,
        ``Depends``), from the handshake request. ``auth``/``guards`` are checked before the
        upgrade, as for HTTP routes: a refusal is the HTTP 401/403, not a connection.
        WebSocket routes are not in the OpenAPI document (it cannot describe them);
        ``include_in_schema=True`` is refused rather than ignored.
        """
        if not isinstance(path, str):
            raise TypeError(f"websocket path must be a str, got {type(path).__name__}")
        if include_in_schema:
            raise ValueError(
                f"websocket {path!r}: include_in_schema=True is not supported, OpenAPI "
                "cannot describe WebSocket routes"
            )
        backends = check_auth(auth, f"websocket {path!r}")
        checked_guards = check_guards(guards, f"websocket {path!r}")

        def decorator(fn: F) -> F:
            if not inspect.iscoroutinefunction(inspect.unwrap(fn)):
                raise TypeError(f"websocket handler for {path!r} must be an 'async def' function")
            self._add(
                RouteDef(
                    ("GET",),
                    path,
                    fn,
                    tags=tuple(tags or ()),
                    summary=summary,
                    description=description,
                    name=name,
                    auth=backends,
                    guards=checked_guards,
                    websocket=True,
                )
            )
            return fn

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register a ``GET`` route (``HEAD`` is answered from it automatically)."""
        return self.route(path, ("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register a ``POST`` route."""
        return self.route(path, ("POST",), **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register a ``PUT`` route."""
        return self.route(path, ("PUT",), **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register a ``PATCH`` route."""
        return self.route(path, ("PATCH",), **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register a ``DELETE`` route."""
        return self.route(path, ("DELETE",), **options)

    def head(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register an explicit ``HEAD`` route (it wins over the automatic one)."""
        return self.route(path, ("HEAD",), **options)

    def options(self, path: str, **options: Any) -> Callable[[F], F]:
        """Register an explicit ``OPTIONS`` route."""
        return self.route(path, ("OPTIONS",), **options)


class Router(RouteRegistrar):
    """A group of routes with a common prefix and tags, included into an API later."""

    def __init__(
        self,
        prefix: str = "",
        tags: list[str] | None = None,
        *,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        middleware: list[Any] | None = None,
    ) -> None:
        self.prefix = prefix
        self.tags = tuple(tags or ())
        #: Middleware of every route of this router (and its children), inside the API's.
        self.middleware = check_middleware(middleware, f"Router({prefix!r})")
        #: The backends and guards of routes (and child routers) that declare none.
        self.auth = check_auth(auth, f"Router({prefix!r})")
        self.guards = check_guards(guards, f"Router({prefix!r})")
        self._defs: list[RouteDef] = []
        self._children: list[tuple[Router, str]] = []

    def _add(self, route: RouteDef) -> None:
        self._defs.append(route)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Nest ``router`` under this one (with an extra ``prefix``)."""
        if not isinstance(router, Router):
            raise TypeError(f"include_router() takes a Router, got {type(router).__name__}")
        if router is self:
            raise ValueError("a router cannot include itself")
        self._children.append((router, prefix))

    def iter_routes(
        self,
        prefix: str = "",
        tags: tuple[str, ...] = (),
        auth: tuple[Any, ...] | None = None,
        guards: tuple[Any, ...] | None = None,
        middleware: tuple[Any, ...] = (),
    ) -> Iterator[RouteDef]:
        """Every route of this router and its children, with prefixes and tags applied, and
        the nearest router's ``auth``/``guards`` for routes that declare none."""
        base = join_paths(prefix, self.prefix) if self.prefix else prefix
        all_tags = tags + tuple(t for t in self.tags if t not in tags)
        auth = self.auth if self.auth is not None else auth
        guards = self.guards if self.guards is not None else guards
        middleware = middleware + self.middleware
        for d in self._defs:
            merged = all_tags + tuple(t for t in d.tags if t not in all_tags)
            yield replace(
                d,
                path=join_paths(base, d.path) if base else d.path,
                tags=merged,
                auth=d.auth if d.auth is not None else auth,
                guards=d.guards if d.guards is not None else guards,
                middleware=middleware + d.middleware,
            )
        for child, child_prefix in self._children:
            yield from child.iter_routes(
                join_paths(base, child_prefix) if child_prefix else base,
                all_tags,
                auth,
                guards,
                middleware,
            )
