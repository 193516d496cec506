"""docs/porting.md's Bolt examples run on both engines, and answer what the page says.

Each Python block of the page that is not a "# Before (...)" example is executed as a
module; the tests then send the requests the page describes through ``TestClient``. The
DRF example needs Django models: tests/apps/porting_app.py serves it, over real HTTP.
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from bolt_api.testing import TestClient

from .conftest import Server, serve_api

DOC = Path(__file__).resolve().parent.parent / "docs" / "porting.md"
BLOCKS = [
    b
    for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    if not b.startswith("# Before") and "from shelf.models" not in b
]


def module(index: int) -> types.ModuleType:
    mod = types.ModuleType(f"docs_porting_{index}")
    sys.modules[mod.__name__] = mod  # msgspec resolves the Structs' annotations there
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), mod.__dict__)
    return mod


@pytest.fixture
def django_bolt_example(engine: str) -> Iterator[tuple[TestClient, Any]]:
    mod = module(0)
    with TestClient(mod.api, engine=engine) as client:
        yield client, mod


def test_the_blocks_are_found() -> None:
    assert len(BLOCKS) == 2


def test_the_django_bolt_example(django_bolt_example: tuple[TestClient, Any]) -> None:
    client, mod = django_bolt_example
    assert client.get("/items/1").json() == {"name": "lamp", "price": 9.5}
    r = client.get("/items/9")
    assert (r.status_code, r.json()) == (404, {"detail": "no such item"})
    assert client.post("/items", json={"name": "desk", "price": 120}).status_code == 401
    token = jwt.encode({"sub": "7", "exp": int(time.time()) + 60}, mod.SECRET, algorithm="HS256")
    r = client.post(
        "/items",
        json={"name": "desk", "price": 120},
        headers={"authorization": f"Bearer {token}"},
    )
    assert (r.status_code, r.json(), r.cookies.get("last")) == (201, {"id": 2}, "2")
    assert mod.api.url_path_for("item-detail", item_id=2) == "/items/2"


def test_the_ninja_example(engine: str) -> None:
    mod = module(1)
    with TestClient(mod.api, engine=engine) as client:
        r = client.post("/events", json={"title": "PyCon"})
        assert (r.status_code, r.json()) == (201, {"title": "PyCon", "seats": 10})
        assert client.get("/events/3?detail=true").json() == {"id": 3, "detail": True}
        r = client.post("/events", json={"seats": "many"})
        assert r.status_code == 422
        assert len(r.json()["detail"]) >= 1


@pytest.fixture(scope="module")
def drf(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.porting_app:api", engine)
    yield srv
    srv.stop()


def test_the_drf_viewset_ported(drf: Server) -> None:
    with httpx.Client(base_url=drf.url, timeout=10.0) as c:
        r = c.post("/books", json={"title": "Dune", "author": 1, "tags": [1, 2]})
        assert r.status_code == 201, r.text
        book = r.json()
        assert (book["title"], book["author"], book["tags"]) == ("Dune", 1, [1, 2])
        r = c.post("/books", json={"title": "Nope", "author": 999, "tags": []})
        assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "author"])
        assert c.get("/books").json() == {
            "count": 1,
            "next": None,
            "previous": None,
            "results": [book],
        }
        r = c.patch(f"/books/{book['id']}", json={"title": "Dune Messiah"})
        assert (r.json()["title"], r.json()["tags"]) == ("Dune Messiah", [1, 2])
        assert c.delete(f"/books/{book['id']}").status_code == 204
        assert c.get("/books").json()["count"] == 0
