"""JSON request bodies validated into structs, on every method that takes a body.

A nested struct (``Order`` holds ``Item``s), a body beside a path parameter, a 204 with no
body, and ``Body(embed=True)``: the struct and a scalar each under their own key.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from bolt_api import Body

from .app import api
from .models import Item

__all__ = [
    "Order",
    "create_item",
    "create_order",
    "delete_item",
    "embedded",
    "free_json",
    "patch_item",
    "replace_item",
]


class Order(msgspec.Struct):
    id: int
    items: list[Item]


@api.post("/items", status_code=201)
def create_item(item: Item) -> Item:
    return item


@api.put("/items/{item_id}")
async def replace_item(item_id: int, item: Item) -> dict[str, Any]:
    return {"item_id": item_id, "item": item}


@api.patch("/items/{item_id}")
def patch_item(item_id: int, item: Item) -> dict[str, Any]:
    return {"item_id": item_id, "name": item.name}


@api.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> None:
    return None


@api.post("/orders")
def create_order(order: Order) -> Order:
    return order


@api.post("/embedded")
def embedded(
    item: Annotated[Item, Body(embed=True)], count: Annotated[int, Body(embed=True)] = 1
) -> dict[str, Any]:
    return {"name": item.name, "count": count}


@api.post("/free-json")
def free_json(data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Any JSON object: what a hostile, deeply nested body reaches (issue 19)."""
    return {"keys": sorted(data)}
