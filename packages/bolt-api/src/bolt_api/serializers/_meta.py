"""A serializer's options — its inner ``Meta`` (or ``Config``, django-bolt's spelling) —
read and checked once, when the class is created, and inherited by subclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Options", "read_options"]

_KNOWN = frozenset(
    {"model", "fields", "exclude", "read_only", "write_only", "rename", "field_sets"}
)
_STRUCT_OPTIONS = {"rename", "forbid_unknown_fields", "frozen", "omit_defaults"}


@dataclass(frozen=True)
class Options:
    """The checked options of one serializer class."""

    model: Any = None
    fields: Any = None  # a tuple of names, "__all__", or None (every declared field)
    exclude: tuple[str, ...] = ()
    read_only: frozenset[str] = frozenset()
    write_only: frozenset[str] = frozenset()
    field_sets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _names(qualname: str, option: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{qualname}: Meta.{option} must be a list of field names")
    return tuple(value)


def read_options(
    qualname: str, namespace: dict[str, Any], inherited: Options
) -> tuple[Options, dict[str, Any]]:
    """Pop ``Meta``/``Config`` from ``namespace`` and merge it over ``inherited``; also the
    msgspec class options it gives (``rename``, ``forbid_unknown_fields``...)."""
    meta = namespace.pop("Meta", None)
    config = namespace.pop("Config", None)
    if meta is not None and config is not None:
        raise TypeError(f"{qualname}: give Meta or Config, not both")
    source = meta if meta is not None else config
    if source is None:
        return inherited, {}
    given = {k: v for k, v in vars(source).items() if not k.startswith("_")}
    if "validators" in given:
        raise TypeError(f"{qualname}: Meta.validators is not supported; use @field_validator")
    unknown = sorted(set(given) - _KNOWN - _STRUCT_OPTIONS)
    if unknown:
        raise TypeError(
            f"{qualname}: unknown Meta option {unknown[0]!r} (known: {', '.join(sorted(_KNOWN))})"
        )
    updates: dict[str, Any] = {}
    if "model" in given:
        updates["model"] = given["model"]
    if "fields" in given:
        value = given["fields"]
        updates["fields"] = value if value == "__all__" else _names(qualname, "fields", value)
    if "exclude" in given:
        updates["exclude"] = _names(qualname, "exclude", given["exclude"])
    if updates.get("fields") not in (None, "__all__") and updates.get("exclude"):
        raise TypeError(f"{qualname}: give Meta.fields or Meta.exclude, not both")
    for option in ("read_only", "write_only"):
        if option in given:
            updates[option] = frozenset(_names(qualname, option, given[option]))
    if "field_sets" in given:
        sets = given["field_sets"]
        if not isinstance(sets, Mapping):
            raise TypeError(f"{qualname}: Meta.field_sets must map a name to field names")
        updates["field_sets"] = {
            str(k): _names(qualname, f"field_sets[{k!r}]", v) for k, v in sets.items()
        }
    options = replace(inherited, **updates)
    both = options.read_only & options.write_only
    if both:
        raise TypeError(f"{qualname}: {sorted(both)[0]!r} is both read_only and write_only")
    return options, {k: v for k, v in given.items() if k in _STRUCT_OPTIONS}
