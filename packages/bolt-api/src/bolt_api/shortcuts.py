"""Django template shortcuts for handlers: ``render`` as django-bolt (and ``django.shortcuts``)
spell it.

The request is passed to the template engine, so context processors see it: ``request.user``,
``request.META`` (``csrf``'s token is kept there) and the rest of the request object's
Django-style members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._response import HTML, Response
from .engine import Request

__all__ = ["render"]


def render(
    request: Request | None,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    content_type: str | None = None,
    status: int = 200,
    using: str | None = None,
) -> Response:
    """The template ``template_name`` rendered with ``context`` by Django's template loader,
    as ``text/html`` (or ``content_type``) with ``status``."""
    from django.template import loader

    content = loader.render_to_string(template_name, context, request, using=using)  # type: ignore[arg-type]
    if content_type is None:
        return HTML(content, status_code=status)
    return Response(content, status_code=status, media_type=content_type)
