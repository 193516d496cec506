"""docs/porting.md's Bolt examples run on both engines, and answer what the page says.

Each Python block of the page that is not a "# Before (...)" example is executed as a
module; the tests then send the requests the page describes through ``TestClient``.
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from bolt_api.testing import TestClient

DOC = Path(__file__).resolve().parent.parent / "docs" / "porting.md"
BLOCKS = [
    b
    for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    if not b.startswith("# Before")
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
