"""The route table, matched with bolt-api's reference matcher.

The engine contract's matching rules are implemented once, in
:class:`bolt_api._routing.RouteMatcher`, and this engine uses it as is. The matcher takes
:class:`~bolt_api._routing.PathTemplate` objects while a :class:`~bolt_api.engine.RouteSpec`
carries its path in engine syntax (``/items/{id}``, ``/files/{*rest}``), so this module reads
that syntax back into template segments — a few lines, no routing logic of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from bolt_api.engine import PathTemplate, RouteCall, RouteMatcher, RouteSpec

__all__ = ["Route", "build_matcher", "engine_template"]

#: What a match yields: the route's callable and whether it returns a coroutine.
Route: TypeAlias = tuple[RouteCall, bool]


def engine_template(path: str) -> PathTemplate:
    """The :class:`PathTemplate` for an engine-syntax path (``{name}``, ``{*name}``)."""
    if not path.startswith("/"):
        raise ValueError(f"engine route path {path!r} must start with '/'")
    body = path[1:]
    segments: list[tuple[str, str]] = []
    raw = body.split("/") if body else []
    for index, seg in enumerate(raw):
        if seg.startswith("{*") and seg.endswith("}") and len(seg) > 3:
            if index != len(raw) - 1:
                raise ValueError(f"engine route path {path!r}: {seg!r} must be the last segment")
            segments.append(("rest", seg[2:-1]))
        elif seg.startswith("{") and seg.endswith("}") and len(seg) > 2:
            segments.append(("param", seg[1:-1]))
        else:
            segments.append(("lit", seg))
    return PathTemplate(path, tuple(segments))


def build_matcher(routes: Iterable[RouteSpec]) -> RouteMatcher[Route]:
    """A matcher from ``(method, raw path)`` to ``(call, is_async)``."""
    return RouteMatcher(
        (spec.method, engine_template(spec.path), (spec.call, spec.is_async)) for spec in routes
    )
