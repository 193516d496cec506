"""Django model fields as serializer fields: the msgspec type of each, which are read-only,
and how each is read from an instance.

Django is imported only here, and only when a serializer names a ``Meta.model`` (so the
model is loaded already). The mapping is decided once per class.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

__all__ = ["ModelField", "model_fields", "relation_kind"]


@dataclass(frozen=True)
class ModelField:
    """One model field as a serializer sees it."""

    name: str
    type: Any
    default: Any  # msgspec.NODEFAULT when the field is required on input
    default_factory: Any
    read_only: bool
    description: str | None


_SIMPLE: dict[str, Any] = {
    "AutoField": int,
    "BigAutoField": int,
    "SmallAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": Annotated[int, msgspec.Meta(ge=0)],
    "PositiveBigIntegerField": Annotated[int, msgspec.Meta(ge=0)],
    "PositiveSmallIntegerField": Annotated[int, msgspec.Meta(ge=0)],
    "FloatField": float,
    "DecimalField": decimal.Decimal,
    "BooleanField": bool,
    "NullBooleanField": bool | None,
    "DateTimeField": datetime.datetime,
    "DateField": datetime.date,
    "TimeField": datetime.time,
    "DurationField": datetime.timedelta,
    "UUIDField": uuid.UUID,
    "JSONField": Any,
    "BinaryField": bytes,
    "GenericIPAddressField": str,
    "IPAddressField": str,
}
_STRINGS = {
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
}


def relation_kind(model_field: Any) -> str | None:
    """``"fk"`` (ForeignKey, OneToOne), ``"m2m"``, ``"reverse"`` or ``None`` (a column)."""
    if not getattr(model_field, "is_relation", False):
        return None
    if getattr(model_field, "auto_created", False) and not getattr(model_field, "concrete", True):
        return "reverse"
    if getattr(model_field, "many_to_many", False):
        return "m2m"
    if getattr(model_field, "many_to_one", False) or getattr(model_field, "one_to_one", False):
        return "fk"
    return "reverse"


def _base_type(model_field: Any) -> Any:
    kind = relation_kind(model_field)
    if kind == "fk":
        return _base_type(model_field.target_field)
    if kind == "m2m":
        return list[_base_type(model_field.target_field)]  # type: ignore[misc]
    choices = getattr(model_field, "choices", None)
    if choices:
        values = tuple(value for value, _label in model_field.flatchoices)
        if values and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            return Literal[values]
    internal = model_field.get_internal_type()
    if internal in _STRINGS:
        max_length = getattr(model_field, "max_length", None)
        return Annotated[str, msgspec.Meta(max_length=max_length)] if max_length else str
    if internal in _SIMPLE:
        return _SIMPLE[internal]
    for klass in type(model_field).__mro__:  # a custom field: its nearest known ancestor
        if klass.__name__ in _SIMPLE:
            return _SIMPLE[klass.__name__]
        if klass.__name__ in _STRINGS:
            return str
    return Any


def _default(model_field: Any) -> tuple[Any, Any]:
    """(default, default_factory) on input: the model's default, ``None`` for nullable or
    blank fields, ``[]`` for many-to-many; NODEFAULT when the client must send it."""
    nodefault = msgspec.NODEFAULT
    if relation_kind(model_field) == "m2m":
        return nodefault, list
    if model_field.has_default():
        value = model_field.default
        if callable(value):
            return nodefault, value
        if isinstance(value, enum.Enum):
            value = value.value
        return value, nodefault
    if model_field.null:
        return None, nodefault
    if getattr(model_field, "blank", False) and model_field.get_internal_type() in _STRINGS:
        return "", nodefault
    return nodefault, nodefault


def _read_only(model_field: Any) -> bool:
    if getattr(model_field, "primary_key", False) and model_field.get_internal_type().endswith(
        "AutoField"
    ):
        return True
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return True
    return not getattr(model_field, "editable", True)


def model_fields(
    model: Any, fields: Any, exclude: tuple[str, ...], qualname: str
) -> list[ModelField]:
    """The serializer fields of ``model``: ``fields`` (names or ``"__all__"``) minus
    ``exclude``, in ``fields``' order (the model's order for ``"__all__"``)."""
    meta = getattr(model, "_meta", None)
    if meta is None:
        raise TypeError(f"{qualname}: Meta.model must be a Django model, not {model!r}")
    concrete = {f.name: f for f in meta.get_fields() if relation_kind(f) != "reverse"}
    if fields == "__all__" or fields is None:
        names = list(concrete)
    else:
        names = list(fields)
        unknown = [n for n in names if n not in concrete and n != "pk"]
        if unknown:
            raise TypeError(f"{qualname}: {model.__name__} has no field {unknown[0]!r}")
    out = []
    for name in names:
        if name in exclude:
            continue
        model_field = meta.pk if name == "pk" else concrete[name]
        base = _base_type(model_field)
        default, factory = _default(model_field)
        if model_field.null and relation_kind(model_field) != "m2m" and base is not Any:
            base = base | None
        help_text = str(getattr(model_field, "help_text", "") or "") or None
        out.append(ModelField(name, base, default, factory, _read_only(model_field), help_text))
    return out
