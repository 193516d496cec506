"""Testing a Bolt API with Django's ``TestCase``: ``python manage.py test catalog``.

``TestClient`` serves the API on a real engine (``BOLT_TEST_ENGINE``, default ``rust``) and,
for each request, lends the handlers the test's database connection: they see the rows the
test wrote inside its transaction, and what they write is rolled back with the test.
"""

from __future__ import annotations

import os
from decimal import Decimal

from bolt_api.testing import TestClient
from django.test import TestCase, TransactionTestCase

from catalog.api import api
from catalog.models import Item

ENGINE = os.environ.get("BOLT_TEST_ENGINE", "rust")


class ItemsTestCase(TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.client_ = TestClient(api, engine=ENGINE)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client_.close()
        super().tearDownClass()

    def setUp(self) -> None:
        Item.objects.all().delete()  # the seed rows, if any: inside this test's transaction
        self.item = Item.objects.create(name="lamp", price=Decimal("9.50"))

    def test_async_handler_sees_the_row_the_test_wrote(self) -> None:
        r = self.client_.get(f"/db/items/{self.item.pk}")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["name"], "lamp")

    def test_sync_handler_sees_the_row_the_test_wrote(self) -> None:
        r = self.client_.get("/db/sync/items")
        self.assertEqual([row["name"] for row in r.json()], ["lamp"])

    def test_handler_writes_are_seen_by_the_test(self) -> None:
        r = self.client_.post("/items", json={"name": "desk", "price": 120.0})
        self.assertEqual(r.status_code, 201, r.text)
        self.assertTrue(Item.objects.filter(name="desk").exists())
        self.assertEqual(Item.objects.count(), 2)

    def test_each_test_starts_clean(self) -> None:
        # whatever order the tests run in, no other test's "desk" is left over
        self.assertFalse(Item.objects.filter(name="desk").exists())
        self.assertEqual(Item.objects.count(), 1)


class OwnConnectionTestCase(TransactionTestCase):
    """``share_db_connection=False``: the handlers use their own connections, so they see
    only committed rows — what ``TransactionTestCase`` commits."""

    def test_handler_sees_committed_rows_on_its_own_connection(self) -> None:
        Item.objects.create(name="chair", price=Decimal("30.00"))
        with TestClient(api, engine=ENGINE, share_db_connection=False) as client:
            r = client.get("/db/sync/items")
        self.assertEqual([row["name"] for row in r.json()], ["chair"])
