"""``create_serializer(model, ...)``: a model serializer class without writing one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["create_serializer"]


def create_serializer(
    model: Any,
    *,
    fields: Iterable[str] | str = "__all__",
    exclude: Iterable[str] = (),
    read_only: Iterable[str] = (),
    write_only: Iterable[str] = (),
    field_sets: Mapping[str, Iterable[str]] | None = None,
    name: str | None = None,
    base: Any = None,
    **struct_options: Any,
) -> Any:
    """A :class:`~bolt_api.serializers.Serializer` subclass over ``model``: as if written
    with a ``Meta`` of the same options (``rename=``, ``forbid_unknown_fields=`` too)."""
    from ._base import Serializer, SerializerMeta

    meta: dict[str, Any] = {
        "model": model,
        "fields": fields if isinstance(fields, str) else tuple(fields),
        "read_only": tuple(read_only),
        "write_only": tuple(write_only),
        **struct_options,
    }
    exclude = tuple(exclude)
    if exclude:
        meta["exclude"] = exclude
        if meta["fields"] == "__all__":
            del meta["fields"]
    if field_sets:
        meta["field_sets"] = {k: tuple(v) for k, v in field_sets.items()}
    class_name = name or f"{model.__name__}Serializer"
    ns = {"__module__": getattr(model, "__module__", __name__), "Meta": type("Meta", (), meta)}
    return SerializerMeta(class_name, (base or Serializer,), ns)
