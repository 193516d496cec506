"""The catalog app: one BoltAPI exercising every feature the conformance suite checks.

Both engines serve this same package (``python -m bolt_api serve tests.apps.catalog:api``);
the tests compare what comes back over real sockets. ``problems`` (a second API, with
problem details) is mounted into ``api`` and also served alone by tests/test_routing.py.

Each feature has its own module, which registers its routes on ``api`` (``app.py``) when it
is imported. They are imported below in a fixed order, the order of the route table: it
decides which of two equally specific patterns wins and the order of the OpenAPI document.
A route the suite needs goes into the module of its feature, or a new module listed here.
"""

from __future__ import annotations

# isort: off
from . import (  # noqa: F401  (imported for the routes they register, in this order)
    basics,
    echo,
    params,
    bodies,
    forms,
    responses,
    errors,
    routing,
    dependencies,
    streaming,
    files,
    views,
    pagination,
    compression,
)

# isort: on
from .app import api
from .errors import problems

__all__ = ["api", "problems"]
