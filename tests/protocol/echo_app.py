"""The app the protocol tables run against over real sockets: every parsed view, echoed.

Any path under any method bolt-api routes answers with what the engine's request object
says — the same attributes the tables check without a socket — so one request per row
checks the row end to end. OpenAPI and compression are off: nothing but the echo answers.
"""

from __future__ import annotations

from typing import Any

from bolt_api import BoltAPI
from bolt_api.openapi import OpenAPIConfig

__all__ = ["api"]

api = BoltAPI(openapi_config=OpenAPIConfig(enabled=False), compression=False)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


@api.route("/", METHODS)
@api.route("/{rest:path}", METHODS)
def echo(request: Any) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "query": request.query,
        "query_multi": request.query_multi,
        "cookies": request.cookies,
        "headers": request.headers,
        "accept_encoding": request.accept_encoding,
        "host": request.host,
    }
