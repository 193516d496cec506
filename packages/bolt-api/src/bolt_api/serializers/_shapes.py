"""A serializer's two wire shapes, derived once from its resolved fields: what a request
body may carry (no read-only fields) and what a response carries (no write-only fields,
plus computed fields, nested serializers in their output shape). Both are plain msgspec
Structs, so decoding, encoding and the OpenAPI schema stay msgspec's own work."""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from ._decl import NODEFAULT, ComputedPlan, Decl, FieldPlan, Plan, strip_annotated
from ._fields import struct_field

__all__ = ["build_plan"]


def _output_annotation(field_plan: FieldPlan) -> Any:
    if field_plan.nested is None:
        return field_plan.type
    from ._base import plan_of

    inner = plan_of(field_plan.nested).output_type
    tp: Any = list[inner] if field_plan.many else inner  # type: ignore[valid-type]
    if type(None) in get_args(strip_annotated(field_plan.type)):
        tp = tp | None
    return tp


def _nested_views(field_plan: FieldPlan, cls: Any) -> bool:
    if field_plan.nested is None or field_plan.nested is cls:
        return False
    from ._base import plan_of

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
