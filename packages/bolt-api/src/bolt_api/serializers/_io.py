"""Moving data in and out of a serializer: validating input (every error at once, as Bolt's
422 entries), reading model instances, dumping to JSON-ready values.

Each function is compiled once per class on first use and cached on its plan, so a call
only does the work its class needs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from .._binders import every_error, validation_error
from ..exceptions import RequestValidationError
from ._decl import NODEFAULT, FieldPlan, Plan
from ._plans import plan_of

__all__ = ["dumper", "many_reader", "reader", "validate_json", "validate_python"]


@functools.cache
def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


def _from_input(cls: Any, plan: Plan, value: Any) -> Any:
    if plan.decode_type is cls:
        return value
    return cls(**{f: getattr(value, f) for f in value.__struct_fields__})


def validate_json(cls: Any, plan: Plan, data: bytes | str) -> Any:
    """``data`` (JSON) as an instance of ``cls``; :class:`RequestValidationError` listing
    every bad field otherwise."""
    if plan.before or plan.model_before:
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise RequestValidationError([validation_error(exc, ["body"])]) from None
        return validate_python(cls, plan, raw)
    try:
        value = _decoder(plan.decode_type).decode(data)
    except msgspec.ValidationError as exc:
        body = data.encode() if isinstance(data, str) else data
        raise RequestValidationError(every_error(plan.decode_type, body, ["body"], exc)) from None
    except msgspec.DecodeError as exc:
        raise RequestValidationError([validation_error(exc, ["body"])]) from None
    return _from_input(cls, plan, value)


def _run_before(cls: Any, plan: Plan, data: Any) -> Any:
    errors: list[dict[str, Any]] = []
    for validator in plan.model_before:
        try:
            data = validator(cls, data)
        except (ValueError, TypeError, AssertionError) as exc:
            errors.append({"type": "value_error", "loc": ["body"], "msg": str(exc)})
    if plan.before and isinstance(data, Mapping):
        data = dict(data)
        for wire, validators in plan.before.items():
            if wire not in data:
                continue
            try:
                for validator in validators:
                    data[wire] = validator(cls, data[wire])
            except (ValueError, TypeError, AssertionError) as exc:
                errors.append({"type": "value_error", "loc": ["body", wire], "msg": str(exc)})
    if errors:
        raise RequestValidationError(errors)
    return data


def validate_python(cls: Any, plan: Plan, data: Any) -> Any:
    """A mapping (keys are JSON names) or an object with attributes, validated like a body."""
    if plan.before or plan.model_before:
        data = _run_before(cls, plan, data)
    mapping = isinstance(data, Mapping)
    try:
        value = msgspec.convert(data, plan.decode_type, from_attributes=not mapping)
    except msgspec.ValidationError as exc:
        errors = [validation_error(exc, ["body"])]
        if mapping:
            with contextlib.suppress(TypeError, msgspec.EncodeError):
                errors = every_error(plan.decode_type, msgspec.json.encode(data), ["body"], exc)
        raise RequestValidationError(errors) from None
    return _from_input(cls, plan, value)


def _chain(path: tuple[str, ...]) -> Callable[[Any], Any]:
    def read(obj: Any) -> Any:
        for name in path:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
            if callable(obj) and not hasattr(obj, "all"):
                obj = obj()
        return obj

    return read


def _rows(value: Any) -> Any:
    """A related manager's rows (through a prefetch when there was one), else the value."""
    all_rows = getattr(value, "all", None)
    return all_rows() if callable(all_rows) else value


def _getter(f: FieldPlan) -> Callable[[Any], Any] | None:
    """The reader of one field, or ``None`` for a plain attribute read inline."""
    if f.nested is not None:
        path = _chain(f.source)
        nested = f.nested
        if f.many:

            def read_many(obj: Any) -> Any:
                rows = path(obj)
                return [] if rows is None else [_as(nested, row) for row in _rows(rows)]

            return read_many

        def read_one(obj: Any) -> Any:
            row = path(obj)
            return None if row is None else _as(nested, row)

        return read_one
    if f.relation in ("m2m", "reverse"):
        path = _chain(f.source)

        def read_ids(obj: Any) -> Any:
            rows = path(obj)
            return [] if rows is None else [row.pk for row in _rows(rows)]

        return read_ids
    if len(f.source) > 1:
        return _chain(f.source)
    return None


def _as(nested: Any, row: Any) -> Any:
    if type(row) is nested:
        return row
    return reader(nested)(row)


def _convertible(cls: Any) -> bool:
    """Whether msgspec can read ``cls`` from attributes itself: every field is the attribute
    of its name (no ``source``, no foreign-key id, no many relation), nested ones too."""
    for f in plan_of(cls).fields:
        if f.source != (f.name,) or f.relation in ("m2m", "reverse") or f.many:
            return False
        if f.nested is not None and (f.nested is cls or not _convertible(f.nested)):
            return False
    return True


def many_reader(cls: Any) -> Callable[[list[Any]], list[Any]]:
    """``rows -> [cls(...), ...]``: one msgspec call for the whole list when the class is
    convertible (as fast as a hand-written Struct conversion), else :func:`reader` per row."""
    cached = cls.__dict__.get("__bolt_many__")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    one = reader(cls)
    if cls.__dict__.get("__bolt_convert__") is None:

        def read_each(rows: list[Any]) -> list[Any]:
            return [one(row) for row in rows]

        type.__setattr__(cls, "__bolt_many__", read_each)
        return read_each
    target = list[cls]

    def read_many(rows: list[Any]) -> list[Any]:
        if cls.__dict__.get("__bolt_convert__") is False:
            return [one(row) for row in rows]
        try:
            return msgspec.convert(rows, target, from_attributes=True)
        except msgspec.ValidationError:  # a value msgspec will not take as is (a UUID for str)
            type.__setattr__(cls, "__bolt_convert__", False)
            return [one(row) for row in rows]

    type.__setattr__(cls, "__bolt_many__", read_many)
    return read_many


def reader(cls: Any) -> Callable[[Any], Any]:
    """``obj -> cls(...)``: reads each field's source from a model instance (or any object).

    A convertible class is read by ``msgspec.convert(obj, cls, from_attributes=True)``
    (falling back to the compiled reader for good the first time a value does not convert);
    others by one compiled function per class: plain attributes read inline, as a
    hand-written conversion would (``cls(id=obj.id, ...)``), relations through getters."""
    cached = cls.__dict__.get("__bolt_reader__")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    compiled = _compiled_reader(cls)
    if not _convertible(cls):
        type.__setattr__(cls, "__bolt_reader__", compiled)
        return compiled
    type.__setattr__(cls, "__bolt_convert__", True)

    def read(obj: Any) -> Any:
        if cls.__dict__.get("__bolt_convert__") is False:
            return compiled(obj)
        try:
            return msgspec.convert(obj, cls, from_attributes=True)
        except msgspec.ValidationError:
            type.__setattr__(cls, "__bolt_convert__", False)
            return compiled(obj)

    type.__setattr__(cls, "__bolt_reader__", read)
    return read


def _compiled_reader(cls: Any) -> Callable[[Any], Any]:
    plan = plan_of(cls)
    env: dict[str, Any] = {"cls": cls}
    args = []
    for index, f in enumerate(plan.fields):
        getter = _getter(f)
        if getter is not None:
            env[f"g{index}"] = getter
            args.append(f"{f.name}=g{index}(obj)")
        elif f.default is not NODEFAULT or f.default_factory is not NODEFAULT:
            env[f"d{index}"] = f.default if f.default is not NODEFAULT else None
            args.append(f"{f.name}=getattr(obj, {f.source[0]!r}, d{index})")
        else:
            args.append(f"{f.name}=obj.{f.source[0]}")
    code = "def read(obj):\n    return cls(" + ", ".join(args) + ")\n"
    exec(compile(code, f"<serializer reader {cls.__qualname__}>", "exec"), env)
    read: Callable[[Any], Any] = env["read"]
    return read


def dumper(cls: Any) -> Callable[[Any], Any] | None:
    """``instance -> dict`` of its output (write-only fields left out, computed fields and
    nested serializers' outputs in); ``None`` when msgspec's own encoding is the output."""
    plan = plan_of(cls)
    if not plan.has_views:
        return None
    cached = cls.__dict__.get("__bolt_dump_fn__")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    steps: list[tuple[str, str, Any, bool]] = []
    for f in plan.fields:
        if f.write_only:
            continue
        nested = dumper(f.nested) if f.nested is not None and f.nested is not cls else None
        steps.append((f.name, f.wire, nested, f.many))
    computed = [(c.wire, c.func) for c in plan.computed]

    def dump(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, wire, nested, many in steps:
            value = getattr(obj, name)
            if nested is not None and value is not None:
                value = [nested(v) for v in value] if many else nested(value)
            out[wire] = value
        for wire, func in computed:
            out[wire] = func(obj)
        return out

    type.__setattr__(cls, "__bolt_dump_fn__", dump)
    return dump
