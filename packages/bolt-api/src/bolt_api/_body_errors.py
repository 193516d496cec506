"""Every field error of a JSON object body, looked for only once the typed decode has failed.

msgspec's typed decode stops at the first error, and that decode is the whole cost of a valid
body, so it stays as it is. The README promises every error of a request at once, so when it
fails, :func:`field_errors` decodes the object again untyped (each value kept as raw JSON) and
decodes each field on its own with the same msgspec JSON decoder: the same rules, one error per
bad field, a Struct-typed field searched the same way. It runs on the error path only.

What it cannot judge field by field (a tagged or array-like Struct, a body that is no JSON
object, an error only ``__post_init__`` raises) it leaves to the caller, which then reports
msgspec's own first error, as before.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple, get_args, get_origin, get_type_hints

import msgspec

__all__ = ["field_errors"]

_OBJECT: msgspec.json.Decoder[dict[str, msgspec.Raw]] = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ARRAY: msgspec.json.Decoder[list[msgspec.Raw]] = msgspec.json.Decoder(list[msgspec.Raw])


class _Field(NamedTuple):
    wire: str
    type: Any
    required: bool


class _Shape(NamedTuple):
    fields: tuple[_Field, ...]
    forbid_unknown: bool


def _shape(tp: Any) -> _Shape | None:
    try:
        return _cached_shape(tp)
    except TypeError:  # an unhashable annotation: not a Struct or dataclass anyway
        return None


@functools.cache
def _cached_shape(tp: Any) -> _Shape | None:
    """The fields of a Struct or dataclass ``tp`` as they appear in JSON; ``None`` for any
    other type and for Structs whose JSON is not a plain object of their fields."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        config = tp.__struct_config__
        if config.tag is not None or config.array_like:
            return None
        fields = tuple(
            _Field(f.encode_name, f.type, f.required) for f in msgspec.structs.fields(tp)
        )
        return _Shape(fields, config.forbid_unknown_fields)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp, include_extras=True)
        fields = tuple(
            _Field(
                f.name,
                hints[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(tp)
            if f.init
        )
        return _Shape(fields, False)
    return None


def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    try:
        return _cached_decoder(tp)
    except TypeError:  # an unhashable annotation
        return msgspec.json.Decoder(tp)


@functools.cache
def _cached_decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


def _item_type(tp: Any) -> Any:
    """``T`` of ``list[T]`` or ``tuple[T, ...]``, else ``None``."""
    args = get_args(tp)
    if get_origin(tp) is list and len(args) == 1:
        return args[0]
    if get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _nested_errors(tp: Any, value: msgspec.Raw) -> list[tuple[list[Any], msgspec.ValidationError]]:
    """The errors inside a Struct-typed value, or inside each Struct of a list of them."""
    if _shape(tp) is not None:
        return field_errors(tp, value)
    item = _item_type(tp)
    if item is None or _shape(item) is None:
        return []
    try:
        items = _ARRAY.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return []
    found: list[tuple[list[Any], msgspec.ValidationError]] = []
    for index, raw in enumerate(items):
        found.extend(([index, *loc], exc) for loc, exc in field_errors(item, raw))
    return found


def field_errors(
    tp: Any, raw: bytes | msgspec.Raw
) -> list[tuple[list[Any], msgspec.ValidationError]]:
    """Each bad field of the JSON object ``raw`` for the Struct or dataclass ``tp``, as (the
    location below the body, msgspec's error for it); empty when this cannot tell."""
    shape = _shape(tp)
    if shape is None:
        return []
    try:
        values = _OBJECT.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return []
    found: list[tuple[list[Any], msgspec.ValidationError]] = []
    for f in shape.fields:
        value = values.get(f.wire)
        if value is None:
            if f.required:
                missing = f"Object missing required field `{f.wire}`"
                found.append(([], msgspec.ValidationError(missing)))
            continue
        nested = _nested_errors(f.type, value)
        if nested:
            found.extend(([f.wire, *loc], exc) for loc, exc in nested)
            continue
        try:
            _decoder(f.type).decode(value)
        except msgspec.ValidationError as exc:
            found.append(([f.wire], exc))
        except (msgspec.DecodeError, RecursionError):  # pragma: no cover - the object's
            return []  # decode already parsed this value, one level deeper than here
    if shape.forbid_unknown:
        known = {f.wire for f in shape.fields}
        found.extend(
            ([], msgspec.ValidationError(f"Object contains unknown field `{key}`"))
            for key in values
            if key not in known
        )
    return found
