"""``OpenAPIConfig``: what the generated document says about the API and where it is served.

The names and defaults follow django-bolt's ``OpenAPIConfig``. ``BoltAPI(openapi_config=None)``
gets ``OpenAPIConfig()``: the title is then read from Django's ``PROJECT_NAME`` or
``SITE_NAME`` setting when Django is configured (else ``"API"``), the version is ``"1.0.0"``
and the docs are served under ``/docs``. ``OpenAPIConfig(enabled=False)`` serves nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .spec import Components, Contact, ExternalDocumentation, License, Server, Tag, to_spec

if TYPE_CHECKING:
    from .plugins import OpenAPIRenderPlugin

__all__ = ["OpenAPIConfig"]


def _default_servers() -> list[Server | dict[str, Any]]:
    return [Server(url="/")]


@dataclass
class OpenAPIConfig:
    """How the OpenAPI document is built and served.

    ``path`` is where the docs live: the UI pages (``render_plugins``; empty means Swagger UI
    at ``path`` and ``path/swagger``, ReDoc at ``path/redoc``, Scalar at ``path/scalar``,
    RapiDoc at ``path/rapidoc`` and Stoplight Elements at ``path/stoplight``), the document
    at ``path/openapi.json`` and ``path/openapi.yaml``, and the UIs' files under
    ``path/static/``. Routes whose path starts with one of ``exclude_paths`` are left out of
    the document.
    """

    title: str | None = None
    version: str = "1.0.0"
    contact: Contact | dict[str, Any] | None = None
    description: str | None = None
    external_docs: ExternalDocumentation | dict[str, Any] | None = None
    license: License | dict[str, Any] | None = None
    security: list[dict[str, list[str]]] | None = None
    components: Components | dict[str, Any] = field(default_factory=Components)
    servers: list[Server | dict[str, Any]] = field(default_factory=_default_servers)
    summary: str | None = None
    tags: list[Tag | dict[str, Any]] | None = None
    terms_of_service: str | None = None
    use_handler_docstrings: bool = True
    webhooks: dict[str, Any] | None = None
    path: str = "/docs"
    render_plugins: list[OpenAPIRenderPlugin] = field(default_factory=list)
    exclude_paths: list[str] = field(default_factory=lambda: ["/admin", "/static"])
    include_error_responses: bool = True
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"OpenAPIConfig.path must start with '/', got {self.path!r}")
        self.path = self.path.rstrip("/") or "/"

    def resolved_title(self) -> str:
        """``title``, else Django's ``PROJECT_NAME``/``SITE_NAME`` setting, else ``"API"``."""
        if self.title:
            return self.title
        conf = sys.modules.get("django.conf")
        settings = getattr(conf, "settings", None)
        try:
            if settings is not None and settings.configured:
                for name in ("PROJECT_NAME", "SITE_NAME"):
                    value = getattr(settings, name, None)
                    if isinstance(value, str) and value:
                        return value
        except Exception:  # a half-configured Django must not break the docs
            pass
        return "API"

    def info(self) -> dict[str, Any]:
        """The document's ``info`` object."""
        info: dict[str, Any] = {"title": self.resolved_title(), "version": self.version}
        if self.summary:
            info["summary"] = self.summary
        if self.description:
            info["description"] = self.description
        if self.terms_of_service:
            info["termsOfService"] = self.terms_of_service
        if self.contact is not None:
            info["contact"] = to_spec(self.contact)
        if self.license is not None:
            info["license"] = to_spec(self.license)
        return info

    def url(self, suffix: str) -> str:
        """The absolute URL path of ``suffix`` (``"/openapi.json"``) under :attr:`path`."""
        if suffix in ("", "/"):
            return self.path
        return (self.path if self.path != "/" else "") + "/" + suffix.lstrip("/")
