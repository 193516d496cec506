"""Render plugins: the pages and documents served under ``OpenAPIConfig.path``.

Each plugin answers one path (relative to the docs path) with one media type. The UI plugins
(Swagger UI, ReDoc, Scalar, RapiDoc) render a small HTML page that loads the UI from
``<docs>/static/<ui>/...`` — files served by Bolt itself from an installed package (see
:mod:`bolt_api.openapi.assets`), so the docs work on a machine without internet. The ``*_url``
arguments point a UI at other files (a CDN, a newer build) instead.
"""

from __future__ import annotations

import html
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec

from .assets import RAPIDOC, REDOC, SCALAR, STOPLIGHT, SWAGGER_UI, AssetBundle

__all__ = [
    "JsonRenderPlugin",
    "OpenAPIRenderPlugin",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "RenderContext",
    "ScalarRenderPlugin",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "YamlRenderPlugin",
    "default_plugins",
]

HTML_MEDIA_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RenderContext:
    """What a plugin may use to render its page."""

    title: str
    #: Absolute URL path of the JSON document (``/docs/openapi.json``).
    openapi_url: str
    #: Absolute URL path the UIs' static files are served under (``/docs/static``).
    static_url: str
    #: The document (built on first call, then cached).
    schema: Callable[[], dict[str, Any]]


def _script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


class OpenAPIRenderPlugin:
    """Base class: one page or document at ``path`` (relative to the docs path)."""

    #: The static files this plugin's page loads, when it loads any.
    bundle: ClassVar[AssetBundle | None] = None

    def __init__(
        self,
        *,
        path: str,
        media_type: str = HTML_MEDIA_TYPE,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"render plugin path must start with '/', got {path!r}")
        self.path = path
        self.media_type = media_type
        self.favicon = favicon
        self.style = style

    def render(self, context: RenderContext) -> str | bytes:
        """The page or document body."""
        raise NotImplementedError

    def uses_local_assets(self) -> bool:
        """True when the page loads files served by Bolt (no ``*_url`` override)."""
        return self.bundle is not None

    def missing_assets(self) -> str | None:
        """Why the page cannot work (its UI files are not installed), or ``None``."""
        bundle = self.bundle
        if bundle is None or not self.uses_local_assets() or bundle.available:
            return None
        return (
            f"The {bundle.name} files are not installed: no installed package ships them "
            f"({', '.join(p for p, _ in bundle.providers)}). Install one with: "
            f"{bundle.install_hint}"
        )

    def asset(self, context: RenderContext, name: str) -> str:
        """The URL of one of this plugin's static files."""
        assert self.bundle is not None
        return f"{context.static_url}/{self.bundle.name}/{name}"

    def _favicon(self, context: RenderContext) -> str:
        if self.favicon is not None:
            return self.favicon
        if self.uses_local_assets() and "favicon-32x32.png" in SWAGGER_UI.files():
            return f"{context.static_url}/{SWAGGER_UI.name}/favicon-32x32.png"
        return ""

    def _page(self, context: RenderContext, head: str, body: str) -> str:
        favicon = self._favicon(context)
        icon = f'<link rel="icon" href="{_attr(favicon)}">' if favicon else ""
        style = f"<style>{self.style}</style>" if self.style else ""
        return (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(context.title)}</title>\n{icon}\n{head}\n{style}\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n"
        )


class SwaggerRenderPlugin(OpenAPIRenderPlugin):
    """Swagger UI. ``options`` are extra ``SwaggerUIBundle({...})`` settings."""

    bundle = SWAGGER_UI

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        css_url: str | None = None,
        standalone_preset_js_url: str | None = None,
        path: str = "/swagger",
        options: dict[str, Any] | None = None,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        super().__init__(path=path, favicon=favicon, style=style)
        #: Informational only: the local files are whatever the installed package ships.
        self.version = version
        self.js_url = js_url
        self.css_url = css_url
        self.standalone_preset_js_url = standalone_preset_js_url
        self.options = dict(options or {})

    def uses_local_assets(self) -> bool:
        return not (self.js_url and self.css_url and self.standalone_preset_js_url)

    def render(self, context: RenderContext) -> str:
        js = self.js_url or self.asset(context, "swagger-ui-bundle.js")
        preset = self.standalone_preset_js_url or self.asset(
            context, "swagger-ui-standalone-preset.js"
        )
        css = self.css_url or self.asset(context, "swagger-ui.css")
        settings = {
            "url": context.openapi_url,
            "dom_id": "#swagger-ui",
            "deepLinking": True,
            "validatorUrl": None,
            "layout": "BaseLayout",
            "showExtensions": True,
            "showCommonExtensions": True,
            **self.options,
        }
        head = f'<link rel="stylesheet" type="text/css" href="{_attr(css)}">'
        body = (
            f'<div id="swagger-ui"></div>\n<script src="{_attr(js)}"></script>\n'
            f'<script src="{_attr(preset)}"></script>\n<script>\n'
            f"const settings = {_script_json(settings)};\n"
            "settings.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];\n"
            "window.ui = SwaggerUIBundle(settings);\n</script>"
        )
        return self._page(context, head, body)


class RedocRenderPlugin(OpenAPIRenderPlugin):
    """ReDoc. ``options`` become ``<redoc>`` attributes (``{"hide-download-button": True}``)."""

    bundle = REDOC

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        google_fonts: bool = False,
        path: str = "/redoc",
        options: dict[str, Any] | None = None,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        super().__init__(path=path, favicon=favicon, style=style)
        self.version = version
        self.js_url = js_url
        self.google_fonts = google_fonts
        self.options = dict(options or {})

    def uses_local_assets(self) -> bool:
        return not self.js_url

    def render(self, context: RenderContext) -> str:
        js = self.js_url or self.asset(context, "redoc.standalone.js")
        attrs = "".join(
            f" {_attr(k)}" if v is True else f' {_attr(k)}="{_attr(str(v))}"'
            for k, v in self.options.items()
            if v is not False and v is not None
        )
        head = "<style>body { margin: 0; padding: 0; }</style>"
        if self.google_fonts:
            head += (
                '\n<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,'
                '700|Roboto:300,400,700" rel="stylesheet">'
            )
        body = (
            f'<redoc spec-url="{_attr(context.openapi_url)}"{attrs}></redoc>\n'
            f'<script src="{_attr(js)}"></script>'
        )
        return self._page(context, head, body)


class ScalarRenderPlugin(OpenAPIRenderPlugin):
    """Scalar API reference. ``options`` are Scalar configuration settings."""

    bundle = SCALAR

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        path: str = "/scalar",
        options: dict[str, Any] | None = None,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        super().__init__(path=path, favicon=favicon, style=style)
        self.version = version
        self.js_url = js_url
        self.options = dict(options or {})

    def uses_local_assets(self) -> bool:
        return not self.js_url

    def render(self, context: RenderContext) -> str:
        js = self.js_url or self.asset(context, "scalar.standalone.js")
        # No web fonts from Scalar's CDN: the page must work offline.
        configuration = {"withDefaultFonts": False, **self.options}
        body = (
            f'<script id="api-reference" data-url="{_attr(context.openapi_url)}" '
            f'data-configuration="{_attr(json.dumps(configuration))}"></script>\n'
            f'<script src="{_attr(js)}"></script>'
        )
        return self._page(context, "", body)


class RapidocRenderPlugin(OpenAPIRenderPlugin):
    """RapiDoc. ``options`` become ``<rapi-doc>`` attributes."""

    bundle = RAPIDOC

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        path: str = "/rapidoc",
        options: dict[str, Any] | None = None,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        super().__init__(path=path, favicon=favicon, style=style)
        self.version = version
        self.js_url = js_url
        self.options = {"render-style": "read", "show-header": "false", **(options or {})}

    def uses_local_assets(self) -> bool:
        return not self.js_url

    def render(self, context: RenderContext) -> str:
        js = self.js_url or self.asset(context, "rapidoc-min.js")
        attrs = "".join(f' {_attr(k)}="{_attr(str(v))}"' for k, v in self.options.items())
        body = (
            f'<rapi-doc spec-url="{_attr(context.openapi_url)}"{attrs}></rapi-doc>\n'
            f'<script type="module" src="{_attr(js)}"></script>'
        )
        return self._page(context, "", body)


class StoplightRenderPlugin(OpenAPIRenderPlugin):
    """Stoplight Elements. ``options`` become ``<elements-api>`` attributes."""

    bundle = STOPLIGHT

    def __init__(
        self,
        *,
        version: str | None = None,
        js_url: str | None = None,
        css_url: str | None = None,
        path: str = "/stoplight",
        options: dict[str, Any] | None = None,
        favicon: str | None = None,
        style: str | None = None,
    ) -> None:
        super().__init__(path=path, favicon=favicon, style=style)
        self.version = version
        self.js_url = js_url
        self.css_url = css_url
        self.options = {"router": "hash", "layout": "sidebar", **(options or {})}

    def uses_local_assets(self) -> bool:
        return not (self.js_url and self.css_url)

    def render(self, context: RenderContext) -> str:
        js = self.js_url or self.asset(context, "js/web-components.min.js")
        css = self.css_url or self.asset(context, "css/styles.min.css")
        attrs = "".join(f' {_attr(k)}="{_attr(str(v))}"' for k, v in self.options.items())
        head = (
            f'<script src="{_attr(js)}"></script>\n'
            f'<link rel="stylesheet" href="{_attr(css)}">\n'
            "<style>html, body { height: 100%; margin: 0; }</style>"
        )
        body = (
            f'<elements-api apiDescriptionUrl="{_attr(context.openapi_url)}"{attrs}></elements-api>'
        )
        return self._page(context, head, body)


class JsonRenderPlugin(OpenAPIRenderPlugin):
    """The document as JSON."""

    def __init__(
        self, *, path: str = "/openapi.json", media_type: str = "application/vnd.oai.openapi+json"
    ) -> None:
        super().__init__(path=path, media_type=media_type)

    def render(self, context: RenderContext) -> bytes:
        return msgspec.json.encode(context.schema())


class YamlRenderPlugin(OpenAPIRenderPlugin):
    """The document as YAML (needs PyYAML, a dependency of bolt-api)."""

    def __init__(
        self, *, path: str = "/openapi.yaml", media_type: str = "text/yaml; charset=utf-8"
    ) -> None:
        super().__init__(path=path, media_type=media_type)

    def missing_assets(self) -> str | None:
        try:
            importlib.import_module("yaml")
        except ImportError:
            return "The YAML document needs PyYAML: pip install pyyaml"
        return None

    def render(self, context: RenderContext) -> str:
        yaml: Any = importlib.import_module("yaml")
        text: str = yaml.safe_dump(
            context.schema(), sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        return text


def default_plugins() -> list[OpenAPIRenderPlugin]:
    """The pages served when ``OpenAPIConfig.render_plugins`` is empty (the first UI is also
    served at the docs path itself)."""
    return [
        SwaggerRenderPlugin(),
        RedocRenderPlugin(),
        ScalarRenderPlugin(),
        RapidocRenderPlugin(),
        StoplightRenderPlugin(),
    ]
