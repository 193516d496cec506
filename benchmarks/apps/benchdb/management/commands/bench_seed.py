"""``bench_seed``: (re)fill the E5 table with the rows ``benchmarks.apps.common`` describes."""

from django.core.management.base import BaseCommand

from benchmarks.apps.benchdb.models import Row
from benchmarks.apps.common import DB_ROWS, seed_row


class Command(BaseCommand):
    help = "Fill the benchmark's Row table with its fixed rows."

    def handle(self, *args: object, **options: object) -> None:
        Row.objects.all().delete()
        Row.objects.bulk_create(Row(id=i, **seed_row(i)) for i in range(1, DB_ROWS + 1))
        self.stdout.write(f"seeded {Row.objects.count()} rows")
