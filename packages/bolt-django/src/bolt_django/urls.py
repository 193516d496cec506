"""Bolt's route names in Django's URLconf, so that ``reverse()`` and ``{% url %}`` know them.

In the project's ``urls.py``::

    urlpatterns = [
        path("admin/", admin.site.urls),
        path("", include("bolt_django.urls")),
    ]

Then ``reverse("item-detail", kwargs={"item_id": 3})`` and ``{% url "item-detail" item_id=3
%}`` give ``/items/3`` for a route declared with ``name="item-detail"``, as
``api.url_path_for`` does. Each named route of the discovered APIs (the ones ``runbolt``
serves) becomes one *reverse-only* entry: under ``runbolt`` Bolt answers those paths before
Django's handler is asked, so the entry's view only sees a request Bolt's router did not
take — and answers it 404, as Bolt would. ``{name}`` becomes ``<str:name>`` and
``{name:path}`` ``<path:name>``; the handler's own types are checked when Bolt serves the
request, not by ``reverse()``.

The patterns are built on first use (``urlpatterns`` is looked up lazily through the
module's ``__getattr__``), so importing this module needs no configured settings, and the
APIs are discovered when Django first resolves or reverses a URL, after every app is loaded.
"""

from __future__ import annotations

import threading
from typing import Any

from bolt_api import BoltAPI
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path

__all__ = ["build_urlpatterns", "urlpatterns"]

#: Declared, not assigned: the module's ``__getattr__`` builds it on first use.
urlpatterns: list[URLPattern]
_built: list[URLPattern] | None = None
_lock = threading.Lock()


def _not_here(request: HttpRequest, **_params: Any) -> HttpResponse:
    """The view of a reverse-only entry: Bolt serves the path; a request that reaches
    Django's handler here is one Bolt's router did not match."""
    raise Http404("served by Bolt")


def _django_route(segments: tuple[tuple[str, str], ...]) -> str:
    parts = []
    for kind, text in segments:
        if kind == "lit":
            parts.append(text)
        elif kind == "param":
            parts.append(f"<str:{text}>")
        else:
            parts.append(f"<path:{text}>")
    return "/".join(parts)


def build_urlpatterns(*apis: BoltAPI) -> list[URLPattern]:
    """One reverse-only URL pattern per named route of ``apis`` (see the module docstring).
    A name two APIs give to different paths is a ``ValueError``, as within one API."""
    seen: dict[str, str] = {}
    patterns: list[URLPattern] = []
    for api in apis:
        for name, template in api.named_paths().items():
            route = _django_route(template.segments)
            if name in seen:
                if seen[name] != route:
                    raise ValueError(
                        f"Route name {name!r} is used by two APIs for different paths: "
                        f"/{seen[name]} and {template.source}"
                    )
                continue
            seen[name] = route
            patterns.append(path(route, _not_here, name=name))
    return patterns


def _discovered() -> list[URLPattern]:
    from .discovery import discover_apis

    return build_urlpatterns(*(api for _, api in discover_apis()))


def __getattr__(name: str) -> Any:
    if name != "urlpatterns":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global _built
    with _lock:
        if _built is None:
            _built = _discovered()
        return _built
