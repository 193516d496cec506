"""The docs routes: UI pages, the JSON and YAML documents and the UIs' static files.

``BoltAPI.compile()`` appends these routes to the engine's route table (they are not API
routes: ``api.routes`` does not list them and the document does not describe them). The
document is generated on the first request that needs it and cached; so is every rendered
page and static file. A route the API declares itself wins over a docs route of the same
method and shape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._routing import PathTemplate
from ..engine import Needs, Request, ResponseTuple, RouteSpec
from ..exceptions import NotFound
from .assets import content_type
from .plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RenderContext,
    YamlRenderPlugin,
    default_plugins,
)
from .schema import build_openapi_schema

if TYPE_CHECKING:
    from .._app import BoltAPI
    from .config import OpenAPIConfig

__all__ = ["DocsSite", "docs_routes"]

ExceptionHandler = Callable[[BaseException, Request], ResponseTuple]
_TEXT = (("content-type", "text/plain; charset=utf-8"),)
STATIC_CACHE_CONTROL = "public, max-age=3600"


class DocsSite:
    """The docs of one API: its plugins, the cached document, pages and static files."""

    def __init__(
        self, api: BoltAPI, config: OpenAPIConfig, handle_exception: ExceptionHandler | None = None
    ) -> None:
        self.api = api
        self.config = config
        self.handle_exception = handle_exception
        plugins = list(config.render_plugins) or default_plugins()
        paths = {p.path for p in plugins}
        for document in (
            JsonRenderPlugin(),
            YamlRenderPlugin(),
            YamlRenderPlugin(path="/openapi.yml"),
        ):
            if document.path not in paths:
                plugins.append(document)
                paths.add(document.path)
        self.plugins = plugins
        json_plugin = next(p for p in plugins if isinstance(p, JsonRenderPlugin))
        self.static_url = config.url("/static")
        self.context = RenderContext(
            title=config.resolved_title(),
            openapi_url=config.url(json_plugin.path),
            static_url=self.static_url,
            schema=self.schema,
        )
        self._schema: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def schema(self) -> dict[str, Any]:
        """The OpenAPI document, generated once."""
        if self._schema is None:
            with self._lock:
                if self._schema is None:
                    self._schema = build_openapi_schema(self.api, self.config)
        return self._schema

    def static_files(self) -> dict[str, Any]:
        """``"<ui>/<file>"`` -> path on disk, for every UI whose page loads local files."""
        files: dict[str, Any] = {}
        for plugin in self.plugins:
            bundle = plugin.bundle
            if bundle is not None and plugin.uses_local_assets():
                for name, path in bundle.files().items():
                    files[f"{bundle.name}/{name}"] = path
        return files

    # -- route callables -------------------------------------------------------------------

    def page(self, plugin: OpenAPIRenderPlugin) -> Callable[[Request], ResponseTuple]:
        cache: list[ResponseTuple] = []

        def call(request: Request) -> ResponseTuple:
            if cache:
                return cache[0]
            try:
                missing = plugin.missing_assets()
                if missing is not None:
                    return 501, _TEXT, missing.encode()
                body = plugin.render(self.context)
                data = body.encode() if isinstance(body, str) else body
                response: ResponseTuple = (200, (("content-type", plugin.media_type),), data)
            except Exception as exc:
                if self.handle_exception is None:
                    raise
                return self.handle_exception(exc, request)
            cache.append(response)
            return response

        return call

    def static(self) -> Callable[[Request], ResponseTuple]:
        files: dict[str, Any] | None = None
        cache: dict[str, ResponseTuple] = {}
        lock = threading.Lock()

        def call(request: Request) -> ResponseTuple:
            nonlocal files
            name = (request.path_params or {}).get("rest", "")
            hit = cache.get(name)
            if hit is not None:
                return hit
            with lock:
                if files is None:
                    files = self.static_files()
                path = files.get(name)
                if path is None:
                    if self.handle_exception is None:
                        return 404, _TEXT, b"Not Found"
                    return self.handle_exception(NotFound("Not Found"), request)
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    if self.handle_exception is None:
                        raise
                    return self.handle_exception(exc, request)
                response: ResponseTuple = (
                    200,
                    (("content-type", content_type(name)), ("cache-control", STATIC_CACHE_CONTROL)),
                    data,
                )
                cache[name] = response
                return response

        return call

    def routes(self) -> list[tuple[str, Callable[[Request], ResponseTuple]]]:
        """``(path template, callable)`` for every docs route."""
        out: list[tuple[str, Callable[[Request], ResponseTuple]]] = []
        root_done = False
        for plugin in self.plugins:
            call = self.page(plugin)
            if not root_done and plugin.media_type.startswith("text/html"):
                out.append((self.config.path, call))
                root_done = True
            out.append((self.config.url(plugin.path), call))
        if any(p.bundle is not None and p.uses_local_assets() for p in self.plugins):
            out.append((self.static_url + "/{rest:path}", self.static()))
        return out


def docs_routes(
    api: BoltAPI, taken: set[tuple[str, str]], handle_exception: ExceptionHandler | None = None
) -> list[RouteSpec]:
    """The engine routes serving ``api``'s docs (``GET`` and ``HEAD``), none when disabled.

    ``taken`` holds the ``(method, shape)`` of the API's own routes, which win.
    """
    config = api.openapi_config
    if not config.enabled:
        return []
    site = DocsSite(api, config, handle_exception)
    specs: list[RouteSpec] = []
    seen: set[str] = set()
    for path, call in site.routes():
        template = PathTemplate.parse(path)
        if template.shape in seen:
            continue
        seen.add(template.shape)
        for method in ("GET", "HEAD"):
            if (method, template.shape) in taken:
                continue
            specs.append(
                RouteSpec(
                    method,
                    template.engine_path,
                    call,
                    False,
                    Needs.NONE,
                    f"bolt_api.openapi.docs:{path}",
                )
            )
    return specs
