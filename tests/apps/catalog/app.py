"""The catalog's one ``BoltAPI``: every feature module registers its routes on it.

It lives in a module of its own so that the feature modules can import it without importing
one another; ``tests/apps/catalog/__init__.py`` imports them in the order of the route table.
"""

from __future__ import annotations

from bolt_api import BoltAPI

__all__ = ["api"]

api = BoltAPI()
