"""``BoltAPI``: the application object. Routes are compiled when they are registered.

Registering a route parses its path, compiles the parameter binder and the response encoder
and joins them with the handler into the engine's route callable — all once. ``compile()``
then only assembles the route table handed to an engine.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, get_type_hints

from .binding import Binding, compile_binder
from .encoding import compile_encoder
from .engine import CompiledApp, Needs, RouteSpec
from .errors import fallback, render_error
from .handlers import compile_handler
from .router import UNSET, RouteDef, Router, RouteRegistrar
from .routing import PathTemplate, TrailingSlash, join_paths

__all__ = ["BoltAPI", "CompiledRoute"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"})


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A registered route with everything built for it."""

    method: str
    template: PathTemplate
    definition: RouteDef
    call: Callable[[Any], Any]
    is_async: bool
    needs: Needs
    bindings: tuple[Binding, ...]

    @property
    def path(self) -> str:
        return self.template.engine_path

    def spec(self, method: str | None = None) -> RouteSpec:
        handler = self.definition.handler
        name = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"
        return RouteSpec(method or self.method, self.path, self.call, self.is_async,
                         self.needs, name)


def _return_type(route: RouteDef) -> Any:
    if route.response_model is not UNSET:
        return route.response_model
    try:
        hints = get_type_hints(route.handler)
    except Exception:
        return None
    return hints.get("return")


class BoltAPI(RouteRegistrar):
    """An API: decorators to declare routes, ``include_router`` to add groups of them."""

    def __init__(self, prefix: str = "", trailing_slash: TrailingSlash = "strip") -> None:
        if trailing_slash not in ("strip", "append", "keep"):
            raise ValueError(f"trailing_slash must be 'strip', 'append' or 'keep', "
                             f"got {trailing_slash!r}")
        self.prefix = prefix
        self.trailing_slash: TrailingSlash = trailing_slash
        self._routes: list[CompiledRoute] = []
        self._keys: dict[tuple[str, str], CompiledRoute] = {}

    @property
    def routes(self) -> tuple[CompiledRoute, ...]:
        return tuple(self._routes)

    def _add(self, route: RouteDef) -> None:
        path = join_paths(self.prefix, route.path) if self.prefix else route.path
        try:
            template = PathTemplate.parse(path, self.trailing_slash)
        except ValueError as exc:
            raise ValueError(f"{_describe(route)}: {exc}") from None
        for method in route.methods:
            if method not in _METHODS:
                raise ValueError(f"{_describe(route)}: unknown HTTP method {method!r}")
            binder, bindings, needs, request_only = compile_binder(
                route.handler, method, template.param_names)
            status = route.status_code
            if status is not None and not 100 <= status <= 599:
                raise ValueError(f"{_describe(route)}: status_code {status} is not 100-599")
            encoder = compile_encoder(_return_type(route), status)
            call, is_async = compile_handler(route.handler, binder, request_only, encoder)
            self._insert(CompiledRoute(method, template, route, call, is_async, needs, bindings))

    def _insert(self, compiled: CompiledRoute) -> None:
        key = (compiled.method, compiled.template.shape)
        existing = self._keys.get(key)
        if existing is not None:
            raise ValueError(
                f"Route conflict: {compiled.method} {compiled.template.source} "
                f"({_describe(compiled.definition)}) clashes with {existing.method} "
                f"{existing.template.source} ({_describe(existing.definition)})")
        self._keys[key] = compiled
        self._routes.append(compiled)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Compile and add every route of ``router`` (and its children) under ``prefix``."""
        if not isinstance(router, Router):
            raise TypeError(f"include_router() takes a Router, got {type(router).__name__}")
        for route in router.iter_routes(prefix):
            self._add(route)

    @classmethod
    def merge(cls, apis: Iterable[BoltAPI]) -> BoltAPI:
        """One API serving the routes of several; a ``METHOD path`` clash is a ValueError."""
        merged = cls()
        for api in apis:
            for compiled in api._routes:
                merged._insert(compiled)
        return merged

    def compile(self) -> CompiledApp:
        """The route table for an engine: every route, plus ``HEAD`` for each ``GET``."""
        specs = [r.spec() for r in self._routes]
        explicit_head = {r.template.shape for r in self._routes if r.method == "HEAD"}
        for r in self._routes:
            if r.method == "GET" and r.template.shape not in explicit_head:
                specs.append(r.spec("HEAD"))
        return CompiledApp(routes=tuple(specs), fallback=fallback, render_error=render_error)


def _describe(route: RouteDef) -> str:
    fn = route.handler
    where = ""
    with contextlib.suppress(TypeError, OSError):
        where = f" at {inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    return f"{getattr(fn, '__qualname__', fn)!s}{where}"
