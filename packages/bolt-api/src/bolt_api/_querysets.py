"""Collections of rows, by duck typing: Django QuerySets and plain lists alike.

bolt-api never imports Django at import time, so views and pagination recognise a QuerySet by
its async methods (``acount``, ``aget``, ``__aiter__``) and fall back to ``len()``, slicing and
iteration for lists and tuples. Every function here is safe to call on the event loop: a
QuerySet is only evaluated through its async API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .exceptions import NotFound

__all__ = [
    "count",
    "fresh",
    "get_one",
    "is_lazy",
    "materialize",
    "model_to_dict",
    "read_field",
    "to_list",
]

_NOT_FOUND_NAMES = frozenset({"DoesNotExist", "ObjectDoesNotExist", "ValidationError"})


def is_lazy(obj: Any) -> bool:
    """True for a lazy, async-capable collection (a Django QuerySet)."""
    return hasattr(obj, "acount") and hasattr(obj, "__aiter__")


def fresh(collection: Any) -> Any:
    """A copy that requests do not share: ``qs.all()`` for a QuerySet, a new list otherwise."""
    if is_lazy(collection) and hasattr(collection, "all"):
        return collection.all()
    if isinstance(collection, (list, tuple)):
        return list(collection)
    return collection


async def count(collection: Any) -> int:
    """The number of rows: ``len()`` for sequences, ``await acount()`` for a QuerySet."""
    if isinstance(collection, (list, tuple)):
        return len(collection)
    if hasattr(collection, "acount"):
        return int(await collection.acount())
    return len(collection)


async def to_list(collection: Any) -> list[Any]:
    """Evaluate ``collection`` (asynchronously when it can be) into a list."""
    if isinstance(collection, list):
        return collection
    if hasattr(collection, "__aiter__"):
        return [item async for item in collection]
    return list(collection)


async def materialize(result: Any) -> Any:
    """A handler's return value with any QuerySet in it evaluated; other values unchanged."""
    if is_lazy(result):
        return await to_list(result)
    return result


def read_field(item: Any, name: str) -> Any:
    """``item[name]`` for mappings, ``item.name`` otherwise; ``pk`` falls back to ``id``."""
    if isinstance(item, Mapping):
        if name == "pk" and "pk" not in item:
            return item.get("id")
        return item.get(name)
    if name == "pk" and not hasattr(item, "pk"):
        return getattr(item, "id", None)
    return getattr(item, name, None)


def _matches(item: Any, criteria: Mapping[str, Any]) -> bool:
    for name, wanted in criteria.items():
        value = read_field(item, name)
        if value != wanted and (value is None or str(value) != str(wanted)):
            return False
    return True


def _is_not_found(exc: Exception, collection: Any) -> bool:
    """Whether a lookup error means "no such row" (Django's ``DoesNotExist`` or a lookup
    value of the wrong type, e.g. ``"abc"`` for an integer primary key)."""
    model = getattr(collection, "model", None)
    does_not_exist = getattr(model, "DoesNotExist", None)
    if isinstance(does_not_exist, type) and isinstance(exc, does_not_exist):
        return True
    if isinstance(exc, (ValueError, TypeError)):
        return True
    return any(cls.__name__ in _NOT_FOUND_NAMES for cls in type(exc).__mro__)


async def get_one(collection: Any, criteria: Mapping[str, Any]) -> Any:
    """The one row matching ``criteria``; :class:`NotFound` ``"Not found"`` when there is none.

    A QuerySet is queried with ``aget(**criteria)``; a list is searched, comparing values and,
    for path parameters (strings), their string forms.
    """
    if hasattr(collection, "aget"):
        try:
            return await collection.aget(**criteria)
        except Exception as exc:
            if _is_not_found(exc, collection):
                raise NotFound("Not found") from None
            raise
    for item in _iterate(collection):
        if _matches(item, criteria):
            return item
    raise NotFound("Not found")


def _iterate(collection: Any) -> Iterable[Any]:
    if isinstance(collection, Iterable):
        return collection
    raise TypeError(f"cannot look rows up in a {type(collection).__name__}")


def model_to_dict(item: Any) -> Any:
    """A Django model instance as a dict of its loaded, public attributes; else unchanged."""
    if hasattr(item, "_meta") and hasattr(item, "_state"):
        return {k: v for k, v in vars(item).items() if not k.startswith("_")}
    return item
