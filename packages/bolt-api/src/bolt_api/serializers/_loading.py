"""The loading plan: which relations a serializer reads, as the ``select_related``,
``prefetch_related`` and ``only`` of the QuerySet that feeds it, so that reading a list of
rows costs one query per relation, not one per row (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._plans import plan_of

__all__ = ["LoadingPlan", "apply_plan", "loading_plan"]


@dataclass(frozen=True)
class LoadingPlan:
    """The QuerySet methods a serializer needs; ``only`` is ``None`` when some source is
    not a model column (a property, a method), so every column stays loaded."""

    select_related: tuple[str, ...]
    prefetch_related: tuple[str, ...]
    only: tuple[str, ...] | None


def _columns(model: Any) -> dict[str, Any]:
    meta = model._meta
    out = {}
    for model_field in meta.concrete_fields:
        out[model_field.name] = model_field
        out[model_field.attname] = model_field
    return out


def _walk(
    cls: Any,
    model: Any,
    prefix: str,
    in_prefetch: bool,
    select: list[str],
    prefetch: list[str],
    only: list[str] | None,
) -> list[str] | None:
    plan = plan_of(cls)
    columns = _columns(model) if model is not None else {}
    if only is not None and model is not None:
        only.append(prefix + model._meta.pk.name)
    for f in plan.fields:
        head = f.source[0]
        column = columns.get(head)
        if f.nested is not None or len(f.source) > 1:
            target = f.target if f.target is not None else column
            kind = "fk" if column is not None and column.is_relation else f.relation
            column_name = column.name if column is not None else head
            related = getattr(target, "related_model", None)
            if kind == "fk" and not in_prefetch:
                select.append(prefix + head)
                if only is not None:
                    only.append(prefix + column_name)
                sub_in_prefetch = False
            else:
                prefetch.append(prefix + head)
                sub_in_prefetch = True
                if kind == "fk" and only is not None:
                    only.append(prefix + column_name)
            if f.nested is not None and related is not None:
                sub_only = only if not sub_in_prefetch else None
                result = _walk(
                    f.nested,
                    related,
                    prefix + head + "__",
                    sub_in_prefetch,
                    select,
                    prefetch,
                    sub_only,
                )
                if not sub_in_prefetch:
                    only = result
            elif len(f.source) > 1:
                only = None
            continue
        if f.relation in ("m2m", "reverse"):
            prefetch.append(prefix + head)
            continue
        if column is not None and only is not None:
            only.append(prefix + column.name)
        elif column is None:
            only = None
    return only


def loading_plan(cls: Any, model: Any = None) -> LoadingPlan:
    """The :class:`LoadingPlan` of serializer ``cls`` over ``model`` (``Meta.model``)."""
    model = model if model is not None else cls.__bolt_decl__.options.model
    cache = cls.__dict__.get("__bolt_loading__")
    if cache is None:
        cache = {}
        type.__setattr__(cls, "__bolt_loading__", cache)
    if model in cache:
        return cache[model]  # type: ignore[no-any-return]
    select: list[str] = []
    prefetch: list[str] = []
    only = _walk(cls, model, "", False, select, prefetch, [] if model is not None else None)
    plan = LoadingPlan(
        tuple(dict.fromkeys(select)),
        tuple(dict.fromkeys(prefetch)),
        tuple(dict.fromkeys(only)) if only is not None else None,
    )
    cache[model] = plan
    return plan


def apply_plan(queryset: Any, plan: LoadingPlan) -> Any:
    """``queryset`` with the plan applied (unchanged for lists and other collections)."""
    if not hasattr(queryset, "select_related"):
        return queryset
    if plan.select_related:
        queryset = queryset.select_related(*plan.select_related)
    if plan.prefetch_related:
        queryset = queryset.prefetch_related(*plan.prefetch_related)
    if plan.only is not None and plan.only:
        queryset = queryset.only(*plan.only)
    return queryset
