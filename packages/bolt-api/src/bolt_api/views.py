"""Class-based views: ``APIView``, ``ViewSet``, the CRUD mixins, ``ModelViewSet``.

Register them with ``@api.view(path)`` and ``@api.viewset(path)``. Each HTTP method (or
ViewSet action) becomes one generated function handler whose parameters are the method's
own, minus ``self`` — so path, query, header, body and ``Depends`` parameters work exactly
as in function handlers (see :mod:`bolt_api._view_routes`). A fresh view instance serves each
request, with ``self.request``, ``self.action`` and ``self.kwargs`` (the path parameters) set.

ViewSets work over a Django QuerySet or a plain list: QuerySets are recognised by duck typing
(``aget``, ``acount``, ``async for``), so this module never imports Django.

``guards`` and ``auth`` (on the class, on ``api.view()``/``api.viewset()``, on ``@action``)
are enforced like a function route's (:mod:`bolt_api.auth`): the nearest one declared wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import msgspec

from ._querysets import fresh, get_one
from .decorators import action
from .engine import Request
from .exceptions import HTTPException

__all__ = [
    "APIView",
    "CreateMixin",
    "DestroyMixin",
    "ListMixin",
    "ModelViewSet",
    "PartialUpdateMixin",
    "ReadOnlyModelViewSet",
    "RetrieveMixin",
    "UpdateMixin",
    "ViewSet",
    "action",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Standard ViewSet actions: ``(action, HTTP method, detail route, default status)``.
STANDARD_ACTIONS: tuple[tuple[str, str, bool, int | None], ...] = (
    ("list", "GET", False, None),
    ("create", "POST", False, 201),
    ("retrieve", "GET", True, None),
    ("update", "PUT", True, None),
    ("partial_update", "PATCH", True, None),
    ("destroy", "DELETE", True, 204),
)


def model_action(fn: F) -> F:
    """Mark a mixin method whose body and response types come from the serializer classes
    (``data`` becomes the write serializer, the return type the read one)."""
    fn.__bolt_model_action__ = fn.__name__  # type: ignore[attr-defined]
    return fn


class APIView:
    """A class grouping the HTTP methods of one path: define ``get``, ``post``, ...

    Class attributes: ``http_method_names`` (the methods ``api.view()`` may route),
    ``status_code`` (the default status of every method), ``guards`` and ``auth`` (enforced on
    every method, unless ``api.view()`` gives its own).
    """

    http_method_names: ClassVar[list[str]] = [
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
    ]
    guards: ClassVar[list[Any] | None] = None
    auth: ClassVar[list[Any] | None] = None
    status_code: ClassVar[int | None] = None

    #: The current request, the name of the method or action serving it, and its path
    #: parameters (raw strings), set on the fresh instance of each request.
    request: Request | None = None
    action: str | None = None
    kwargs: dict[str, Any]

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = {}
        for key, value in kwargs.items():
            setattr(self, key, value)

    def initialize(self, request: Request) -> None:
        """Hook called on the fresh instance before the method runs (does nothing)."""

    @classmethod
    def get_allowed_methods(cls) -> set[str]:
        """The HTTP methods (uppercase) this view implements."""
        return {m.upper() for m in cls.http_method_names if callable(getattr(cls, m, None))}


class ViewSet(APIView):
    """Actions over a collection: ``list``, ``create``, ``retrieve``, ``update``,
    ``partial_update``, ``destroy`` and ``@action`` methods, routed by ``api.viewset()``.

    ``queryset`` is a Django QuerySet or a list; ``lookup_field`` names the detail routes'
    path parameter (``{pk}`` by default); ``pagination_class`` pages ``list``.
    """

    queryset: Any = None
    serializer_class: Any = None
    list_serializer_class: Any = None
    create_serializer_class: Any = None
    update_serializer_class: Any = None
    lookup_field: str = "pk"
    pagination_class: Any = None
    filterset_class: Any = None
    #: The ``filterset_class`` instance ``list`` was called with (its query parameters).
    filters: Any = None

    async def get_queryset(self) -> Any:
        """A fresh copy of ``queryset`` for this request (``qs.all()``, or a new list)."""
        if self.queryset is None:
            raise ValueError(
                f"'{type(self).__name__}' should either include a `queryset` "
                "attribute, or override the `get_queryset()` method."
            )
        return fresh(self.queryset)

    async def filter_queryset(self, queryset: Any) -> Any:
        """Filter the queryset for this request: by ``filterset_class``'s query parameters
        on ``list`` (``self.filters.apply(queryset)``), else unchanged."""
        if self.filters is not None:
            return self.filters.apply(queryset)
        return queryset

    async def get_object(self, pk: Any = None, **lookup: Any) -> Any:
        """The object this request is about: ``get_object()`` looks ``lookup_field`` up from
        the path, ``get_object(value)`` looks ``value`` up, ``get_object(slug="x")`` uses the
        given fields. No match answers 404 ``{"detail": "Not found"}``."""
        if not lookup:
            value = pk if pk is not None else self.kwargs.get(self.lookup_field)
            if value is None:
                raise HTTPException(400, f"Missing lookup field: {self.lookup_field}")
            lookup = {self.lookup_field: value}
        queryset = await self.filter_queryset(await self.get_queryset())
        return await get_one(queryset, lookup)

    @classmethod
    def get_serializer_class(cls, action: str | None = None) -> Any:
        """The serializer (a msgspec Struct) for ``action``: ``list_serializer_class`` for
        list, ``create_serializer_class`` for create, ``update_serializer_class`` (then
        ``create_serializer_class``) for update/partial_update, else ``serializer_class``."""
        if action == "list" and cls.list_serializer_class is not None:
            return cls.list_serializer_class
        if action == "create" and cls.create_serializer_class is not None:
            return cls.create_serializer_class
        if action in ("update", "partial_update"):
            for candidate in (cls.update_serializer_class, cls.create_serializer_class):
                if candidate is not None:
                    return candidate
        if cls.serializer_class is None:
            raise ValueError(
                f"'{cls.__name__}' should either include a `serializer_class` "
                "attribute, or override the `get_serializer_class()` method."
            )
        return cls.serializer_class

    async def perform_create(self, obj: Any) -> None:
        """Save a new object (``await obj.asave()``)."""
        await _call_async(obj, "asave")

    async def perform_update(self, obj: Any) -> None:
        """Save a changed object (``await obj.asave()``; plain rows need nothing)."""
        await _call_async(obj, "asave")

    async def perform_destroy(self, obj: Any) -> None:
        """Delete an object (``await obj.adelete()``)."""
        if not hasattr(obj, "adelete"):
            raise TypeError(f"cannot delete a {type(obj).__name__}: override perform_destroy()")
        await obj.adelete()


async def _call_async(obj: Any, name: str) -> None:
    method = getattr(obj, name, None)
    if method is not None:
        await method()


def _fields(data: Any) -> dict[str, Any]:
    """A write body as a dict of field values, ``UNSET`` fields left out."""
    if isinstance(data, msgspec.Struct):
        values = msgspec.structs.asdict(data)
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        values = dataclasses.asdict(data)
    elif isinstance(data, Mapping):
        values = dict(data)
    else:
        raise TypeError(f"cannot read fields from a {type(data).__name__}")
    return {k: v for k, v in values.items() if v is not msgspec.UNSET}


def _primary_keys(obj: Any) -> set[str]:
    meta_pk = getattr(getattr(obj, "_meta", None), "pk", None)
    return {"pk", getattr(meta_pk, "attname", "pk")}


def _assign(obj: Any, values: dict[str, Any]) -> None:
    """Set ``values`` on ``obj`` (a model instance or a dict), never its primary key."""
    skip = _primary_keys(obj)
    for key, value in values.items():
        if key in skip:
            continue
        if isinstance(obj, dict):
            obj[key] = value
        else:
            setattr(obj, key, value)


async def _update(view: ViewSet, obj: Any, data: Any) -> None:
    """Apply a write body to ``obj`` and save it through ``perform_update``; a serializer
    checks its foreign keys first and sets its many-to-many fields after."""
    if hasattr(data, "awrite"):  # a serializer: ids checked, M2M set, one transaction
        await data.awrite(obj, None, view.perform_update)
        return
    _assign(obj, _fields(data))
    await view.perform_update(obj)


class ListMixin(ViewSet):
    """``list``: GET the (filtered) queryset; paged when ``pagination_class`` is set."""

    @model_action
    async def list(self, request: Request) -> Any:
        return await self.filter_queryset(await self.get_queryset())


class RetrieveMixin(ViewSet):
    """``retrieve``: GET one object by ``lookup_field``."""

    @model_action
    async def retrieve(self, request: Request) -> Any:
        return await self.get_object()


class CreateMixin(ViewSet):
    """``create``: POST a body typed by ``create_serializer_class`` (or
    ``serializer_class``); the new object is built from the queryset's model and saved by
    :meth:`perform_create`. Answers 201 with ``serializer_class``."""

    @model_action
    async def create(self, request: Request, data: Any) -> Any:
        queryset = await self.get_queryset()
        model = getattr(queryset, "model", None)
        if model is None:
            raise TypeError(
                f"{type(self).__name__}.create needs a queryset with a `model` "
                "(a Django QuerySet); override create() for other collections"
            )
        if hasattr(data, "awrite"):  # a serializer: ids checked, M2M set, one transaction
            return await data.awrite(None, model, self.perform_create)
        obj = model(**_fields(data))
        await self.perform_create(obj)
        return obj


class UpdateMixin(ViewSet):
    """``update``: PUT a full body typed by ``update_serializer_class`` (or the create one,
    or ``serializer_class``); saved by :meth:`perform_update`."""

    @model_action
    async def update(self, request: Request, data: Any) -> Any:
        obj = await self.get_object()
        await _update(self, obj, data)
        return obj


class PartialUpdateMixin(ViewSet):
    """``partial_update``: PATCH any subset of the update serializer's fields."""

    @model_action
    async def partial_update(self, request: Request, data: Any) -> Any:
        obj = await self.get_object()
        await _update(self, obj, data)
        return obj


class DestroyMixin(ViewSet):
    """``destroy``: DELETE one object through :meth:`perform_destroy`; answers 204."""

    @model_action
    async def destroy(self, request: Request) -> None:
        obj = await self.get_object()
        await self.perform_destroy(obj)


class ReadOnlyModelViewSet(ListMixin, RetrieveMixin, ViewSet):
    """``list`` and ``retrieve`` over ``queryset``, answered with the serializer classes."""


class ModelViewSet(
    ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, PartialUpdateMixin, DestroyMixin, ViewSet
):
    """The six CRUD actions over ``queryset`` + ``serializer_class`` (and
    ``list_serializer_class``, ``create_serializer_class``, ``update_serializer_class``),
    with ``perform_create``/``perform_update``/``perform_destroy`` hooks."""
