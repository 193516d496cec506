"""A Django app with one model, ``RevokedToken``: the table ``DjangoORMRevocation`` needs
(tests/apps/tokens_app.py). No migrations: ``migrate --run-syncdb`` creates its table."""
