"""Routes that answer with what the request object holds, as the engine handed it over.

The suite compares these answers between the engines: the raw request parts (``/echo``),
every header (``/headers/all``, for the HTTP corpus), the Django-style helpers
(``/uri/...``) and the client address and scheme seen through trusted proxies
(``/proxy/client``, for tests/test_proxies.py and tests/test_nginx.py).
"""

from __future__ import annotations

import os
from typing import Any

from .app import api

__all__ = ["all_headers", "echo", "echo_post", "proxy_client", "uri"]


@api.get("/echo")
def echo(request: Any) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "query": request.query,
        "query_multi": request.query_multi,
        "cookies": request.cookies,
        "x_custom": request.headers.get("x-custom"),
        "has_client": request.client is not None,
        "body": request.body.decode("latin-1"),
        "path_params": request.path_params,
    }


@api.post("/echo/{kind}")
async def echo_post(request: Any) -> dict[str, Any]:
    return {
        "path_params": request.path_params,
        "body_len": len(request.body),
        "body_head": request.body[:20].decode("latin-1"),
    }


@api.get("/headers/all")
def all_headers(request: Any) -> dict[str, str]:
    """Every request header as the engine hands it over (the HTTP corpus checks them)."""
    return dict(request.headers)


@api.get("/uri/{rest:path}")
def uri(request: Any) -> dict[str, Any]:
    return {
        "full_path": request.get_full_path(),
        "absolute": request.build_absolute_uri(),
        "joined": request.build_absolute_uri("other?x=1"),
        "external": request.build_absolute_uri("https://example.com/a"),
        "state_is_dict": request.state == {},
    }


@api.get("/proxy/client")
def proxy_client(request: Any) -> dict[str, Any]:
    client = request.client
    return {
        "host": client[0] if client else None,
        "port": client[1] if client else None,
        "scheme": request.scheme,
        "absolute": request.build_absolute_uri("/x?y=1"),
        "pid": os.getpid(),
    }
