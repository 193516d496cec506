"""Paginated function routes (``@paginate``) over the in-memory ``ROWS``, every paginator.

Page numbers (the default size, and a subclass with a smaller size and a cap on the size a
client may ask for), limit/offset, and cursors (ascending by ``id``, and the default
descending order); the last route declares its item type with ``response_model`` only.
"""

from __future__ import annotations

from typing import Any

import msgspec
from bolt_api import CursorPagination, LimitOffsetPagination, PageNumberPagination, paginate
from bolt_api.pagination import DRFPaginatedResponse

from .app import api

__all__ = [
    "ROWS",
    "AscendingCursor",
    "Row",
    "SmallPages",
    "rows_by_number",
    "rows_cursor",
    "rows_cursor_desc",
    "rows_drf_cursor",
    "rows_drf_number",
    "rows_drf_offset",
    "rows_model",
    "rows_offset",
    "rows_small",
]


class Row(msgspec.Struct):
    id: int
    name: str


ROWS = [{"id": i, "name": f"row {i}"} for i in range(1, 8)]


@api.get("/cbv/pages/number")
@paginate(PageNumberPagination)
async def rows_by_number(q: str | None = None) -> list[Row]:
    return [r for r in ROWS if q is None or q in r["name"]]


class SmallPages(PageNumberPagination):
    page_size = 3
    max_page_size = 5


@api.get("/cbv/pages/small")
@paginate(SmallPages)
def rows_small(request: Any) -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/offset")
@paginate(LimitOffsetPagination(page_size=2))
def rows_offset() -> list[Row]:
    return ROWS  # type: ignore[return-value]


class AscendingCursor(CursorPagination):
    page_size = 3
    ordering = "id"


@api.get("/cbv/pages/cursor")
@paginate(AscendingCursor)
async def rows_cursor() -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/cursor-desc")
@paginate(CursorPagination(page_size=3))
async def rows_cursor_desc() -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/model", response_model=list[Row])
@paginate
def rows_model():  # type: ignore[no-untyped-def]
    return ROWS


# Django REST framework's envelope (count, next, previous, results) on each scheme
@api.get("/cbv/pages/drf/number")
@paginate(PageNumberPagination(page_size=3, response_class=DRFPaginatedResponse))
async def rows_drf_number(q: str | None = None) -> list[Row]:
    return [r for r in ROWS if q is None or q in r["name"]]  # type: ignore[misc]


@api.get("/cbv/pages/drf/offset")
@paginate(LimitOffsetPagination(page_size=3, response_class=DRFPaginatedResponse))
def rows_drf_offset() -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/drf/cursor")
@paginate(AscendingCursor(response_class=DRFPaginatedResponse))
async def rows_drf_cursor() -> list[Row]:
    return ROWS  # type: ignore[return-value]
