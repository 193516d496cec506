"""OpenAPI 3.1: the document generated from an API's routes, and the pages that show it.

``BoltAPI(openapi_config=OpenAPIConfig(title="Shop", version="2.0"))`` serves, under
``/docs``: Swagger UI (``/docs``, ``/docs/swagger``), ReDoc (``/docs/redoc``), Scalar
(``/docs/scalar``), RapiDoc (``/docs/rapidoc``), Stoplight Elements (``/docs/stoplight``),
the document (``/docs/openapi.json``, ``/docs/openapi.yaml``) and the UIs' files
(``/docs/static/...``, from installed packages: no CDN). :func:`build_openapi_schema`
returns the document as a dict.
"""

from .config import OpenAPIConfig
from .plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    RenderContext,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from .schema import build_openapi_schema
from .spec import Components, Contact, ExternalDocumentation, License, Server, Tag

__all__ = [
    "Components",
    "Contact",
    "ExternalDocumentation",
    "JsonRenderPlugin",
    "License",
    "OpenAPIConfig",
    "OpenAPIRenderPlugin",
    "RapidocRenderPlugin",
    "RedocRenderPlugin",
    "RenderContext",
    "ScalarRenderPlugin",
    "Server",
    "StoplightRenderPlugin",
    "SwaggerRenderPlugin",
    "Tag",
    "YamlRenderPlugin",
    "build_openapi_schema",
]
