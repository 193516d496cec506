"""The same, with pytest-django: ``pytest --ds=project.settings catalog/test_with_pytest.py``
from examples/ (``BOLT_TEST_ENGINE`` picks the engine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from bolt_api.testing import TestClient

from catalog.api import api
from catalog.models import Item


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(api, engine=os.environ.get("BOLT_TEST_ENGINE", "rust")) as c:
        yield c


@pytest.mark.django_db
def test_handler_sees_and_writes_inside_the_test_transaction(client: TestClient) -> None:
    Item.objects.all().delete()
    item = Item.objects.create(name="lamp", price=Decimal("9.50"))
    assert client.get(f"/db/items/{item.pk}").json()["name"] == "lamp"
    assert client.post("/items", json={"name": "desk", "price": 120.0}).status_code == 201
    assert sorted(Item.objects.values_list("name", flat=True)) == ["desk", "lamp"]


@pytest.mark.django_db
def test_the_previous_test_was_rolled_back(client: TestClient) -> None:
    assert not Item.objects.filter(name__in=["desk", "lamp"]).exists()
    assert [row["name"] for row in client.get("/db/sync/items").json()] == []
