"""Bolt's Django integration: find the project's ``BoltAPI`` objects and serve them.

Enable it with ``INSTALLED_APPS += ["bolt_django"]``; then ``python manage.py runbolt``
serves every API found by :func:`~bolt_django.discovery.discover_apis` on the chosen engine.
Nothing here touches requests: that is bolt-api's job, and moving bytes is the engine's.
"""

from .discovery import discover_apis

__all__ = ["discover_apis"]
