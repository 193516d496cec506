"""Writing a validated serializer to the database: columns and foreign keys on the model
instance, many-to-many fields after it is saved, all in one transaction; an id that names
no row is a 422 for that field, not an ``IntegrityError``'s 500."""

from __future__ import annotations

from typing import Any

import msgspec

from ..exceptions import RequestValidationError
from ._decl import FieldPlan, Plan

__all__ = ["check_relations", "model_of", "split_values", "save"]


def model_of(cls: Any, model: Any = None) -> Any:
    """The model a serializer writes (``model`` or ``Meta.model``)."""
    chosen = model if model is not None else cls.__bolt_decl__.options.model
    if chosen is None:
        raise TypeError(f"{cls.__qualname__} has no Meta.model: pass the model class")
    return chosen


def _writable(f: FieldPlan, modelled: bool) -> bool:
    """Whether ``f`` is written: not read-only, not nested, one attribute; for a model
    serializer also a model field (a declared extra field is input only)."""
    if f.read_only or f.nested is not None or len(f.source) != 1:
        return False
    return f.target is not None or not modelled


def split_values(obj: Any, plan: Plan) -> tuple[dict[str, Any], dict[str, tuple[FieldPlan, Any]]]:
    """``(columns, many_to_many)`` of ``obj``: attribute -> value for the model instance
    (a foreign key by its ``<name>_id``), and the many-to-many id lists, unset (``UNSET``)
    values left out."""
    columns: dict[str, Any] = {}
    m2m: dict[str, tuple[FieldPlan, Any]] = {}
    modelled = any(f.target is not None for f in plan.fields)
    for f in plan.fields:
        if not _writable(f, modelled):
            continue
        value = getattr(obj, f.name)
        if value is msgspec.UNSET:
            continue
        if f.relation == "m2m":
            m2m[f.source[0]] = (f, list(value))
        else:
            columns[f.source[0]] = value
    return columns, m2m


def check_relations(
    plan: Plan, columns: dict[str, Any], m2m: dict[str, tuple[FieldPlan, Any]]
) -> None:
    """Every foreign-key and many-to-many id names a row (one query per relation)."""
    errors: list[dict[str, Any]] = []
    for f in plan.fields:
        if f.relation != "fk" or f.nested is not None or f.source[0] not in columns:
            continue
        value = columns[f.source[0]]
        if value is None:
            continue
        target = f.target.target_field.name
        if not f.target.related_model._default_manager.filter(**{target: value}).exists():
            errors.append(_missing(["body", f.wire], value))
    for f, ids in m2m.values():
        if not ids:
            continue
        manager = f.target.related_model._default_manager
        found = {str(pk) for pk in manager.filter(pk__in=ids).values_list("pk", flat=True)}
        errors.extend(
            _missing(["body", f.wire, index], pk)
            for index, pk in enumerate(ids)
            if str(pk) not in found
        )
    if errors:
        raise RequestValidationError(errors)


def _missing(loc: list[Any], value: Any) -> dict[str, Any]:
    return {
        "type": "does_not_exist",
        "loc": loc,
        "msg": f'Invalid pk "{value}" - object does not exist.',
        "input": value,
    }


def save(obj: Any, plan: Plan, model: Any, instance: Any = None) -> Any:
    """Create (``instance=None``) or update ``instance`` from ``obj``, many-to-many fields
    included, inside ``transaction.atomic()``; returns the saved model instance."""
    from django.db import transaction

    columns, m2m = split_values(obj, plan)
    check_relations(plan, columns, m2m)
    with transaction.atomic():
        target = model(**columns) if instance is None else instance
        if instance is not None:
            for name, value in columns.items():
                setattr(target, name, value)
        target.save()
        for name, (_f, ids) in m2m.items():
            getattr(target, name).set(ids)
    return target
