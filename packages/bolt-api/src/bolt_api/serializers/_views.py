"""Choosing fields: ``only()``/``exclude()``/``use()`` give a :class:`SerializerView` that
dumps a subset of an instance's output; ``subset()``/``fields()`` build a real serializer
class with fewer fields (a response type of its own, with its own OpenAPI schema)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Union

import msgspec

from ._fields import FieldSpec, ValidatorMark
from ._plans import plan_of

__all__ = ["SerializerView", "field_set", "make_subset"]


class SerializerView:
    """A serializer restricted to some output fields (chainable: ``.only().exclude()``)."""

    __slots__ = ("_keys", "serializer")

    def __init__(self, serializer: Any, names: Iterable[str]) -> None:
        self.serializer = serializer
        self._keys = tuple(names)

    def _wire(self) -> dict[str, str]:
        plan = plan_of(self.serializer)
        wires = {f.name: f.wire for f in plan.fields if not f.write_only}
        wires.update({c.name: c.wire for c in plan.computed})
        return {name: wires[name] for name in self._keys if name in wires}

    def _check(self, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in names if n not in self._keys]
        if unknown:
            raise ValueError(f"{self.serializer.__qualname__} has no field {unknown[0]!r} here")
        return names

    def only(self, *names: str) -> SerializerView:
        """The view of just ``names``."""
        keep = set(self._check(names))
        return SerializerView(self.serializer, [n for n in self._keys if n in keep])

    def exclude(self, *names: str) -> SerializerView:
        """The view without ``names``."""
        drop = set(self._check(names))
        return SerializerView(self.serializer, [n for n in self._keys if n not in drop])

    def use(self, set_name: str) -> SerializerView:
        """The view of the field set ``set_name`` (``Meta.field_sets``)."""
        return self.only(*field_set(self.serializer, set_name))

    def dump(self, instance: Any, **options: Any) -> dict[str, Any]:
        """``instance.dump(**options)`` restricted to this view's fields."""
        full = instance.dump(**options)
        return {wire: full[wire] for wire in self._wire().values() if wire in full}

    def dump_many(self, instances: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
        """:meth:`dump` of each instance."""
        return [self.dump(i, **options) for i in instances]

    def dump_json(self, instance: Any, **options: Any) -> bytes:
        """:meth:`dump` as JSON bytes."""
        return msgspec.json.encode(self.dump(instance, **options))

    def dump_many_json(self, instances: Iterable[Any], **options: Any) -> bytes:
        """:meth:`dump_many` as JSON bytes."""
        return msgspec.json.encode(self.dump_many(instances, **options))

    def __repr__(self) -> str:
        return f"<SerializerView {self.serializer.__qualname__}: {', '.join(self._keys)}>"


def field_set(cls: Any, set_name: str) -> tuple[str, ...]:
    sets = cls.__bolt_decl__.options.field_sets
    if set_name not in sets:
        known = ", ".join(sorted(sets)) or "none"
        raise ValueError(f"{cls.__qualname__} has no field set {set_name!r} (known: {known})")
    return tuple(sets[set_name])


def make_subset(
    cls: Any, names: tuple[str, ...], name: str | None = None, *, partial: bool = False
) -> Any:
    """A new serializer class with only ``names`` (fields and computed fields) of ``cls``,
    their options and field validators kept. ``partial``: every writable field optional
    (``UNSET`` when absent, for PATCH) and no model validators."""
    plan = plan_of(cls)
    decl = cls.__bolt_decl__
    known = set(plan.by_name) | {c.name for c in plan.computed}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{cls.__qualname__} has no field {unknown[0]!r}")
    keep = set(names)
    annotations: dict[str, Any] = {}
    ns: dict[str, Any] = {"__module__": cls.__module__, "__doc__": cls.__doc__}
    for f in plan.fields:
        if f.name not in keep:
            continue
        spec = decl.specs.get(f.name)
        optional = partial and not f.read_only
        annotations[f.name] = Union[f.type, msgspec.UnsetType] if optional else f.type  # noqa: UP007
        ns[f.name] = FieldSpec(
            default=msgspec.UNSET if optional else f.default,
            default_factory=msgspec.NODEFAULT if optional else f.default_factory,
            source=".".join(f.source) if spec is None or spec.source else None,
            read_only=f.read_only,
            write_only=f.write_only,
            alias=f.wire if f.wire != f.name else None,
            description=spec.description if spec else None,
        )
    ns["__annotations__"] = annotations
    for computed in decl.computed.values():
        if computed.name in keep:
            ns[computed.name] = type(computed)(computed.func, computed.alias, computed.description)
    for index, mark in enumerate(decl.validators):
        if (mark.fields and set(mark.fields) <= keep) or (
            not mark.fields and not partial and keep >= set(plan.by_name)
        ):
            ns[f"_validator_{index}"] = ValidatorMark(mark.fields, mark.mode, mark.func)
    subset_name = name or f"{cls.__name__}{''.join(n.title().replace('_', '') for n in names)}"
    root = next(b for b in cls.__mro__ if "__bolt_root__" in b.__dict__)  # Serializer
    subset = type(cls)(subset_name, (root,), ns)
    subset_decl: Any = getattr(subset, "__bolt_decl__")  # noqa: B009
    subset_decl.options = type(decl.options)(
        model=decl.options.model,
        fields=None,
        exclude=(),
        read_only=frozenset(),
        write_only=frozenset(),
        field_sets={},
    )
    return subset
