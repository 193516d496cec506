"""``Serializer``: a ``msgspec.Struct`` with field options, validators, computed fields and
Django model integration.

The metaclass reads the declarations when the class is created (``Meta``/``Config``,
``field(...)``, the decorators, a model's fields) and hands msgspec a plain Struct body; what
needs resolved annotations (nested serializers, relations, the input and output shapes) is
built on first use by :func:`plan_of`. A serializer without read-only fields, write-only
fields, computed fields or nested views *is* its own wire type: bodies decode and responses
encode through msgspec alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import msgspec
from msgspec import StructMeta

from ..exceptions import RequestValidationError
from ._decl import NODEFAULT, Decl
from ._fields import ComputedField, FieldSpec, ValidatorMark, struct_field
from ._io import dumper, many_reader, reader, validate_json, validate_python
from ._loading import LoadingPlan, apply_plan, loading_plan
from ._meta import read_options
from ._model import model_fields
from ._plans import plan_of
from ._views import SerializerView, field_set, make_subset
from ._writes import check_relations, model_of, save, split_values

__all__ = ["Serializer", "SerializerMeta"]


def _add_model_fields(qualname: str, ns: dict[str, Any], decl: Decl, own: set[str]) -> None:
    """Annotations (and defaults) for the model's fields the class does not declare itself."""
    options = decl.options
    annotations = ns.setdefault("__annotations__", {})
    generated: dict[str, Any] = {}
    read_only = set(decl.model_read_only)
    for mf in model_fields(options.model, options.fields, options.exclude, qualname):
        if mf.name in own:
            continue
        generated[mf.name] = mf.type
        if mf.read_only:
            read_only.add(mf.name)
            ns[mf.name] = None
        elif mf.default is not NODEFAULT or mf.default_factory is not NODEFAULT:
            ns[mf.name] = struct_field(mf.default, mf.default_factory)
    ns["__annotations__"] = {**generated, **annotations}
    decl.model_read_only = frozenset(read_only)


class SerializerMeta(StructMeta):
    """Turns a serializer's declarations into a msgspec Struct class (always ``kw_only``)."""

    def __new__(
        mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> SerializerMeta:
        ns = dict(namespace)
        parent = next(
            (b.__dict__["__bolt_decl__"] for b in bases if "__bolt_decl__" in b.__dict__), None
        )
        if parent is None:
            parent = next((b.__bolt_decl__ for b in bases if hasattr(b, "__bolt_decl__")), None)
        decl = parent.child() if parent is not None else Decl()
        qualname = ns.get("__qualname__", name)
        options, struct_kwargs = read_options(qualname, ns, decl.options)
        decl.options = options
        for given in (struct_kwargs, kwargs):
            if "rename" in given:
                decl.rename = given["rename"]
        own = set(ns.get("__annotations__", {}))
        for key, value in list(ns.items()):
            if isinstance(value, FieldSpec):
                decl.specs[key] = value
            elif isinstance(value, ValidatorMark):
                decl.validators.append(value)
                del ns[key]
            elif isinstance(value, ComputedField):
                decl.computed[key] = value
        if options.model is not None and ("Meta" in namespace or "Config" in namespace):
            _add_model_fields(qualname, ns, decl, own)
        for field_name in ns.get("__annotations__", {}):
            spec = decl.specs.get(field_name)
            read_only = (
                field_name in options.read_only
                or field_name in decl.model_read_only
                or (spec is not None and spec.read_only)
            )
            value = ns.get(field_name, NODEFAULT)
            if isinstance(value, FieldSpec):
                if read_only and value.default is NODEFAULT and value.default_factory is NODEFAULT:
                    value = FieldSpec(**{**vars(value), "default": None})
                ns[field_name] = value.msgspec_field()
            elif read_only and field_name not in ns:
                ns[field_name] = None  # never read from input: the instance needs a value
        if decl.validators and "__post_init__" not in ns:
            ns["__post_init__"] = _run_validators
        elif decl.validators and ns.get("__post_init__") is not _run_validators:
            ns["__post_init__"] = _chain_post_init(ns["__post_init__"])
        ns["__bolt_decl__"] = decl
        kwargs.setdefault("kw_only", True)
        cls = super().__new__(mcls, name, bases, ns, **struct_kwargs, **kwargs)
        _check_names(cls, decl)
        return cls


def _check_names(cls: Any, decl: Decl) -> None:
    names = set(cls.__struct_fields__)
    computed = set(decl.computed)
    options = decl.options
    pairs: tuple[tuple[str, frozenset[str]], ...] = (
        ("read_only", options.read_only),
        ("write_only", options.write_only),
    )
    for option, values in pairs:
        for value in values:
            if value not in names:
                raise TypeError(f"{cls.__qualname__}: Meta.{option} names no field {value!r}")
    for set_name, members in options.field_sets.items():
        for value in members:
            if value not in names and value not in computed:
                raise TypeError(
                    f"{cls.__qualname__}: field set {set_name!r} names no field {value!r}"
                )
    for mark in decl.validators:
        for value in mark.fields:
            if value not in names:
                raise TypeError(f"{cls.__qualname__}: validator for unknown field {value!r}")


def _chain_post_init(user: Callable[[Any], None]) -> Callable[[Any], None]:
    def post_init(self: Any) -> None:
        _run_validators(self)
        user(self)

    return post_init


def _error(loc: list[Any], exc: BaseException) -> dict[str, Any]:
    message = str(exc.args[0]) if getattr(exc, "args", None) else type(exc).__name__
    return {"type": "value_error", "loc": loc, "msg": message}


def _run_validators(self: Any) -> None:
    """``__post_init__`` of a class with validators: every mode="after" field validator, then
    the model validators; all failures raised together as one 422's errors."""
    plan = plan_of(type(self))
    errors: list[dict[str, Any]] = []
    cls = type(self)
    for field_plan in plan.fields:
        validators = plan.after.get(field_plan.name)
        if not validators:
            continue
        value = getattr(self, field_plan.name)
        if value is msgspec.UNSET:  # a PATCH body's absent field
            continue
        try:
            for validator in validators:
                value = validator(cls, value)
        except (ValueError, TypeError, AssertionError) as exc:
            errors.append(_error(["body", field_plan.wire], exc))
            continue
        msgspec.structs.force_setattr(self, field_plan.name, value)
    for validator in plan.model_after:
        try:
            validator(self)
        except (ValueError, TypeError, AssertionError) as exc:
            errors.append(_error(["body"], exc))
    if errors:
        raise RequestValidationError(errors)


_T = TypeVar("_T", bound="Serializer")


class Serializer(msgspec.Struct, metaclass=SerializerMeta, kw_only=True):
    """A msgspec Struct with validators, field options, computed fields and Django model
    integration (see docs/serializers.md)."""

    __bolt_root__ = True  # the base itself: not a serializer of anything

    # -- input -------------------------------------------------------------------------
    @classmethod
    def model_validate(cls: type[_T], data: Any) -> _T:
        """Validate a mapping (JSON names as keys) or an object's attributes: every error
        at once, as :class:`~bolt_api.exceptions.RequestValidationError`."""
        return validate_python(cls, plan_of(cls), data)  # type: ignore[no-any-return]

    @classmethod
    def model_validate_json(cls: type[_T], data: bytes | str) -> _T:
        """Validate a JSON document, as a request body is validated."""
        return validate_json(cls, plan_of(cls), data)  # type: ignore[no-any-return]

    @classmethod
    def __bolt_decode_json__(cls, data: bytes) -> Any:
        return validate_json(cls, plan_of(cls), data)

    # -- from models -------------------------------------------------------------------
    @classmethod
    def from_model(cls: type[_T], instance: Any) -> _T:
        """Read ``instance`` (a model instance, or any object) into a serializer; relations
        are read as loaded (use :meth:`from_models` or :meth:`afrom_model` to load them)."""
        return reader(cls)(instance)  # type: ignore[no-any-return]

    @classmethod
    async def afrom_model(cls: type[_T], instance: Any) -> _T:
        """:meth:`from_model` off the event loop, so unloaded relations may be queried."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(reader(cls))(instance)  # type: ignore[no-any-return]

    @classmethod
    def loading_plan(cls, model: Any = None) -> LoadingPlan:
        """The ``select_related``/``prefetch_related``/``only`` this serializer needs."""
        return loading_plan(cls, model)

    @classmethod
    def from_models(cls: type[_T], rows: Any) -> list[_T]:
        """Read every row of a QuerySet (with the loading plan applied) or an iterable."""
        if not isinstance(rows, list):
            rows = list(apply_plan(rows, loading_plan(cls, getattr(rows, "model", None))))
        return many_reader(cls)(rows)

    @classmethod
    async def afrom_models(cls: type[_T], rows: Any) -> list[_T]:
        """:meth:`from_models` for async handlers: the QuerySet is evaluated asynchronously."""
        rows = apply_plan(rows, loading_plan(cls, getattr(rows, "model", None)))
        if hasattr(rows, "__aiter__"):
            rows = [row async for row in rows]
        return many_reader(cls)(list(rows))

    @classmethod
    def __bolt_prepare__(cls, rows: Any) -> Any:
        """``rows`` (a QuerySet) with the loading plan applied; anything else unchanged."""
        return apply_plan(rows, loading_plan(cls, getattr(rows, "model", None)))

    @classmethod
    def from_parent(cls: type[_T], parent: Any) -> _T:
        """An instance of this (subset) class from an instance of a wider serializer."""
        return cls(**{name: getattr(parent, name) for name in cls.__struct_fields__})

    # -- output ------------------------------------------------------------------------
    def to_dict(self, exclude_unset: bool = False) -> dict[str, Any]:
        """Every field by attribute name, values as they are (``UNSET`` ones dropped when
        ``exclude_unset``)."""
        values = msgspec.structs.asdict(self)
        if exclude_unset:
            return {k: v for k, v in values.items() if v is not msgspec.UNSET}
        return values

    def dump(self, *, exclude_none: bool = False, exclude_defaults: bool = False) -> dict[str, Any]:
        """The output as JSON-ready values, by JSON name: write-only fields left out,
        computed fields in."""
        dump = dumper(type(self))
        out: dict[str, Any] = msgspec.to_builtins(dump(self) if dump is not None else self)
        if exclude_none:
            out = {k: v for k, v in out.items() if v is not None}
        if exclude_defaults:
            plan = plan_of(type(self))
            for f in plan.fields:
                if (
                    f.wire in out
                    and f.default is not NODEFAULT
                    and getattr(self, f.name) == f.default
                ):
                    del out[f.wire]
        return out

    def dump_json(self, **options: Any) -> bytes:
        """:meth:`dump` as JSON bytes."""
        if not options and dumper(type(self)) is None:
            return msgspec.json.encode(self)
        return msgspec.json.encode(self.dump(**options))

    @classmethod
    def dump_many(cls, instances: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
        """:meth:`dump` of each instance (model instances are read with :meth:`from_model`)."""
        return [_instance(cls, i).dump(**options) for i in instances]

    @classmethod
    def dump_many_json(cls, instances: Iterable[Any], **options: Any) -> bytes:
        """:meth:`dump_many` as JSON bytes."""
        return msgspec.json.encode(cls.dump_many(instances, **options))

    @classmethod
    def __bolt_dumper__(cls) -> Callable[[Any], Any] | None:
        return dumper(cls)

    @classmethod
    def __bolt_schema__(cls, direction: str) -> Any:
        plan = plan_of(cls)
        return plan.input_type if direction == "input" else plan.output_type

    # -- to models ---------------------------------------------------------------------
    def to_model(self, model: Any = None) -> Any:
        """An unsaved model instance of the writable fields (many-to-many fields need a
        saved row: :meth:`save` sets them)."""
        columns, _m2m = split_values(self, plan_of(type(self)))
        return model_of(type(self), model)(**columns)

    def update_instance(self, instance: Any) -> Any:
        """Set the writable fields on ``instance`` (``UNSET`` ones skipped); not saved."""
        columns, _m2m = split_values(self, plan_of(type(self)))
        for name, value in columns.items():
            setattr(instance, name, value)
        return instance

    def save(self, instance: Any = None, model: Any = None) -> Any:
        """Create a row (or update ``instance``) with foreign keys and many-to-many fields,
        in one transaction; an unknown related id is a 422 naming the field."""
        cls = type(self)
        target = model if model is not None else (type(instance) if instance is not None else None)
        return save(self, plan_of(cls), model_of(cls, target), instance)

    async def asave(self, instance: Any = None, model: Any = None) -> Any:
        """:meth:`save` from async code (on Django's thread for the ORM)."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.save)(instance, model)

    def check_related(self) -> None:
        """Raise a 422 when a foreign-key or many-to-many id names no row."""
        columns, m2m = split_values(self, plan_of(type(self)))
        check_relations(plan_of(type(self)), columns, m2m)

    def save_related(self, instance: Any) -> None:
        """Set the many-to-many fields on the saved ``instance``."""
        _columns, m2m = split_values(self, plan_of(type(self)))
        for name, (_f, ids) in m2m.items():
            getattr(instance, name).set(ids)

    async def acheck_related(self) -> None:
        """:meth:`check_related` from async code."""
        from asgiref.sync import sync_to_async

        await sync_to_async(self.check_related)()

    async def asave_related(self, instance: Any) -> None:
        """:meth:`save_related` from async code."""
        from asgiref.sync import sync_to_async

        await sync_to_async(self.save_related)(instance)

    async def awrite(
        self, instance: Any, model: Any, perform: Callable[[Any], Awaitable[None]]
    ) -> Any:
        """Check the related ids, build (``instance=None``) or update the instance, let
        ``await perform(obj)`` save it (a ViewSet's ``perform_create``/``perform_update``),
        then set the many-to-many fields: all in one transaction, on Django's thread."""
        from asgiref.sync import async_to_sync, sync_to_async
        from django.db import transaction

        def run() -> Any:
            with transaction.atomic():
                self.check_related()
                fresh = instance is None
                obj = self.to_model(model) if fresh else self.update_instance(instance)
                async_to_sync(perform)(obj)
                self.save_related(obj)
            return obj

        return await sync_to_async(run)()

    @classmethod
    def __bolt_partial__(cls) -> Any:
        cache = cls.__dict__.get("__bolt_patch__")
        if cache is None:
            cache = make_subset(
                cls,
                tuple(f.name for f in plan_of(cls).fields),
                f"{cls.__name__}Patch",
                partial=True,
            )
            type.__setattr__(cls, "__bolt_patch__", cache)
        return cache

    # -- field selection ---------------------------------------------------------------
    @classmethod
    def _names(cls) -> list[str]:
        plan = plan_of(cls)
        return [f.name for f in plan.fields if not f.write_only] + [c.name for c in plan.computed]

    @classmethod
    def only(cls, *names: str) -> SerializerView:
        """A view dumping only ``names``."""
        return SerializerView(cls, cls._names()).only(*names)

    @classmethod
    def exclude(cls, *names: str) -> SerializerView:
        """A view dumping every field but ``names``."""
        return SerializerView(cls, cls._names()).exclude(*names)

    @classmethod
    def use(cls, set_name: str) -> SerializerView:
        """A view of the field set ``set_name``."""
        return SerializerView(cls, cls._names()).use(set_name)

    @classmethod
    def subset(cls, *names: str, name: str | None = None) -> Any:
        """A new serializer class with only ``names`` (a response type of its own)."""
        return make_subset(cls, names, name)

    @classmethod
    def fields(cls, set_name: str) -> Any:
        """The subset class of field set ``set_name`` (built once)."""
        cache = cls.__dict__.get("__boltfield_sets__")
        if cache is None:
            cache = {}
            type.__setattr__(cls, "__boltfield_sets__", cache)
        if set_name not in cache:
            cache[set_name] = make_subset(
                cls, field_set(cls, set_name), f"{cls.__name__}{set_name.title().replace('_', '')}"
            )
        return cache[set_name]


def _instance(cls: Any, value: Any) -> Any:
    return value if isinstance(value, cls) else reader(cls)(value)
