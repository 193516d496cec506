"""ModelViewSet and pagination over Django QuerySets: the example project on each engine.

``examples/catalog/api.py`` routes ``ItemViewSet`` (a ModelViewSet over ``catalog.models.Item``,
paged two by two) and ``@paginate`` handlers returning QuerySets. The server is started as in
test_django.py: ``manage.py runbolt`` over a throw-away, migrated and seeded sqlite database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Server
from .test_django import serve_example


@pytest.fixture(scope="module")
def example(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_example(engine, tmp_path_factory, "views")


def all_items(example: Server) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = httpx.get(example.url + "/db/items").json()
    return items


def test_list_is_paged(example: Server) -> None:
    r = httpx.get(example.url + "/catalog/items")
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {"id": 1, "name": "Keyboard", "price": 49.9, "in_stock": True},
            {"id": 2, "name": "Mouse", "price": 19.99, "in_stock": True},
        ],
        "total": 3,
        "has_next": True,
        "has_previous": False,
        "page": 1,
        "page_size": 2,
        "total_pages": 2,
        "next_page": 2,
    }
    last = httpx.get(example.url + "/catalog/items", params={"page": 2}).json()
    assert [i["name"] for i in last["items"]] == ["Monitor"]
    assert (last["has_next"], last["previous_page"]) == (False, 1)
    r = httpx.get(example.url + "/catalog/items", params={"page": "first"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "page"]


def test_retrieve_and_not_found(example: Server) -> None:
    r = httpx.get(example.url + "/catalog/items/3")
    assert r.json() == {"id": 3, "name": "Monitor", "price": 189.0, "in_stock": False}
    for missing in ("999", "abc"):
        r = httpx.get(f"{example.url}/catalog/items/{missing}")
        assert (r.status_code, r.json()) == (404, {"detail": "Not found"})


def test_create_update_destroy(example: Server) -> None:
    r = httpx.post(example.url + "/catalog/items", json={"name": "Lamp", "price": 12.5})
    assert r.status_code == 201
    item = r.json()
    assert item == {"id": item["id"], "name": "Lamp", "price": 12.5, "in_stock": True}
    url = f"{example.url}/catalog/items/{item['id']}"
    assert httpx.get(f"{example.url}/db/items/{item['id']}").json() == item

    r = httpx.patch(url, json={"price": 15})
    assert (r.status_code, r.json()) == (200, {**item, "price": 15.0})
    r = httpx.put(url, json={"name": "Desk lamp", "price": 20, "in_stock": False})
    assert r.json() == {"id": item["id"], "name": "Desk lamp", "price": 20.0, "in_stock": False}
    assert httpx.get(f"{example.url}/db/items/{item['id']}").json()["name"] == "Desk lamp"

    r = httpx.put(url, json={"price": 1})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "name"]
    assert httpx.post(example.url + "/catalog/items", json={"name": "x"}).status_code == 422
    assert httpx.patch(url, json={"price": "cheap"}).status_code == 422

    r = httpx.delete(url)
    assert (r.status_code, r.content) == (204, b"")
    assert httpx.get(url).status_code == 404
    assert httpx.delete(url).status_code == 404


def test_custom_actions(example: Server) -> None:
    in_stock = httpx.get(example.url + "/catalog/items/in-stock").json()
    assert [i["name"] for i in in_stock] == ["Keyboard", "Mouse"]
    r = httpx.post(example.url + "/catalog/items/3/restock")
    assert r.json() == {"id": 3, "name": "Monitor", "price": 189.0, "in_stock": True}
    assert len(httpx.get(example.url + "/catalog/items/in-stock").json()) == 3
    assert httpx.post(example.url + "/catalog/items/999/restock").status_code == 404


def test_limit_offset_over_a_queryset(example: Server) -> None:
    items = all_items(example)
    body = httpx.get(example.url + "/db/pages/offset", params={"offset": 1}).json()
    assert body == {
        "items": items[1:3],
        "total": len(items),
        "has_next": len(items) > 3,
        "has_previous": True,
        "limit": 2,
        "offset": 1,
    }
    assert httpx.get(example.url + "/db/pages/offset", params={"limit": 0}).status_code == 422


def test_cursor_over_a_queryset(example: Server) -> None:
    items = all_items(example)
    seen: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        body = httpx.get(example.url + "/db/pages/cursor", params=params).json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        if not body["has_next"]:
            break
        params = {"cursor": body["next_cursor"]}
    assert seen == sorted(items, key=lambda i: -i["id"])
    r = httpx.get(example.url + "/db/pages/cursor", params={"cursor": "%%%"})
    assert r.status_code == 422
