"""``BoltAPI``: the application object.

Registering a route parses its path, checks and compiles its parameters (the
:class:`~bolt_api._binding.Plan`) and records it as a :class:`~bolt_api._pipeline.RouteEntry`:
what the route *is*, with every error a declaration can have raised right away.
:meth:`BoltAPI.compile` then builds each route's callable once, from its pipeline of stages
(:mod:`bolt_api._pipeline`), and hands the engine the route table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Literal, TypeVar, cast, get_type_hints

from ._binding import DEFAULT_MAX_PARAM_LENGTH, MAX_PARAM_LENGTH_RANGE, compile_plan, limited
from ._cors import CORSPolicy, with_cors
from ._django_middleware import check_django_middleware, is_django_layer
from ._django_requests import request_signals
from ._encoding import STATIC_HEADERS
from ._hosts import host_checked, host_checked_fallback
from ._lifespan import Lifespan, combine
from ._middleware import check_middleware, route_middleware
from ._misses import bolt_answer, make_fallback, trailing_slash_redirect
from ._mounts import Mount, asgi_mount, asgi_websocket_routes, check_mount_path, mount_routes
from ._pipeline import (
    ABLATIONS,
    RequestCounter,
    RouteEntry,
    assemble,
    counted,
    counted_fallback,
    pipeline,
)
from ._ratelimit import limiter_for
from ._router import UNSET, RouteDef, Router, RouteRegistrar
from ._routing import PathTemplate, RouteMatcher, TrailingSlash, join_paths
from ._ws_origin import OriginCheck
from ._ws_routes import websocket_call
from .auth._access import access_for, check_auth, check_guards, resolve
from .compression import CompressionConfig, Compressor
from .cors import CORSConfig
from .engine import CompiledApp, Needs, RouteCall, RouteSpec
from .errors import ErrorFormatter, ErrorHandling
from .files import FileAccess, FileResponse
from .hosts import AllowedHosts
from .openapi.config import OpenAPIConfig
from .openapi.views import docs_routes

__all__ = ["BoltAPI", "RouteEntry"]

_V = TypeVar("_V", bound=type[Any])  # a class-based view, for api.view()/api.viewset()
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"})


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
        max_param_length: int = DEFAULT_MAX_PARAM_LENGTH,
        allowed_file_paths: Sequence[str | os.PathLike[str]] | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        cors: CORSConfig | None = None,
        allowed_hosts: Iterable[str] | AllowedHosts | None = None,
        debug: bool = False,
        lifespan: Lifespan | None = None,
        middleware: list[Any] | None = None,
        django_middleware: bool | list[str] | dict[str, list[str]] | None = None,
    ) -> None:
        if trailing_slash not in ("strip", "append", "keep"):
            raise ValueError(
                f"trailing_slash must be 'strip', 'append' or 'keep', got {trailing_slash!r}"
            )
        self.prefix = prefix
        self.trailing_slash: TrailingSlash = trailing_slash
        self._routes: list[RouteEntry] = []
        self._keys: dict[tuple[str, str], RouteEntry] = {}
        self._names: dict[str, RouteEntry] = {}
        self._errors = ErrorHandling(error_formatter)
        #: The OpenAPI document and docs pages (``/docs`` by default; see bolt_api.openapi).
        self.openapi_config = openapi_config if openapi_config is not None else OpenAPIConfig()
        #: Response compression: ``None`` = ``CompressionConfig()``, ``False`` = off. Read by
        #: :meth:`compile`, so Django's ``BOLT_COMPRESSION`` can still set it before serving.
        self.compression: CompressionConfig | Literal[False] | None = compression
        #: Longest accepted path/query/header/cookie/form value in characters (422 beyond).
        #: Read by :meth:`compile`, like :attr:`compression` (Django: ``BOLT_MAX_PARAM_LENGTH``).
        self.max_param_length = max_param_length
        #: Directories ``FileResponse``/``File`` may serve from (``None``: any file; outside
        #: them a 403). Read by :meth:`compile` (Django: ``BOLT_ALLOWED_FILE_PATHS``).
        self.allowed_file_paths = allowed_file_paths
        #: The backends and guards of this API's routes that (with their router) declare
        #: none; ``auth=[]`` on a route opts out (:mod:`bolt_api.auth`).
        self.auth = check_auth(auth, "BoltAPI")
        self.guards = check_guards(guards, "BoltAPI")
        #: The last defaults, for routes that neither they, their router nor their API
        #: declared: read by :meth:`compile`, so that Django's
        #: ``BOLT_AUTHENTICATION_CLASSES``/``BOLT_DEFAULT_PERMISSION_CLASSES`` can set them.
        self.default_auth: tuple[Any, ...] | None = None
        self.default_guards: tuple[Any, ...] | None = None
        if cors is not None and not isinstance(cors, CORSConfig):
            raise TypeError(f"cors= takes a CORSConfig, got {type(cors).__name__}")
        #: The CORS policy of every route without its own ``@cors`` (``None``: no CORS), and
        #: of routing misses. Read by :meth:`compile` (Django: the ``CORS_*`` settings,
        #: when this is ``None``).
        self.cors: CORSConfig | None = cors
        #: The ``Host`` names this API answers to (``None``: any; others get a 400). Read
        #: by :meth:`compile` (Django: ``ALLOWED_HOSTS``, when this is ``None``).
        self.allowed_hosts: AllowedHosts | None = _hosts(allowed_hosts)
        #: Whether a 500 shows the exception's type, message and traceback (never in
        #: production). Read by :meth:`compile` (Django: ``DEBUG``).
        self.debug = debug
        #: Django's URLconf or ASGI applications under prefixes (:meth:`mount_django`,
        #: :meth:`mount_asgi`), served after the API's own routes.
        self._mounts: list[Mount] = []
        #: Hand every request no Bolt route answers (a real miss, not a 405 or a 308) to
        #: Django's own handler, the project's URLconf and ``MIDDLEWARE``. Read by
        #: :meth:`compile`; ``runbolt`` turns it on (off: ``--no-django-fallback`` or
        #: ``BOLT_DJANGO_FALLBACK = False``).
        self.django_fallback = False
        #: Called with this API, an async context manager run around serving, in every
        #: serving process and by ``TestClient`` (:mod:`bolt_api._lifespan`).
        self.lifespan = lifespan
        #: The APIs whose lifespans this one runs, in order: itself, then those it merged
        #: or mounted (each is entered with its own API).
        self._lifespan_apis: list[BoltAPI] = [self]
        #: Middleware around every route of this API, outermost first
        #: (:mod:`bolt_api.middleware`); Django's (``django_middleware=``) outside it.
        self.middleware = check_middleware(middleware, "BoltAPI")
        self.django_middleware = check_django_middleware(django_middleware)

    @property
    def routes(self) -> tuple[RouteEntry, ...]:
        """The registered routes, in registration order (what :meth:`compile` serves)."""
        return tuple(self._routes)

    def _add(self, route: RouteDef, errors: ErrorHandling | None = None) -> None:
        handling = errors or self._errors
        if (
            (route.auth is None and self.auth is not None)
            or (route.guards is None and self.guards is not None)
            or self.middleware
            or (route.django_middleware is None and self.django_middleware is not None)
        ):
            route = dataclasses.replace(
                route,
                auth=route.auth if route.auth is not None else self.auth,
                guards=route.guards if route.guards is not None else self.guards,
                middleware=self.middleware + route.middleware,
                django_middleware=route.django_middleware or self.django_middleware,
            )
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
            needs = plan.needs | (Needs.HEADERS if _may_return_file(return_type) else 0)
            self._insert(RouteEntry(method, template, route, plan, return_type, needs, handling))

    def _insert(self, compiled: RouteEntry) -> None:
        # WebSocket routes are a table of their own (ENGINE_CONTRACT.md §8)
        method = "WEBSOCKET" if compiled.definition.websocket else compiled.method
        key = (method, compiled.template.shape)
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

    def check_middleware(self) -> None:
        """Resolve every route's middleware as :meth:`compile` does — Django stacks against
        ``settings.MIDDLEWARE``, their dotted paths imported, ``@skip_middleware`` names
        matched — and raise the first problem (``ValueError``, ``TypeError``,
        ``RuntimeError`` or Django's ``ImproperlyConfigured``). For ``manage.py check``:
        unlike ``compile()`` it builds no route and loads no key."""
        for entry in self._routes:
            layers, _ = route_middleware(entry.definition, _route_label(entry))
            for layer in layers:
                if is_django_layer(layer):
                    layer.load()

    def named_paths(self) -> dict[str, PathTemplate]:
        """Every route name and its path template (``bolt_django.urls`` turns them into
        Django URL patterns, so that ``reverse()`` knows them)."""
        return {name: entry.template for name, entry in self._names.items()}

    def mount(self, path: str, api: BoltAPI) -> None:
        """Serve every route of ``api`` under ``path``, with ``api``'s own error handling
        (and its lifespan, run after this API's: :mod:`bolt_api._lifespan`)."""
        if not isinstance(api, BoltAPI):
            raise TypeError(f"mount() takes a BoltAPI, got {type(api).__name__}")
        if api is self:
            raise ValueError("an API cannot mount itself")
        if api.cors is not None and api.cors != self.cors:
            raise ValueError(
                "the mounted API has a CORS policy of its own: give the outer API that "
                "cors= (one policy answers its routing misses and preflights), or the "
                "routes their own with @cors(...)"
            )
        if api.allowed_hosts is not None and api.allowed_hosts != self.allowed_hosts:
            raise ValueError(
                "the mounted API has allowed_hosts of its own: give them to the outer API "
                "(one list answers for every path it serves)"
            )
        for compiled in api._routes:
            definition = compiled.definition
            relative = compiled.template.source
            mounted = dataclasses.replace(
                definition, path=join_paths(path, relative), methods=(compiled.method,)
            )
            self._add(mounted, api._errors)
        self._lifespan_apis += api._lifespan_apis
        for inner in api._mounts:
            self._add_mount(inner.joined(path))

    def mount_django(self, path: str = "/", *, urlconf: str | None = None) -> None:
        """Serve Django's own URLconf under ``path``, through ``settings.MIDDLEWARE``: the
        admin, plain views, DRF. Django sees ``path`` as ``SCRIPT_NAME``, so its ``reverse()``
        and redirects carry the prefix. ``urlconf``: a URLconf module to resolve with instead
        of ``ROOT_URLCONF``. Bolt's own routes under ``path`` still win."""
        if urlconf is not None and not isinstance(urlconf, str):
            raise TypeError(f"urlconf= takes a dotted module path, got {type(urlconf).__name__}")
        self._add_mount(Mount(check_mount_path(path), "django", urlconf=urlconf))

    def mount_asgi(self, path: str, app: Any) -> None:
        """Serve the ASGI 3 application ``app`` under ``path`` (HTTP; ``scope["root_path"]``
        is the prefix, ``scope["path"]`` the full path). Bolt's own routes under ``path``
        still win; lifespan events are not sent to it."""
        self._add_mount(asgi_mount(path, app))

    def _add_mount(self, mount: Mount) -> None:
        if self.prefix:
            mount = mount.joined(self.prefix)
        for other in self._mounts:
            if other.path == mount.path:
                raise ValueError(f"{mount.path or '/'!r} is already mounted ({other.kind})")
        self._mounts.append(mount)

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

        ``guards``/``auth`` (else the class's) apply to every method (:mod:`bolt_api.auth`).
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
        and its ``@action`` methods. ``guards``/``auth`` (else the class's) apply to every
        action that does not declare its own."""

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
        """One API serving the routes of several; a ``METHOD path`` clash is a ValueError.

        Every API's lifespan runs, in the order given (:mod:`bolt_api._lifespan`)."""
        listed = list(apis)
        policies = {repr(api.cors) for api in listed}
        if len(policies) > 1:
            raise ValueError(
                "the APIs to merge have different CORS policies (cors=): one policy answers "
                "the merged API's misses and preflights; use @cors(...) per route instead"
            )
        if len({api.allowed_hosts for api in listed}) > 1:
            raise ValueError(
                "the APIs to merge have different allowed_hosts: one list answers for "
                "every path the merged API serves"
            )
        merged = cls(
            openapi_config=listed[0].openapi_config if listed else None,
            compression=listed[0].compression if listed else None,
            max_param_length=listed[0].max_param_length if listed else DEFAULT_MAX_PARAM_LENGTH,
            allowed_file_paths=listed[0].allowed_file_paths if listed else None,
            cors=listed[0].cors if listed else None,
            allowed_hosts=listed[0].allowed_hosts if listed else None,
        )
        if listed:
            merged.default_auth = listed[0].default_auth
            merged.default_guards = listed[0].default_guards
            merged.debug = listed[0].debug
        merged.django_fallback = any(api.django_fallback for api in listed)
        for api in listed:
            for compiled in api._routes:
                merged._insert(compiled)
            for mount in api._mounts:
                merged._add_mount(mount)
            merged._lifespan_apis += api._lifespan_apis
        return merged

    def compile(
        self,
        *,
        max_requests: int = 0,
        on_max_requests: Callable[[], None] | None = None,
        on_unhandled: Callable[[BaseException], None] | None = None,
        ablate: Collection[str] = (),
    ) -> CompiledApp:
        """The route table for an engine: every route, plus ``HEAD`` for each ``GET``.

        Each route's callable is built here, once, from its pipeline
        (:func:`bolt_api._pipeline.pipeline`). ``max_requests``: the process counts the
        requests it answers (routes and misses alike) and calls ``on_max_requests()`` once
        when the count reaches it (``--max-requests``); 0 counts nothing. ``ablate`` names
        optimisations to switch off (:data:`bolt_api._pipeline.ABLATIONS`), for the
        benchmark's ablation table only. ``on_unhandled``: told of every exception a
        handler raised that is answered with a 500 (the test client re-raises them).
        """
        unknown = set(ablate) - ABLATIONS
        if unknown:
            raise ValueError(
                f"unknown ablation(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(ABLATIONS))}"
            )
        if self.max_param_length not in MAX_PARAM_LENGTH_RANGE:
            raise ValueError(f"max_param_length must be 1..1048576, got {self.max_param_length}")
        counter = None
        if max_requests:
            if on_max_requests is None:
                raise ValueError("max_requests needs on_max_requests")
            counter = RequestCounter(max_requests, on_max_requests)
        config = self.compression
        compressor = None if config is False else Compressor(config or CompressionConfig())
        compress = None if compressor is None else compressor.apply
        files = FileAccess.under(self.allowed_file_paths)
        signals = request_signals()
        api_cors = None if self.cors is None else CORSPolicy(self.cors)
        hosts = self.allowed_hosts
        if hosts is not None and hosts.allows_any:
            hosts = None  # "*": no route gets a host stage
        policies: dict[int, CORSPolicy] = {}  # by id(RouteEntry), for the fallback
        explicit_head = {r.template.shape for r in self._routes if r.method == "HEAD"}
        specs: list[RouteSpec] = []
        entries: list[tuple[str, PathTemplate, RouteEntry]] = []
        heads: list[RouteSpec] = []
        errors = self._errors.for_route(None, debug=self.debug)
        if on_unhandled is not None:
            errors = errors.observed(on_unhandled)
        ws_specs: list[RouteSpec] = []
        for entry in self._routes:
            # one per route: its log line names the route
            handling = entry.errors.for_route(_route_label(entry), debug=self.debug)
            if on_unhandled is not None:
                handling = handling.observed(on_unhandled)
            if entry.plan.max_param_length != self.max_param_length:
                entry = dataclasses.replace(entry, plan=limited(entry.plan, self.max_param_length))
            backends, guards = resolve(entry.definition, self.default_auth, self.default_guards)
            if entry.definition.websocket:
                ws_specs.append(
                    _websocket_spec(
                        entry, handling, backends, guards, hosts, counter, OriginCheck(api_cors)
                    )
                )
                continue
            layers, skip = route_middleware(entry.definition, _route_label(entry))
            cors = None if skip & {"cors", "*"} else _route_cors(entry, self.cors, api_cors)
            if cors is not None:
                policies[id(entry)] = cors
            stages = pipeline(
                entry,
                compress=None if skip & {"compression", "*"} else compress,
                count=counter,
                files=files,
                ablate=ablate,
                access=access_for(backends, guards),
                signals=signals,
                cors=cors,
                hosts=hosts,
                limit=None if "rate_limit" in skip else limiter_for(entry, backends),
                middleware=layers,
            )
            call = assemble(stages, handling.handle_exception, handling.invalid)
            needs = entry.needs if not layers else Needs.ALL
            if stages.access is not None:
                needs |= stages.access.needs
            if stages.cors is not None:
                needs |= Needs.HEADERS
            if stages.hosts is not None:
                needs |= stages.hosts.needs
            if stages.limit is not None:
                needs |= stages.limit.needs
            if any(name == "compress" for name, _ in stages.respond):
                needs |= Needs.ACCEPT_ENCODING
            spec = RouteSpec(
                entry.method,
                entry.path,
                call,
                stages.is_async,
                needs,
                entry.name,
                stages.params,
            )
            specs.append(spec)
            entries.append((entry.method, entry.template, entry))
            if entry.method == "GET" and entry.template.shape not in explicit_head:
                heads.append(dataclasses.replace(spec, method="HEAD"))
                entries.append(("HEAD", entry.template, entry))
        specs += heads
        taken = {(method, template.shape) for method, template, _ in entries}
        for spec in docs_routes(self, taken, errors.handle_exception):
            if hosts is not None:
                checked = host_checked(
                    spec.call, hosts, spec.is_async, errors.handle_exception, None
                )
                spec = dataclasses.replace(spec, call=checked, needs=spec.needs | hosts.needs)
            if counter is not None:
                spec = dataclasses.replace(spec, call=counted(spec.call, counter))
            specs.append(spec)
        statics: list[Any] = list(STATIC_HEADERS)
        if compressor is not None:
            statics += [v for v in map(compressor.varied, STATIC_HEADERS) if v is not None]
        matcher = RouteMatcher(entries)
        redirect = trailing_slash_redirect(matcher, self.trailing_slash)
        fallback = make_fallback(redirect, errors)
        if policies or api_cors is not None:
            fallback = with_cors(fallback, api_cors, _policy_lookup(matcher, policies))
        if hosts is not None:
            fallback = host_checked_fallback(fallback, hosts, errors.handle_exception)
        mounts = list(self._mounts)
        if self.django_fallback and all(m.path for m in mounts):
            mounts.append(Mount("", "django", fallback=True))
        specs += mount_routes(
            mounts,
            specs,
            bolt_answer=bolt_answer(matcher, redirect, fallback),
            handle_exception=errors.handle_exception,
            counter=counter,
            hosts=hosts,
        )
        specs += ws_specs
        specs += asgi_websocket_routes(mounts, ws_specs, hosts=hosts)
        return CompiledApp(
            routes=tuple(specs),
            fallback=counted_fallback(fallback, counter),
            render_error=errors.render_error,
            static_headers=tuple(statics),
            # an engine answering misses itself would not count them, add CORS headers or
            # check the host
            not_found=(
                self._errors.static_not_found
                if counter is None and api_cors is None and hosts is None
                else None
            ),
            lifespan=combine([(api, api.lifespan) for api in self._lifespan_apis]),
        )


def _websocket_spec(
    entry: RouteEntry,
    handling: ErrorHandling,
    backends: tuple[Any, ...],
    guards: tuple[Any, ...],
    hosts: AllowedHosts | None,
    counter: RequestCounter | None,
    origins: OriginCheck,
) -> RouteSpec:
    """The engine route of a ``@api.websocket`` route. What HTTP routes get through their
    pipeline and a WebSocket route cannot honour is refused here, never ignored."""
    handler = entry.definition.handler
    label = _route_label(entry)
    if getattr(handler, "__bolt_cors__", None) is not None:
        raise ValueError(f"{label}: @cors is not supported on WebSocket routes")
    if getattr(handler, "__bolt_middleware__", ()):
        raise ValueError(
            f"{label}: @middleware wraps HTTP responses and cannot run on a WebSocket route"
        )
    call = websocket_call(
        entry.plan,
        handling,
        access_for(backends, guards),
        hosts,
        counter,
        origins,
        limiter_for(entry, backends),
    )
    # RouteSpec.call is typed for HTTP routes; websocket=True says it is a WebSocketCall
    return RouteSpec(
        "GET", entry.path, cast(RouteCall, call), True, Needs.ALL, entry.name, websocket=True
    )


def _hosts(value: Iterable[str] | AllowedHosts | None) -> AllowedHosts | None:
    """``allowed_hosts=`` as given: a list of names becomes an :class:`AllowedHosts`."""
    if value is None or isinstance(value, AllowedHosts):
        return value
    return AllowedHosts(value)


def _route_cors(
    entry: RouteEntry, api: CORSConfig | None, api_policy: CORSPolicy | None
) -> CORSPolicy | None:
    """The policy of ``entry``'s route: its ``@cors``, completed from the API's, else the
    API's own (one compiled policy shared by those routes)."""
    declared = getattr(entry.definition.handler, "__bolt_cors__", None)
    if declared is None:
        return api_policy
    return CORSPolicy(declared.resolve(api, f"{entry.method} {entry.template.source}"))


def _policy_lookup(
    matcher: RouteMatcher[RouteEntry], policies: dict[int, CORSPolicy]
) -> Callable[[str, str], CORSPolicy | None]:
    """``(method, path) -> `` the CORS policy of the route a preflight asks about."""

    def lookup(method: str, path: str) -> CORSPolicy | None:
        hit = matcher.match(method, path)
        return None if hit is None else policies.get(id(hit[0]))

    return lookup


def _route_label(entry: RouteEntry) -> str:
    """``GET /items/{item_id}, handler shop.api.item``: what the log says of a failing route."""
    return f"{entry.method} {entry.template.source}, handler {entry.name}"


def _describe(route: RouteDef) -> str:
    fn = route.handler
    where = ""
    with contextlib.suppress(TypeError, OSError):
        where = f" at {inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    return f"{getattr(fn, '__qualname__', fn)!s}{where}"
