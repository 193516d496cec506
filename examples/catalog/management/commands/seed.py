"""``manage.py seed``: put a few items in the catalog (once; ``--reset`` starts over)."""

from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand

from catalog.models import Item

ITEMS = [
    ("Keyboard", Decimal("49.90"), True),
    ("Mouse", Decimal("19.99"), True),
    ("Monitor", Decimal("189.00"), False),
]


class Command(BaseCommand):
    help = "Inserts a few Item rows if the catalog is empty."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete every item first.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            Item.objects.all().delete()
        if Item.objects.exists():
            self.stdout.write(f"Catalog already has {Item.objects.count()} items.")
            return
        Item.objects.bulk_create(
            Item(name=name, price=price, in_stock=in_stock) for name, price, in_stock in ITEMS
        )
        self.stdout.write(self.style.SUCCESS(f"Inserted {len(ITEMS)} items."))
