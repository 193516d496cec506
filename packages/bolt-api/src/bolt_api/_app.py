"""``BoltAPI``: the application object. Routes are compiled when they are registered.

Registering a route parses its path, compiles the parameter binder and the response encoder
and joins them with the handler into the engine's route callable — all once. ``compile()``
then only assembles the route table handed to an engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_type_hints
from urllib.parse import quote

from ._binding import Binding, compile_plan
from ._encoding import STATIC_HEADERS, compile_encoder
from ._handlers import Finisher, compile_handler
from ._router import UNSET, RouteDef, Router, RouteRegistrar
from ._routing import PathTemplate, RouteMatcher, TrailingSlash, join_paths
from .compression import CompressionConfig, Compressor
from .engine import CompiledApp, Needs, ParamSpec, ResponseTuple, RouteSpec
from .errors import ErrorFormatter, ErrorHandling
from .files import FileResponse
from .openapi.config import OpenAPIConfig
from .openapi.views import docs_routes

__all__ = ["BoltAPI", "CompiledRoute"]

_V = TypeVar("_V", bound=type[Any])  # a class-based view, for api.view()/api.viewset()
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
    params: tuple[ParamSpec, ...] | None
    #: ``call`` rebuilt with a last step folded in (see ``CompiledHandler.finishing``).
    finishing: Callable[[Finisher | None], Callable[[Any], Any]]

    @property
    def path(self) -> str:
        return self.template.engine_path

    def spec(self, method: str | None = None) -> RouteSpec:
        handler = self.definition.handler
        name = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"
        return RouteSpec(
            method or self.method,
            self.path,
            self.call,
            self.is_async,
            self.needs,
            name,
            self.params,
        )


def _return_type(route: RouteDef) -> Any:
    if route.response_model is not UNSET:
        # @paginate turns response_model=list[T] into its page envelope of T.
        adapt = getattr(route.handler, "__bolt_adapt_response_model__", None)
        return adapt(route.response_model) if adapt is not None else route.response_model
    try:
        hints = get_type_hints(route.handler)
    except Exception:
        return None
    return hints.get("return")


def _may_return_file(return_type: Any) -> bool:
    """A ``FileResponse`` reads the request's headers (ranges, conditional requests)."""
    if return_type is None or return_type is Any:
        return True
    return isinstance(return_type, type) and issubclass(FileResponse, return_type)


class BoltAPI(RouteRegistrar):
    """An API: decorators to declare routes, ``include_router`` to add groups of them."""

    def __init__(
        self,
        prefix: str = "",
        trailing_slash: TrailingSlash = "strip",
        *,
        error_formatter: ErrorFormatter | None = None,
        openapi_config: OpenAPIConfig | None = None,
        compression: CompressionConfig | Literal[False] | None = None,
    ) -> None:
        if trailing_slash not in ("strip", "append", "keep"):
            raise ValueError(
                f"trailing_slash must be 'strip', 'append' or 'keep', got {trailing_slash!r}"
            )
        self.prefix = prefix
        self.trailing_slash: TrailingSlash = trailing_slash
        self._routes: list[CompiledRoute] = []
        self._keys: dict[tuple[str, str], CompiledRoute] = {}
        self._names: dict[str, CompiledRoute] = {}
        self._errors = ErrorHandling(error_formatter)
        #: The OpenAPI document and docs pages (``/docs`` by default; see bolt_api.openapi).
        self.openapi_config = openapi_config if openapi_config is not None else OpenAPIConfig()
        #: Response compression: ``None`` = ``CompressionConfig()``, ``False`` = off. Read by
        #: :meth:`compile`, so Django's ``BOLT_COMPRESSION`` can still set it before serving.
        self.compression: CompressionConfig | Literal[False] | None = compression

    @property
    def routes(self) -> tuple[CompiledRoute, ...]:
        return tuple(self._routes)

    def _add(self, route: RouteDef, errors: ErrorHandling | None = None) -> None:
        handling = errors or self._errors
        path = join_paths(self.prefix, route.path) if self.prefix else route.path
        try:
            template = PathTemplate.parse(path, self.trailing_slash)
        except ValueError as exc:
            raise ValueError(f"{_describe(route)}: {exc}") from None
        for method in route.methods:
            if method not in _METHODS:
                raise ValueError(f"{_describe(route)}: unknown HTTP method {method!r}")
            plan = compile_plan(route.handler, method, template.param_names)
            status = route.status_code
            if status is not None and not 100 <= status <= 599:
                raise ValueError(f"{_describe(route)}: status_code {status} is not 100-599")
            return_type = _return_type(route)
            encoder = compile_encoder(return_type, status)
            compiled = compile_handler(plan, encoder, handling.handle_exception, handling.invalid)
            needs = plan.needs | (Needs.HEADERS if _may_return_file(return_type) else 0)
            self._insert(
                CompiledRoute(
                    method,
                    template,
                    route,
                    compiled.call,
                    compiled.is_async,
                    needs,
                    plan.bindings,
                    compiled.params,
                    compiled.finishing,
                )
            )

    def _insert(self, compiled: CompiledRoute) -> None:
        key = (compiled.method, compiled.template.shape)
        existing = self._keys.get(key)
        if existing is not None:
            raise ValueError(
                f"Route conflict: {compiled.method} {compiled.template.source} "
                f"({_describe(compiled.definition)}) clashes with {existing.method} "
                f"{existing.template.source} ({_describe(existing.definition)})"
            )
        self._keys[key] = compiled
        self._routes.append(compiled)
        name = compiled.definition.name
        if name is not None:
            other = self._names.get(name)
            if other is not None and other.template.shape != compiled.template.shape:
                raise ValueError(
                    f"Route name {name!r} is used by {other.template.source} and "
                    f"{compiled.template.source}"
                )
            self._names[name] = compiled

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """The path of the route named ``name`` with ``params`` filled in (URL reversing)."""
        route = self._names.get(name)
        if route is None:
            raise LookupError(f"No route named {name!r}")
        return route.template.build(params)

    def mount(self, path: str, api: BoltAPI) -> None:
        """Serve every route of ``api`` under ``path``, with ``api``'s own error handling."""
        if not isinstance(api, BoltAPI):
            raise TypeError(f"mount() takes a BoltAPI, got {type(api).__name__}")
        if api is self:
            raise ValueError("an API cannot mount itself")
        for compiled in api._routes:
            definition = compiled.definition
            relative = compiled.template.source
            mounted = dataclasses.replace(
                definition, path=join_paths(path, relative), methods=(compiled.method,)
            )
            self._add(mounted, api._errors)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Compile and add every route of ``router`` (and its children) under ``prefix``."""
        if not isinstance(router, Router):
            raise TypeError(f"include_router() takes a Router, got {type(router).__name__}")
        for route in router.iter_routes(prefix):
            self._add(route)

    def view(
        self,
        path: str,
        *,
        methods: list[str] | None = None,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        status_code: int | None = None,
        tags: list[str] | None = None,
        name: str | None = None,
    ) -> Callable[[_V], _V]:
        """Class decorator: route each HTTP method an ``APIView`` implements on ``path``.

        ``guards``/``auth`` are stored but have no effect yet (no authentication exists).
        """

        def decorator(cls: _V) -> _V:
            from ._view_routes import register_view

            register_view(
                self,
                cls,
                path,
                methods=methods,
                guards=guards,
                auth=auth,
                status_code=status_code,
                tags=tags,
                name=name,
            )
            return cls

        return decorator

    def viewset(
        self,
        path: str,
        *,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        status_code: int | None = None,
        lookup_field: str = "pk",
        tags: list[str] | None = None,
        name: str | None = None,
    ) -> Callable[[_V], _V]:
        """Class decorator: route a ``ViewSet``'s actions — ``list``/``create`` on ``path``,
        ``retrieve``/``update``/``partial_update``/``destroy`` on ``path/{lookup_field}``,
        and its ``@action`` methods. ``guards``/``auth`` are stored, with no effect yet."""

        def decorator(cls: _V) -> _V:
            from ._view_routes import register_viewset

            register_viewset(
                self,
                cls,
                path,
                guards=guards,
                auth=auth,
                status_code=status_code,
                lookup_field=lookup_field,
                tags=tags,
                name=name,
            )
            return cls

        return decorator

    @classmethod
    def merge(cls, apis: Iterable[BoltAPI]) -> BoltAPI:
        """One API serving the routes of several; a ``METHOD path`` clash is a ValueError."""
        listed = list(apis)
        merged = cls(
            openapi_config=listed[0].openapi_config if listed else None,
            compression=listed[0].compression if listed else None,
        )
        for api in listed:
            for compiled in api._routes:
                merged._insert(compiled)
        return merged

    def compile(self) -> CompiledApp:
        """The route table for an engine: every route, plus ``HEAD`` for each ``GET``."""
        config = self.compression
        compressor = None if config is False else Compressor(config or CompressionConfig())
        specs = [_compressed(r.spec(), r, compressor) for r in self._routes]
        explicit_head = {r.template.shape for r in self._routes if r.method == "HEAD"}
        entries = [(r.method, r.template, r) for r in self._routes]
        for r in self._routes:
            if r.method == "GET" and r.template.shape not in explicit_head:
                specs.append(_compressed(r.spec("HEAD"), r, compressor))
                entries.append(("HEAD", r.template, r))
        taken = {(method, template.shape) for method, template, _ in entries}
        specs.extend(docs_routes(self, taken, self._errors.handle_exception))
        statics: list[Any] = list(STATIC_HEADERS)
        if compressor is not None:
            statics += [v for v in map(compressor.varied, STATIC_HEADERS) if v is not None]
        return CompiledApp(
            routes=tuple(specs),
            fallback=_make_fallback(RouteMatcher(entries), self.trailing_slash, self._errors),
            render_error=self._errors.render_error,
            static_headers=tuple(statics),
            not_found=self._errors.static_not_found,
        )


def _compressed(spec: RouteSpec, route: CompiledRoute, compressor: Compressor | None) -> RouteSpec:
    """``spec`` with its responses compressed (decided here, once per route): the route's
    callable built again with ``apply`` as its last step, whatever kind of route it is."""
    if compressor is None or getattr(route.definition.handler, "__bolt_no_compress__", False):
        return spec
    return dataclasses.replace(
        spec, call=route.finishing(compressor.apply), needs=spec.needs | Needs.ACCEPT_ENCODING
    )


#: Characters a path keeps as they are when quoted (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
#: A path made of those (and ASCII letters and digits) only: ``quote`` would return it as is.
_PLAIN_PATH = re.compile(f"[A-Za-z0-9{re.escape(_PATH_SAFE)}]*").fullmatch


def _make_fallback(
    matcher: RouteMatcher[CompiledRoute], policy: TrailingSlash, errors: ErrorHandling
) -> Callable[[Any, tuple[str, ...] | None], ResponseTuple]:
    """The routing-miss handler: 405, a 308 to the other trailing-slash form, or 404."""

    def fallback(request: Any, allowed: tuple[str, ...] | None) -> ResponseTuple:
        if allowed:
            return errors.method_not_allowed(request, allowed)
        if policy != "keep":
            path = request.path
            raw = path if _PLAIN_PATH(path) else quote(path, safe=_PATH_SAFE)
            if raw != "/":
                alternate = raw[:-1] if raw.endswith("/") else raw + "/"
                if matcher.match(request.method, alternate) is not None:
                    location = alternate + (
                        f"?{request.query_string}" if request.query_string else ""
                    )
                    return 308, (("location", location),), b""
        return errors.not_found(request)

    return fallback


def _describe(route: RouteDef) -> str:
    fn = route.handler
    where = ""
    with contextlib.suppress(TypeError, OSError):
        where = f" at {inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    return f"{getattr(fn, '__qualname__', fn)!s}{where}"
