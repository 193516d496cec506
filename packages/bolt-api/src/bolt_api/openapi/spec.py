"""Small OpenAPI objects for :class:`~bolt_api.openapi.OpenAPIConfig`.

Each may also be given as a plain dict in the document's own (camelCase) spelling; either
way :func:`to_spec` turns it into the JSON-ready value placed in the document.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["Components", "Contact", "ExternalDocumentation", "License", "Server", "Tag", "to_spec"]


class _SpecObject(msgspec.Struct, omit_defaults=True, rename="camel", kw_only=True):
    """Base: encodes with camelCase keys and without unset fields."""


class Contact(_SpecObject):
    name: str | None = None
    url: str | None = None
    email: str | None = None


class License(_SpecObject):
    name: str
    identifier: str | None = None
    url: str | None = None


class ExternalDocumentation(_SpecObject):
    url: str
    description: str | None = None


class Server(_SpecObject):
    url: str
    description: str | None = None
    variables: dict[str, Any] | None = None


class Tag(_SpecObject):
    name: str
    description: str | None = None
    external_docs: ExternalDocumentation | None = None


class Components(_SpecObject):
    """Extra components merged into the generated ones (``security_schemes`` for auth)."""

    schemas: dict[str, Any] = {}
    responses: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    examples: dict[str, Any] = {}
    request_bodies: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    links: dict[str, Any] = {}
    callbacks: dict[str, Any] = {}
    path_items: dict[str, Any] = {}


def to_spec(value: Any) -> Any:
    """``value`` (spec objects, dicts, lists, scalars) as plain JSON-ready data."""
    return msgspec.to_builtins(value)
