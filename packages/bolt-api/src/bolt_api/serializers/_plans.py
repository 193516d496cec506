"""A serializer's plan, built on first use once its annotations resolve: each field's
source, relation and nesting, its validators, and its two wire shapes — what a request
body may carry (no read-only fields) and what a response carries (no write-only fields,
plus computed fields, nested serializers in their output shape). Both shapes are plain
msgspec Structs, so decoding, encoding and the OpenAPI schema stay msgspec's own work."""

from __future__ import annotations

import typing
from typing import Any, get_args

import msgspec

from ._decl import NODEFAULT, ComputedPlan, Decl, FieldPlan, Plan, nested_of, strip_annotated
from ._fields import struct_field
from ._model import relation_kind

__all__ = ["build_plan", "is_serializer", "plan_of"]


def is_serializer(tp: Any) -> bool:
    """Whether ``tp`` is a Serializer class (a subclass of the base, not the base)."""
    return (
        isinstance(tp, type) and hasattr(tp, "__bolt_decl__") and "__bolt_root__" not in tp.__dict__
    )


def _output_annotation(field_plan: FieldPlan) -> Any:
    if field_plan.nested is None:
        return field_plan.type
    inner = plan_of(field_plan.nested).output_type
    tp: Any = list[inner] if field_plan.many else inner  # type: ignore[valid-type]
    if type(None) in get_args(strip_annotated(field_plan.type)):
        tp = tp | None
    return tp


def _nested_views(field_plan: FieldPlan, cls: Any) -> bool:
    if field_plan.nested is None or field_plan.nested is cls:
        return False
    return plan_of(field_plan.nested).has_views


def build_plan(
    cls: Any, decl: Decl, fields: tuple[FieldPlan, ...], computed: tuple[ComputedPlan, ...]
) -> Plan:
    """The :class:`~bolt_api.serializers._decl.Plan` of ``cls``."""
    config = cls.__struct_config__
    wire_of = {f.name: f.wire for f in fields}
    after: dict[str, list[Any]] = {}
    before: dict[str, list[Any]] = {}
    model_after: list[Any] = []
    model_before: list[Any] = []
    for mark in decl.validators:
        if not mark.fields:
            (model_after if mark.mode == "after" else model_before).append(mark.func)
            continue
        for name in mark.fields:
            if mark.mode == "after":
                after.setdefault(name, []).append(mark.func)
            else:
                before.setdefault(wire_of[name], []).append(mark.func)
    has_views = (
        bool(computed)
        or any(f.write_only for f in fields)
        or any(_nested_views(f, cls) for f in fields)
    )
    read_only = [f for f in fields if f.read_only]
    # A response always carries every field: when some field has a default, the output
    # schema (every field required) differs from the class's, and so the input gets its own.
    defaults = any(f.default is not NODEFAULT or f.default_factory is not NODEFAULT for f in fields)
    shaped = bool(read_only) or has_views or defaults
    input_type: Any = cls
    if shaped:
        input_type = msgspec.defstruct(
            f"{cls.__name__}Input",
            [
                (
                    f.name,
                    f.type,
                    struct_field(f.default, f.default_factory, f.wire),
                )
                for f in fields
                if not f.read_only
            ],
            kw_only=True,
            forbid_unknown_fields=config.forbid_unknown_fields,
            module=cls.__module__,
        )
    output_type: Any = cls
    if shaped:
        rows: list[tuple[str, Any, Any]] = [
            (f.name, _output_annotation(f), msgspec.field(name=f.wire))
            for f in fields
            if not f.write_only
        ]
        rows += [(c.name, c.type, msgspec.field(name=c.wire)) for c in computed]
        output_type = msgspec.defstruct(cls.__name__, rows, kw_only=True, module=cls.__module__)
    return Plan(
        fields=fields,
        computed=computed,
        after={k: tuple(v) for k, v in after.items()},
        before={k: tuple(v) for k, v in before.items()},
        model_after=tuple(model_after),
        model_before=tuple(model_before),
        input_type=input_type,
        decode_type=input_type if read_only else cls,
        output_type=output_type,
        has_views=has_views,
        by_name={f.name: f for f in fields},
    )


def _field_plans(cls: Any, decl: Decl) -> tuple[FieldPlan, ...]:
    options = decl.options
    meta = getattr(options.model, "_meta", None)
    by_name: dict[str, Any] = {}
    if meta is not None:
        for model_field in meta.get_fields():
            by_name[model_field.name] = model_field
            accessor = getattr(model_field, "get_accessor_name", None)
            if accessor is not None and relation_kind(model_field) == "reverse":
                by_name[accessor()] = model_field
    plans = []
    for info in msgspec.structs.fields(cls):
        spec = decl.specs.get(info.name)
        source = tuple((spec.source if spec and spec.source else info.name).split("."))
        nested, many = nested_of(info.type, is_serializer)
        model_field = by_name.get(source[0]) if len(source) == 1 else None
        if model_field is None and meta is not None and len(source) == 1:
            model_field = next((f for f in meta.concrete_fields if f.attname == source[0]), None)
        relation = relation_kind(model_field) if model_field is not None else None
        if relation == "fk" and nested is None and model_field is not None:
            source = (model_field.attname,)  # a foreign key as its id: author -> author_id
        read_only = (
            info.name in options.read_only
            or info.name in decl.model_read_only
            or bool(spec and spec.read_only)
            or nested is not None  # nested serializers are sent, never written
            or relation == "reverse"
            or (meta is not None and len(source) > 1)
        )
        write_only = info.name in options.write_only or bool(spec and spec.write_only)
        plans.append(
            FieldPlan(
                info.name,
                info.encode_name,
                info.type,
                source,
                relation,
                nested,
                many,
                read_only and not write_only,
                write_only,
                info.default,
                info.default_factory,
                model_field,
            )
        )
    return tuple(plans)


def _computed_plans(cls: Any, decl: Decl) -> tuple[ComputedPlan, ...]:
    out = []
    rename = decl.rename
    for name, computed in decl.computed.items():
        hints = typing.get_type_hints(computed.func, include_extras=True)
        wire = computed.alias or _renamed(name, rename)
        out.append(
            ComputedPlan(name, wire, hints.get("return", Any), computed.func, computed.description)
        )
    return tuple(out)


def _renamed(name: str, rename: Any) -> str:
    if rename is None:
        return name
    probe = msgspec.defstruct("_Probe", [(name, int)], rename=rename)
    return str(probe.__struct_encode_fields__[0])


def plan_of(cls: Any) -> Plan:
    """The resolved plan of a serializer class (built on first use, then cached)."""
    plan = cls.__dict__.get("__bolt_plan__")
    if plan is None:
        decl: Decl = cls.__bolt_decl__
        plan = build_plan(cls, decl, _field_plans(cls, decl), _computed_plans(cls, decl))
        type.__setattr__(cls, "__bolt_plan__", plan)
    return plan  # type: ignore[no-any-return]
