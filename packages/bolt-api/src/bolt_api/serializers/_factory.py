"""``create_serializer(model, ...)`` and ``create_serializer_set(model, ...)``: model
serializer classes without writing them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._views import make_subset

__all__ = ["create_serializer", "create_serializer_set"]


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


def create_serializer_set(
    model: Any,
    *,
    create_fields: Iterable[str] | None = None,
    update_fields: Iterable[str] | None = None,
    public_fields: Iterable[str] | None = None,
    write_only: Iterable[str] = (),
    read_only: Iterable[str] = (),
) -> tuple[Any, Any, Any]:
    """``(Create, Update, Public)`` serializers over ``model``: ``Create`` takes
    ``create_fields`` (every field by default), ``Update`` the same or ``update_fields``
    with each one optional (a PATCH body: absent fields are left alone), ``Public`` sends
    ``public_fields``. ``write_only``/``read_only`` apply where the fields appear."""
    name = model.__name__
    write_only, read_only = tuple(write_only), tuple(read_only)

    def build(fields: Iterable[str] | None, suffix: str) -> Any:
        chosen: Any = "__all__" if fields is None else tuple(fields)
        names = set(chosen) if chosen != "__all__" else None
        return create_serializer(
            model,
            fields=chosen,
            write_only=[f for f in write_only if names is None or f in names],
            read_only=[f for f in read_only if names is None or f in names],
            name=f"{name}{suffix}",
        )

    create = build(create_fields, "Create")
    full = build(update_fields if update_fields is not None else create_fields, "Update")
    update = make_subset(full, full.__struct_fields__, f"{name}Update", partial=True)
    public = build(public_fields, "Public")
    return create, update, public
