"""Parameters an engine may convert itself: the ``ParamSpec`` fast path of the contract.

Most handlers take a few plain ``str``/``int`` values from the path or the query. For those
routes, bolt-api publishes how each value is found and converted (:class:`ParamSpec`), so an
engine that can do it without Python (the Rust engine, before it takes the GIL) hands the
values over as ``request.bound`` and the route skips its generic binder. The rules are
deliberately narrower than the binder's: whatever an engine accepts by them, the binder would
turn into the very same value, and for everything else — ``"007"``, ``"1e3"``, a missing
required value — ``request.bound`` stays ``None`` and bolt-api binds the request, converting
what it can and answering 422 for the rest. What a request means
is decided here and in :mod:`bolt_api._binding`, never in an engine.
"""

from __future__ import annotations

from typing import Any

from ._binding import Plan
from .engine import ParamSpec

__all__ = ["param_specs"]


def _kind(binding: Any) -> str | None:
    """``"str"``/``"int"`` when the engine may convert the value, else ``None``."""
    if binding.kind != "scalar" or binding.source not in ("path", "query"):
        return None
    if binding.convert is None:  # str (or unannotated) without constraints: the raw text
        return "str"
    marker = binding.marker
    if binding.annotation is int and (marker is None or not marker.constraints()):
        return "int"
    return None


def param_specs(plan: Plan) -> tuple[ParamSpec, ...] | None:
    """The specs for ``plan``, or ``None`` when any parameter is not a plain path/query
    ``str``/``int`` (or the plan has dependencies, uploads, forms, a body, the request)."""
    if plan.has_scope or plan.any_async or not plan.bindings:
        return None
    specs = []
    for b in plan.bindings:
        kind = _kind(b)
        if kind is None:
            return None
        specs.append(
            ParamSpec(b.name, b.source, b.key, kind, b.required, b.default, plan.max_param_length)
        )
    return tuple(specs)
