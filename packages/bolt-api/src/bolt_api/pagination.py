"""Pagination over Django QuerySets and plain lists, for handlers and ViewSets.

``@paginate(PageNumberPagination)`` wraps a handler that returns a QuerySet or a list: the
wrapper is generated with the handler's own parameters plus the pagination query parameters
(``page``/``page_size``, ``limit``/``offset``, ``cursor``), so the binder validates them like
any other parameter — a bad value is the usual 422 — and the OpenAPI spec lists them. The
answer is a :class:`PaginatedResponse` envelope whose ``None`` fields are omitted::

    {"items": [...], "total": 5, "has_next": true, "has_previous": false,
     "page": 1, "page_size": 2, "total_pages": 3, "next_page": 2}

``response_class=DRFPaginatedResponse`` on a paginator gives Django REST framework's envelope
instead, with absolute links built from the request's own URL (its other query parameters
kept)::

    {"count": 5, "next": "http://api.example.com/items?page=2", "previous": null,
     "results": [...]}

A QuerySet is only evaluated through its async API (``acount()``, ``async for`` over a slice),
so Django is never imported here.
"""

from __future__ import annotations

import base64
import binascii
import copy
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from ._querysets import count, model_to_dict, read_field, to_list
from ._signatures import add_keyword, resolved_signature, stamp, with_request
from .engine import Request, build_absolute_uri
from .exceptions import RequestValidationError, ResponseValidationError
from .params import Query

__all__ = [
    "CursorPagination",
    "DRFPaginatedResponse",
    "LimitOffsetPagination",
    "PageNumberPagination",
    "PageParam",
    "PaginatedResponse",
    "PaginationBase",
    "paginate",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class PaginatedResponse(msgspec.Struct, Generic[T], omit_defaults=True):
    """The page envelope. Fields left ``None`` are omitted, so each scheme shows its own:
    page number (``page``, ``page_size``, ``total_pages``, ``next_page``, ``previous_page``),
    limit/offset (``limit``, ``offset``) or cursor (``page_size``, ``next_cursor``)."""

    items: list[T]
    total: int
    has_next: bool
    has_previous: bool
    page: int | None = None
    page_size: int | None = None
    total_pages: int | None = None
    next_page: int | None = None
    previous_page: int | None = None
    limit: int | None = None
    offset: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None


class DRFPaginatedResponse(msgspec.Struct, Generic[T], kw_only=True, omit_defaults=True):
    """Django REST framework's page envelope: ``count``, the absolute URLs of the ``next``
    and ``previous`` pages (``null`` at either end) and the ``results``. A cursor paginator
    makes no count, so ``count`` is left out there, and has no ``previous`` link."""

    count: int | None = None
    next: str | None
    previous: str | None
    results: list[T]


#: Query-string changes for one page link: a parameter's new value, or ``None`` to drop it.
LinkChanges = dict[str, "str | None"]


def page_url(request: Request, changes: LinkChanges) -> str:
    """The request's absolute URL with ``changes`` made to its query string (the other
    parameters kept in order)."""
    scheme, netloc, path, query, _ = urlsplit(build_absolute_uri(request))
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return urlunsplit((scheme, netloc, path, urlencode(pairs), ""))


@dataclass(frozen=True, slots=True)
class PageParam:
    """A query parameter a pagination scheme reads: ``key`` is the keyword it is passed to
    :meth:`PaginationBase.paginate_queryset` as, ``query`` its name in the query string."""

    key: str
    query: str
    annotation: Any
    default: Any
    ge: int | None = None


class PaginationBase:
    """Base of the pagination schemes; configure by subclassing or with keyword arguments
    (``PageNumberPagination(page_size=2)``).

    ``serializer_class`` converts each item (e.g. a model instance) to a Struct; when it is
    ``None``, ``@paginate`` takes it from the handler's ``list[T]`` return annotation.
    """

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = None
    serializer_class: Any = None
    #: :class:`PaginatedResponse` (django-bolt's envelope) or :class:`DRFPaginatedResponse`.
    response_class: Any = PaginatedResponse
    #: Whether the scheme counts the rows (``total``); a cursor does not.
    counts: bool = True

    def __init__(self, **options: Any) -> None:
        for name, value in options.items():
            if name.startswith("_") or not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
            setattr(self, name, value)

    def query_params(self) -> list[PageParam]:
        """The query parameters this scheme reads (none for the base class)."""
        return []

    async def get_page_params(self, request: Request, **bound: Any) -> dict[str, Any]:
        """Every :meth:`query_params` value: ``bound`` ones as given, the others read from
        ``request.query`` and validated (a bad value raises the usual 422)."""
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        query = getattr(request, "query", None) or {}
        for p in self.query_params():
            if p.key in bound:
                values[p.key] = bound[p.key]
                continue
            raw = query.get(p.query)
            if raw is None:
                values[p.key] = p.default
                continue
            base = _non_optional(p.annotation)
            target = Annotated[base, msgspec.Meta(ge=p.ge)] if p.ge is not None else base
            try:
                values[p.key] = msgspec.convert(raw, target, strict=False)
            except msgspec.ValidationError as exc:
                errors.append(
                    {
                        "type": "validation_error",
                        "loc": ["query", p.query],
                        "msg": str(exc),
                        "input": raw,
                    }
                )
        if errors:
            raise RequestValidationError(errors)
        return values

    def resolve_page_size(self, requested: int | None) -> int:
        """The page size to use: the requested one (else ``page_size``), at most
        ``max_page_size``."""
        return min(requested or self.page_size, self.max_page_size)

    async def paginate_queryset(self, queryset: Any, request: Request, **params: Any) -> Any:
        """One page of ``queryset`` as the response envelope."""
        raise NotImplementedError

    async def serialize_items(self, rows: list[Any]) -> list[Any]:
        """``rows`` converted to ``serializer_class`` (attributes of model instances are read);
        without one, model instances become dicts of their fields."""
        tp = self.serializer_class
        if tp is None or tp is Any:
            return [model_to_dict(row) for row in rows]
        if hasattr(tp, "__bolt_prepare__"):  # a serializer: sources, FK ids, loaded relations
            read: list[Any] = tp.from_models(rows)
            dump = tp.__bolt_dumper__()  # its output: no write-only, computed fields in
            return read if dump is None else [dump(item) for item in read]
        try:
            items: list[Any] = msgspec.convert(rows, list[tp], from_attributes=True)  # type: ignore[valid-type]
        except msgspec.ValidationError as exc:
            raise ResponseValidationError(getattr(tp, "__name__", repr(tp)), str(exc)) from None
        return items

    def build_response(
        self,
        items: list[Any],
        *,
        total: int,
        request: Request,
        has_next: bool,
        has_previous: bool,
        **info: Any,
    ) -> Any:
        """The envelope; override (with ``response_class``) for another shape."""
        rc = self.response_class
        if isinstance(rc, type) and issubclass(rc, DRFPaginatedResponse):
            following, preceding = self.link_changes(has_next, has_previous, info)
            return rc(
                count=total if self.counts else None,
                next=None if following is None else page_url(request, following),
                previous=None if preceding is None else page_url(request, preceding),
                results=items,
            )
        return rc(items=items, total=total, has_next=has_next, has_previous=has_previous, **info)

    def link_changes(
        self, has_next: bool, has_previous: bool, info: dict[str, Any]
    ) -> tuple[LinkChanges | None, LinkChanges | None]:
        """The query-string changes that lead to the next and the previous page (``None``
        where there is none), from the ``info`` :meth:`build_response` received."""
        return None, None

    def response_type(self, item: Any = Any) -> Any:
        """The envelope's type for items of type ``item`` (``PaginatedResponse[item]``)."""
        rc = self.response_class
        view = getattr(item, "__bolt_schema__", None) if isinstance(item, type) else None
        if view is not None:  # a serializer: the envelope carries its output shape
            item = view("output")
        return rc[item] if getattr(rc, "__parameters__", ()) else rc

    def _page_size_param(self) -> list[PageParam]:
        name = self.page_size_query_param
        return [PageParam("page_size", name, int | None, None, 1)] if name else []


class PageNumberPagination(PaginationBase):
    """``?page=2&page_size=20``. A page past the last one answers the last page."""

    page_size_query_param: str | None = "page_size"
    page_query_param: str = "page"

    def query_params(self) -> list[PageParam]:
        return [PageParam("page", self.page_query_param, int, 1, 1), *self._page_size_param()]

    async def paginate_queryset(self, queryset: Any, request: Request, **params: Any) -> Any:
        values = await self.get_page_params(request, **params)
        size = self.resolve_page_size(values.get("page_size"))
        total = await count(queryset)
        total_pages = -(-total // size)
        page = min(values["page"], total_pages) if total_pages else values["page"]
        offset = (page - 1) * size
        rows = await to_list(queryset[offset : offset + size])
        return self.build_response(
            await self.serialize_items(rows),
            total=total,
            request=request,
            has_next=page < total_pages,
            has_previous=page > 1,
            page=page,
            page_size=size,
            total_pages=total_pages,
            next_page=page + 1 if page < total_pages else None,
            previous_page=page - 1 if page > 1 else None,
        )

    def link_changes(
        self, has_next: bool, has_previous: bool, info: dict[str, Any]
    ) -> tuple[LinkChanges | None, LinkChanges | None]:
        name = self.page_query_param
        following = info.get("next_page")
        preceding = info.get("previous_page")
        return (
            None if following is None else {name: str(following)},
            # DRF's first page is the URL without the page parameter
            None if preceding is None else {name: None if preceding == 1 else str(preceding)},
        )


class LimitOffsetPagination(PaginationBase):
    """``?limit=10&offset=20``; ``limit`` defaults to ``page_size``, capped at
    ``max_page_size``."""

    limit_query_param: str = "limit"
    offset_query_param: str = "offset"

    def query_params(self) -> list[PageParam]:
        return [
            PageParam("limit", self.limit_query_param, int | None, None, 1),
            PageParam("offset", self.offset_query_param, int, 0, 0),
        ]

    async def paginate_queryset(self, queryset: Any, request: Request, **params: Any) -> Any:
        values = await self.get_page_params(request, **params)
        limit = self.resolve_page_size(values.get("limit"))
        offset: int = values["offset"]
        total = await count(queryset)
        rows = await to_list(queryset[offset : offset + limit])
        return self.build_response(
            await self.serialize_items(rows),
            total=total,
            request=request,
            has_next=offset + limit < total,
            has_previous=offset > 0,
            limit=limit,
            offset=offset,
        )

    def link_changes(
        self, has_next: bool, has_previous: bool, info: dict[str, Any]
    ) -> tuple[LinkChanges | None, LinkChanges | None]:
        limit, offset = info["limit"], info["offset"]
        lq, oq = self.limit_query_param, self.offset_query_param
        following: LinkChanges | None = (
            {lq: str(limit), oq: str(offset + limit)} if has_next else None
        )
        back = offset - limit
        preceding = {lq: str(limit), oq: None if back <= 0 else str(back)} if has_previous else None
        return following, preceding


class CursorPagination(PaginationBase):
    """``?cursor=<opaque>``: rows ordered by ``ordering`` (default ``"-id"``), each page
    starting after the last row of the previous one. No count is made: ``total`` is 0."""

    page_size_query_param: str | None = "page_size"
    cursor_query_param: str = "cursor"
    ordering: str = "-id"
    counts = False

    def query_params(self) -> list[PageParam]:
        return [
            PageParam("cursor", self.cursor_query_param, str | None, None),
            *self._page_size_param(),
        ]

    def encode_cursor(self, value: Any) -> str:
        """The opaque (URL-safe base64 JSON) cursor for an ordering value."""
        raw = base64.urlsafe_b64encode(msgspec.json.encode({"v": value}))
        return raw.rstrip(b"=").decode()

    def decode_cursor(self, cursor: str) -> Any:
        """The ordering value in ``cursor``; a malformed cursor is a 422."""
        try:
            text = cursor.replace("+", "-").replace("/", "_")
            data = msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if isinstance(data, dict) and "v" in data:
                return data["v"]
        except (binascii.Error, msgspec.DecodeError, ValueError):
            pass
        raise self._bad_cursor(cursor)

    def _bad_cursor(self, cursor: str) -> RequestValidationError:
        return RequestValidationError(
            [
                {
                    "type": "validation_error",
                    "loc": ["query", self.cursor_query_param],
                    "msg": "Invalid cursor",
                    "input": cursor,
                }
            ]
        )

    async def paginate_queryset(self, queryset: Any, request: Request, **params: Any) -> Any:
        values = await self.get_page_params(request, **params)
        size = self.resolve_page_size(values.get("page_size"))
        raw_cursor: str | None = values["cursor"]
        after = self.decode_cursor(raw_cursor) if raw_cursor is not None else None
        descending = self.ordering.startswith("-")
        field = self.ordering.lstrip("-")
        if hasattr(queryset, "order_by") and hasattr(queryset, "filter"):
            qs = queryset.order_by(self.ordering)
            if after is not None:
                qs = qs.filter(**{f"{field}__{'lt' if descending else 'gt'}": after})
            rows = await to_list(qs[: size + 1])
        else:
            try:
                rows = sorted(
                    await to_list(queryset), key=lambda r: read_field(r, field), reverse=descending
                )
                if after is not None:
                    rows = [
                        r
                        for r in rows
                        if (
                            read_field(r, field) < after
                            if descending
                            else read_field(r, field) > after
                        )
                    ]
            except TypeError:
                raise self._bad_cursor(raw_cursor or "") from None
            rows = rows[: size + 1]
        has_next = len(rows) > size
        rows = rows[:size]
        next_cursor = None
        if has_next and rows:
            next_cursor = self.encode_cursor(read_field(rows[-1], field))
        return self.build_response(
            await self.serialize_items(rows),
            total=0,
            request=request,
            has_next=has_next,
            has_previous=after is not None,
            page_size=size,
            next_cursor=next_cursor,
        )

    def link_changes(
        self, has_next: bool, has_previous: bool, info: dict[str, Any]
    ) -> tuple[LinkChanges | None, LinkChanges | None]:
        cursor = info.get("next_cursor")
        return (None if cursor is None else {self.cursor_query_param: cursor}), None


def _non_optional(tp: Any) -> Any:
    args = [a for a in get_args(tp) if a is not type(None)]
    return args[0] if args and len(args) < len(get_args(tp)) else tp


def item_type(tp: Any) -> Any:
    """``T`` of ``list[T]``/``Sequence[T]``/``PaginatedResponse[T]``; ``None`` otherwise."""
    origin = get_origin(tp)
    args = get_args(tp)
    if args and (
        origin in (list, tuple, Sequence)
        or (isinstance(origin, type) and issubclass(origin, PaginatedResponse))
    ):
        return args[0]
    return None


def _instance(pagination: type[PaginationBase] | PaginationBase) -> PaginationBase:
    if isinstance(pagination, PaginationBase):
        return copy.copy(pagination)
    if isinstance(pagination, type) and issubclass(pagination, PaginationBase):
        return pagination()
    raise TypeError(f"expected a PaginationBase subclass or instance, got {pagination!r}")


def paginated_handler(
    handler: Callable[..., Any],
    pagination: type[PaginationBase] | PaginationBase,
    *,
    item: Any = None,
    qualname: str | None = None,
) -> Callable[..., Any]:
    """A handler answering one page of what ``handler`` returns.

    Its signature is ``handler``'s plus the scheme's query parameters (keyword-only, under
    private names) and the request (added when ``handler`` does not take it).
    """
    paginator = _instance(pagination)
    sig = resolved_signature(handler)
    if item is None:
        item = item_type(sig.return_annotation)
    if item is not None and paginator.serializer_class is None:
        paginator.serializer_class = item
    page_params = paginator.query_params()
    names = {p.key: f"_pagination_{p.key}" for p in page_params}
    extra = [
        inspect.Parameter(
            names[p.key],
            inspect.Parameter.KEYWORD_ONLY,
            default=p.default,
            annotation=Annotated[p.annotation, Query(alias=p.query, ge=p.ge)],
        )
        for p in page_params
    ]
    params, request_name, hidden = with_request(list(sig.parameters.values()))
    params = add_keyword(params, extra)
    positional = tuple(p.name for p in params)

    async def paginated(*args: Any, **kwargs: Any) -> Any:
        if args:  # a method's self, or the request of a request-only route
            kwargs.update(zip(positional, args, strict=False))
        bound = {key: kwargs.pop(name) for key, name in names.items() if name in kwargs}
        request = kwargs.pop(request_name) if hidden else kwargs.get(request_name)
        result = handler(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        prepare = getattr(paginator.serializer_class, "__bolt_prepare__", None)
        if prepare is not None:  # a serializer's loading plan, before the page is sliced
            result = prepare(result)
        return await paginator.paginate_queryset(result, request, **bound)  # type: ignore[arg-type]  # a request-less call only in unit tests

    def adapt_response_model(model: Any) -> Any:
        """``response_model=list[T]`` on the route: items become ``T``, the route answers
        the envelope."""
        model_item = item_type(model)
        if model_item is not None and paginator.serializer_class is None:
            paginator.serializer_class = model_item
        return paginator.response_type(model_item if model_item is not None else Any)

    stamp(
        paginated,
        params,
        paginator.response_type(item if item is not None else Any),
        like=handler,
        qualname=qualname,
    )
    paginated.__bolt_adapt_response_model__ = adapt_response_model  # type: ignore[attr-defined]
    paginated.__paginated__ = True  # type: ignore[attr-defined]
    paginated.__pagination_class__ = type(paginator)  # type: ignore[attr-defined]
    limit = getattr(handler, "__bolt_rate_limit__", None)
    if limit is not None:  # @rate_limit under @paginate
        paginated.__bolt_rate_limit__ = limit  # type: ignore[attr-defined]
    return paginated


@overload
def paginate(pagination_class: type[PaginationBase] | PaginationBase = ...) -> Callable[[F], F]: ...


@overload
def paginate(pagination_class: F) -> F: ...


def paginate(pagination_class: Any = PageNumberPagination) -> Any:
    """Decorator: answer one page of what the handler returns (a QuerySet or a list).

    ``pagination_class`` is a :class:`PaginationBase` subclass or instance; the bare form
    ``@paginate`` uses :class:`PageNumberPagination`. The items take the type of the
    handler's ``list[T]`` return annotation (or ``response_model=list[T]``).
    """
    if inspect.isfunction(pagination_class):
        return paginated_handler(pagination_class, PageNumberPagination)
    _instance(pagination_class)  # reject a wrong argument at decoration time

    def decorator(handler: F) -> F:
        return paginated_handler(handler, pagination_class)  # type: ignore[return-value]

    return decorator
