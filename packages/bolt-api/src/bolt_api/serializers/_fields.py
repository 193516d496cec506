"""What a serializer class declares besides its annotations: ``field(...)`` options and the
three decorators (``@field_validator``, ``@model_validator``, ``@computed_field``).

They only mark things; :mod:`bolt_api.serializers._base` reads the marks once, when the class
is created, so an instance pays for nothing it does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

import msgspec

__all__ = [
    "ComputedField",
    "FieldSpec",
    "ValidatorMark",
    "computed_field",
    "field",
    "field_validator",
    "model_validator",
    "struct_field",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_NODEFAULT: Any = msgspec.NODEFAULT
Mode = Literal["before", "after"]


@dataclass(frozen=True)
class FieldSpec:
    """The options of one ``field(...)``: msgspec's (default, wire name) plus Bolt's."""

    default: Any = _NODEFAULT
    default_factory: Any = _NODEFAULT
    source: str | None = None
    read_only: bool = False
    write_only: bool = False
    alias: str | None = None
    description: str | None = None

    def msgspec_field(self) -> Any:
        """The ``msgspec.field`` this spec becomes in the class body."""
        return struct_field(self.default, self.default_factory, self.alias)


def struct_field(
    default: Any = _NODEFAULT, default_factory: Any = _NODEFAULT, name: Any = None
) -> Any:
    """``msgspec.field`` with either default left as ``NODEFAULT`` (its overloads take one)."""
    make: Any = msgspec.field
    return make(default=default, default_factory=default_factory, name=name)


def field(
    *,
    default: Any = _NODEFAULT,
    default_factory: Callable[[], Any] | None = None,
    source: str | None = None,
    read_only: bool = False,
    write_only: bool = False,
    alias: str | None = None,
    description: str | None = None,
) -> Any:
    """Declare a serializer field with options.

    ``source`` is the attribute read on a model instance (``"author.name"`` follows
    relations; ``"author_id"`` reads a foreign key's id). ``read_only`` fields are sent but
    never read from input; ``write_only`` fields are read but never sent. ``alias`` is the
    JSON key.
    """
    if read_only and write_only:
        raise ValueError("a field cannot be both read_only and write_only")
    if default is not _NODEFAULT and default_factory is not None:
        raise ValueError("field() takes default or default_factory, not both")
    if source is not None and (not source or any(not part for part in source.split("."))):
        raise ValueError(f"field(source={source!r}): expected a dotted attribute path")
    return FieldSpec(
        default=default,
        default_factory=_NODEFAULT if default_factory is None else default_factory,
        source=source,
        read_only=read_only,
        write_only=write_only,
        alias=alias,
        description=description,
    )


@dataclass(frozen=True)
class ValidatorMark:
    """A validator found on the class: which fields (none for a model validator), when."""

    fields: tuple[str, ...]
    mode: Mode
    func: Callable[..., Any]


def _check_mode(mode: str) -> Mode:
    if mode not in ("before", "after"):
        raise ValueError(f"validator mode must be 'before' or 'after', not {mode!r}")
    return mode  # type: ignore[return-value]


def _plain(func: Any, what: str) -> Callable[..., Any]:
    if isinstance(func, staticmethod):
        raise TypeError(f"{what} cannot be a @staticmethod")
    if isinstance(func, classmethod):
        return func.__func__
    if not callable(func):
        raise TypeError(f"{what} decorates a function, not {type(func).__name__}")
    return func  # type: ignore[no-any-return]


def field_validator(*fields: str, mode: str = "after") -> Callable[[_F], _F]:
    """Validate (and possibly transform) the named fields: ``func(cls, value) -> value``.

    ``mode="after"`` runs on the typed value, ``mode="before"`` on the raw input value
    (``model_validate``, ``model_validate_json`` and request bodies only). Raise
    ``ValueError`` to reject; every failing field is reported in one 422.
    """
    if not fields or not all(isinstance(name, str) for name in fields):
        raise TypeError("field_validator() takes the names of the fields it validates")
    checked = _check_mode(mode)

    def mark(func: _F) -> _F:
        plain = _plain(func, "a field validator")
        return ValidatorMark(tuple(fields), checked, plain)  # type: ignore[return-value]

    return mark


@overload
def model_validator(func: _F, /) -> _F: ...
@overload
def model_validator(*, mode: str = "after") -> Callable[[_F], _F]: ...
def model_validator(func: Any = None, /, *, mode: str = "after") -> Any:
    """Validate the whole object. ``mode="after"``: ``func(self)`` on the built instance
    (return nothing or the instance); ``mode="before"``: ``func(cls, data) -> data`` on the
    raw input mapping."""
    checked = _check_mode(mode)

    def mark(fn: Any) -> Any:
        if checked == "after" and isinstance(fn, classmethod):
            raise TypeError("a mode='after' model validator receives the instance: no @classmethod")
        return ValidatorMark((), checked, _plain(fn, "a model validator"))

    return mark(func) if func is not None else mark


class ComputedField:
    """A method whose result is sent as a read-only field (typed by its return annotation)."""

    def __init__(self, func: Callable[[Any], Any], alias: str | None, description: str | None):
        self.func = func
        self.alias = alias
        self.description = description
        self.__doc__ = func.__doc__
        self.name = func.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return self.func.__get__(instance, owner)


@overload
def computed_field(func: Callable[[Any], Any], /) -> Any: ...
@overload
def computed_field(
    *, alias: str | None = None, description: str | None = None
) -> Callable[[Callable[[Any], Any]], Any]: ...
def computed_field(
    func: Callable[[Any], Any] | None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
) -> Any:
    """Send ``func(self)`` as a field of the output (``dump()``, responses, OpenAPI). It stays
    a method: ``self.total()`` calls it."""

    def mark(fn: Callable[[Any], Any]) -> ComputedField:
        return ComputedField(fn, alias, description)

    return mark(func) if func is not None else mark
