"""Declarative filtering, ordering and search for list endpoints.

A :class:`FilterSet` is a msgspec Struct whose fields are query parameters: bound as a
query group (``filters: Annotated[BookFilter, Query()]``), it is typed, validated (every
error in one 422) and shown in OpenAPI like any other query parameters; ``apply(queryset)``
turns the parameters the request sent into ``filter()``, ``order_by()`` and a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import StructMeta

from .exceptions import RequestValidationError

__all__ = ["FilterSet", "FilterSetMeta", "Lookup"]

#: The Django lookups a :class:`Lookup` may name.
_LOOKUPS = frozenset(
    {
        "exact",
        "iexact",
        "contains",
        "icontains",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "range",
        "isnull",
        "date",
        "year",
        "month",
        "day",
        "week_day",
        "hour",
    }
)


@dataclass(frozen=True)
class Lookup:
    """One filter: the model ``field`` (the parameter's name by default; ``author__name``
    follows relations) compared with ``lookup``. An unsent parameter filters nothing."""

    lookup: str = "exact"
    field: str | None = None
    default: Any = None

    def __post_init__(self) -> None:
        if self.lookup not in _LOOKUPS:
            raise ValueError(
                f"unknown lookup {self.lookup!r} (known: {', '.join(sorted(_LOOKUPS))})"
            )


@dataclass(frozen=True)
class _Plan:
    lookups: tuple[tuple[str, str], ...]  # (attribute, "field__lookup")
    ordering: tuple[str, ...]
    search: tuple[str, ...]


class FilterSetMeta(StructMeta):
    """Reads ``Lookup(...)`` defaults and ``Meta.ordering`` / ``Meta.search`` (adding the
    ``ordering`` and ``search`` parameters) when a filter set class is created."""

    def __new__(
        mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> FilterSetMeta:
        ns = dict(namespace)
        meta = ns.pop("Meta", None)
        inherited: _Plan | None = next(
            (getattr(b, "__bolt_filters__", None) for b in bases if hasattr(b, "__bolt_filters__")),
            None,
        )
        lookups = dict(inherited.lookups) if inherited else {}
        ordering = tuple(getattr(meta, "ordering", inherited.ordering if inherited else ()))
        search = tuple(getattr(meta, "search", inherited.search if inherited else ()))
        annotations = dict(ns.get("__annotations__", {}))
        for key, value in list(ns.items()):
            if isinstance(value, Lookup):
                field = value.field or key
                lookups[key] = field if value.lookup == "exact" else f"{field}__{value.lookup}"
                ns[key] = value.default
        reserved = {"ordering"} if ordering else set()
        reserved |= {"search"} if search else set()
        for key in annotations:
            if key in reserved or key.startswith("_"):
                continue
            if key not in ns and key not in lookups:
                lookups[key] = key
                ns[key] = None  # a plain annotation: an exact match, optional
        if ordering and "ordering" not in annotations:
            annotations["ordering"] = "str | None"
            ns["ordering"] = None
        if search and "search" not in annotations:
            annotations["search"] = "str | None"
            ns["search"] = None
        ns["__annotations__"] = annotations
        ns["__bolt_filters__"] = _Plan(tuple(lookups.items()), ordering, search)
        kwargs.setdefault("kw_only", True)
        kwargs.setdefault("forbid_unknown_fields", False)
        cls = super().__new__(mcls, name, bases, ns, **kwargs)
        return cls


class FilterSet(msgspec.Struct, metaclass=FilterSetMeta, kw_only=True):
    """Query parameters that filter, order and search a QuerySet (docs/serializers.md)."""

    def apply(self, queryset: Any) -> Any:
        """``queryset`` filtered by every parameter sent (``None`` and ``[]`` are "not
        sent"), searched, then ordered; a disallowed ``ordering`` is a 422."""
        plan: _Plan = type(self).__bolt_filters__  # type: ignore[attr-defined]
        criteria = {}
        for attribute, lookup in plan.lookups:
            value = getattr(self, attribute)
            if value is None or value is msgspec.UNSET or (isinstance(value, list) and not value):
                continue
            criteria[lookup] = value
        if criteria:
            queryset = queryset.filter(**criteria)
        if plan.search:
            queryset = _search(queryset, getattr(self, "search", None), plan.search)
        if plan.ordering:
            keys = _ordering(getattr(self, "ordering", None), plan.ordering)
            if keys:
                queryset = queryset.order_by(*keys)
        return queryset


def _search(queryset: Any, text: str | None, fields: Sequence[str]) -> Any:
    """Every word of ``text`` in one of ``fields`` (``icontains``), as DRF's SearchFilter."""
    if not text or not text.strip():
        return queryset
    from django.db.models import Q

    for term in text.split():
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(condition)
    return queryset.distinct()


def _ordering(value: str | None, allowed: Sequence[str]) -> list[str]:
    if not value:
        return []
    keys = [key.strip() for key in value.split(",") if key.strip()]
    refused = [key for key in keys if key.lstrip("-") not in allowed]
    if refused:
        raise RequestValidationError(
            [
                {
                    "type": "validation_error",
                    "loc": ["query", "ordering"],
                    "msg": f"Cannot order by {refused[0]!r} (allowed: {', '.join(allowed)})",
                    "input": value,
                }
            ]
        )
    return keys
