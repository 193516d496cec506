"""The E5 table: ``Row`` (no migrations; the runner creates it with ``migrate --run-syncdb``)."""
