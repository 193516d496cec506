"""The catalog API: one route per feature of the first slice, found by ``runbolt`` itself.

Async handlers use Django's async ORM directly (``acreate``, ``aget``, ``async for``).
"""

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from bolt_api import (
    HTML,
    BoltAPI,
    CursorPagination,
    HTTPException,
    LimitOffsetPagination,
    ModelViewSet,
    NotFound,
    PageNumberPagination,
    PlainText,
    Redirect,
    action,
    paginate,
)

from catalog.models import Item

api = BoltAPI()


class ItemIn(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(max_length=100)]
    # Item.price is a DecimalField(max_digits=8, decimal_places=2): larger prices would be
    # stored by sqlite and then fail every read of the table.
    price: Annotated[float, msgspec.Meta(ge=0, le=999_999.99)]
    in_stock: bool = True


class ItemOut(msgspec.Struct):
    id: int
    name: str
    price: float
    in_stock: bool


def _out(row: dict[str, Any]) -> ItemOut:
    """An ``ItemOut`` from ``.values("id", "name", "price", "in_stock")``; price is a Decimal."""
    return ItemOut(
        id=row["id"], name=row["name"], price=float(row["price"]), in_stock=row["in_stock"]
    )


def _from_model(item: Item) -> ItemOut:
    return ItemOut(id=item.pk, name=item.name, price=float(item.price), in_stock=item.in_stock)


@api.get("/")
def index() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None) -> dict[str, object]:
    return {"item_id": item_id, "q": q}


@api.post("/items", status_code=201)
async def create_item(item: ItemIn) -> ItemOut:
    row = await Item.objects.acreate(
        name=item.name, price=Decimal(str(item.price)), in_stock=item.in_stock
    )
    return _from_model(row)


@api.get("/db/items")
async def list_items() -> list[ItemOut]:
    rows = Item.objects.order_by("id").values("id", "name", "price", "in_stock")
    return [_out(row) async for row in rows]


@api.get("/db/sync/items")
def list_items_sync() -> list[ItemOut]:
    """The plain ``def`` ORM handler: it may block, so it runs on the handler pool."""
    return [_from_model(item) for item in Item.objects.order_by("id")]


@api.get("/db/items/{item_id}")
async def get_item(item_id: int) -> ItemOut:
    try:
        row = await Item.objects.aget(pk=item_id)
    except Item.DoesNotExist:
        raise NotFound(detail=f"Item {item_id} not found") from None
    return _from_model(row)


@api.get("/hello/{name}")
def hello(name: str) -> PlainText:
    return PlainText(f"Hello, {name}!")


@api.get("/page")
def page() -> HTML:
    return HTML("<!doctype html><title>Bolt</title><h1>Hello from Bolt</h1>")


@api.get("/old")
def old() -> Redirect:
    return Redirect("/")


@api.get("/teapot")
def teapot() -> None:
    raise HTTPException(418, "I'm a teapot")


# --- class-based views and pagination over the ORM -------------------------------------------


class TwoPerPage(PageNumberPagination):
    page_size = 2


@api.viewset("/catalog/items", name="catalog-item", tags=["catalog"])
class ItemViewSet(ModelViewSet):
    """CRUD over ``Item``: list (two per page), retrieve, create (201), update, partial
    update and destroy (204) come from ModelViewSet; bodies are ``ItemIn``, answers
    ``ItemOut``."""

    queryset = Item.objects.order_by("id")
    serializer_class = ItemOut
    create_serializer_class = ItemIn
    pagination_class = TwoPerPage

    @action(methods=["GET"], detail=False, path="in-stock")
    async def in_stock(self) -> list[ItemOut]:
        """The items in stock (a QuerySet, evaluated asynchronously)."""
        return (await self.get_queryset()).filter(in_stock=True)  # type: ignore[no-any-return]

    @action(methods=["POST"], detail=True)
    async def restock(self) -> ItemOut:
        """Mark one item as in stock."""
        item = await self.get_object()
        item.in_stock = True
        await item.asave(update_fields=["in_stock"])
        return item  # type: ignore[no-any-return]


@api.get("/db/pages/offset")
@paginate(LimitOffsetPagination(page_size=2))
async def items_by_offset() -> list[ItemOut]:
    """``?limit=&offset=`` over the items, oldest first."""
    return Item.objects.order_by("id")  # type: ignore[return-value]


@api.get("/db/pages/cursor")
@paginate(CursorPagination(page_size=2))
async def items_by_cursor() -> list[ItemOut]:
    """``?cursor=`` over the items, newest first."""
    return Item.objects.all()  # type: ignore[return-value]


# --- more of the API: forms, uploads, dependencies, cookies, streaming, SSE, files ----------

import asyncio  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402
from pathlib import Path as FsPath  # noqa: E402

from bolt_api import JSON, Depends, File, Form, Header, Query, UploadFile  # noqa: E402
from bolt_api.files import FileResponse  # noqa: E402
from bolt_api.streaming import EventSourceResponse, ServerSentEvent, StreamingResponse  # noqa: E402

README = FsPath(__file__).resolve().parent.parent / "README.md"


def api_key(x_api_key: Annotated[str | None, Header()] = None) -> str:
    """A dependency: the caller's key, or "anonymous"."""
    return x_api_key or "anonymous"


def audit(caller: Annotated[str, Depends(api_key)]) -> Iterator[dict[str, Any]]:
    """A dependency with teardown: runs after the handler, even when it raised."""
    entry = {"caller": caller, "status": "started"}
    yield entry
    entry["status"] = "finished"


@api.post("/contact")
def contact(
    name: Annotated[str, Form(min_length=1, max_length=100)],
    message: Annotated[str, Form(max_length=2000)],
    entry: Annotated[dict[str, Any], Depends(audit)],
) -> JSON:
    """A urlencoded or multipart form, answered with a cookie."""
    response = JSON({"received": name, "length": len(message), "by": entry["caller"]})
    response.set_cookie("last_contact", name, max_age=3600, httponly=True)
    return response


@api.post("/attachments")
async def attach(
    upload: Annotated[UploadFile, File(max_size=1_000_000, allowed_types=["text/*"])],
) -> dict[str, Any]:
    """A text upload (at most 1 MB), spooled to disk past 1 MiB and deleted afterwards."""
    data = await upload.read()
    return {
        "filename": upload.filename,
        "size": upload.size,
        "lines": data.decode("utf-8", "replace").count("\n"),
    }


@api.get("/stream/count")
def stream_count(to: Annotated[int, Query(ge=1, le=1000)] = 10) -> StreamingResponse:
    """A response streamed line by line."""
    return StreamingResponse((f"{i}\n" for i in range(1, to + 1)), media_type="text/plain")


@api.get("/events/prices")
async def price_events() -> EventSourceResponse:
    """Server-Sent Events: every item's price, one event each."""

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for row in Item.objects.order_by("id").values("id", "price"):
            await asyncio.sleep(0)
            yield ServerSentEvent(
                data={"id": row["id"], "price": float(row["price"])},
                event="price",
                id=str(row["id"]),
            )

    return EventSourceResponse(events())


@api.get("/readme")
def readme() -> FileResponse:
    """A file streamed from disk (ranges, HEAD and conditional requests included)."""
    return FileResponse(README, media_type="text/markdown")
