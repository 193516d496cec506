"""What a serializer class declares, gathered when the class is created (no annotation is
resolved yet: a field may name a class defined later), and what is derived from it on first
use, once the annotations resolve: the :class:`Plan`."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any, NamedTuple, get_args, get_origin

import msgspec

from ._fields import ComputedField, FieldSpec, ValidatorMark
from ._meta import Options

__all__ = ["NODEFAULT", "ComputedPlan", "Decl", "FieldPlan", "Plan", "nested_of", "strip_annotated"]


@dataclass
class Decl:
    """The declarations of one class, its bases' merged in."""

    options: Options = field(default_factory=Options)
    specs: dict[str, FieldSpec] = field(default_factory=dict)
    validators: list[ValidatorMark] = field(default_factory=list)
    computed: dict[str, ComputedField] = field(default_factory=dict)
    model_read_only: frozenset[str] = frozenset()
    rename: Any = None  # msgspec's rename= (its StructConfig does not keep it)

    def child(self) -> Decl:
        return Decl(
            self.options,
            dict(self.specs),
            list(self.validators),
            dict(self.computed),
            self.model_read_only,
            self.rename,
        )


class FieldPlan(NamedTuple):
    """One field, resolved."""

    name: str
    wire: str
    type: Any
    source: tuple[str, ...]
    relation: str | None  # "fk", "m2m", "reverse" for a model relation, else None
    nested: Any  # the Serializer class of a nested field, else None
    many: bool
    read_only: bool
    write_only: bool
    default: Any
    default_factory: Any
    target: Any  # the Django model field written (or read) through, else None


class ComputedPlan(NamedTuple):
    name: str
    wire: str
    type: Any
    func: Any
    description: str | None


@dataclass
class Plan:
    """Everything derived from a class's resolved fields, built once on first use."""

    fields: tuple[FieldPlan, ...]
    computed: tuple[ComputedPlan, ...]
    after: dict[str, tuple[Any, ...]]  # field name -> its mode="after" validators
    before: dict[str, tuple[Any, ...]]  # wire name -> its mode="before" validators
    model_after: tuple[Any, ...]
    model_before: tuple[Any, ...]
    input_type: Any  # what a request's schema shows (the class, or a generated Struct)
    decode_type: Any  # what a body decodes into: the class, or the input without read-only
    output_type: Any  # what a response's schema shows
    has_views: bool  # the JSON output differs from msgspec's encoding of the class
    by_name: dict[str, FieldPlan] = field(default_factory=dict)


def strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def nested_of(tp: Any, is_serializer: Any) -> tuple[Any, bool]:
    """``(serializer class, many)`` for a field typed ``S``, ``S | None``, ``list[S]`` (also
    inside ``Annotated``); ``(None, False)`` otherwise."""
    tp = strip_annotated(tp)
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        inner = [a for a in get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return nested_of(inner[0], is_serializer)
        return None, False
    if origin in (list, tuple, set, frozenset):
        args = get_args(tp)
        if args:
            item = strip_annotated(args[0])
            if is_serializer(item):
                return item, True
        return None, False
    if is_serializer(tp):
        return tp, False
    return None, False


NODEFAULT: Any = msgspec.NODEFAULT
