"""Answers any status it is asked for (tests/test_reason_phrases.py): ``GET /status/{code}``
returns an empty response with that status, so the status line is all there is to compare.

Served alone (``python -m bolt_api serve tests.apps.status_app:api``).
"""

from __future__ import annotations

from bolt_api import BoltAPI
from bolt_api.openapi import OpenAPIConfig
from bolt_api.responses import Response

__all__ = ["api"]

api = BoltAPI(openapi_config=OpenAPIConfig(enabled=False), compression=False)


@api.get("/status/{code}")
def status(code: int) -> Response:
    return Response(b"", status_code=code)
