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
    return ItemOut(id=row["id"], name=row["name"], price=float(row["price"]),
                   in_stock=row["in_stock"])


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
        name=item.name, price=Decimal(str(item.price)), in_stock=item.in_stock)
    return _from_model(row)


@api.get("/db/items")
async def list_items() -> list[ItemOut]:
    rows = Item.objects.order_by("id").values("id", "name", "price", "in_stock")
    return [_out(row) async for row in rows]


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
