"""A Django project serving tests/apps/lifespan_app.py under ``manage.py runbolt``."""
