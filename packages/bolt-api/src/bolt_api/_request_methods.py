"""Request methods whose meaning belongs to bolt-api, shared by both engines' request objects.

The engines implement the request object natively (a Rust pyclass, a Python class) but call
these functions for Django-style helpers, so the answer is the same whichever engine serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

if TYPE_CHECKING:  # engine re-exports these functions
    from .engine import Request

__all__ = ["build_absolute_uri", "get_full_path"]

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def get_full_path(request: Request) -> str:
    """The path (percent-encoded again) plus ``?query`` when there is one, like Django's."""
    path = quote(request.path, safe=_PATH_SAFE)
    query = request.query_string
    return f"{path}?{query}" if query else path


def build_absolute_uri(request: Request, location: str | None = None) -> str:
    """An absolute URL for ``location`` (default: this request's full path), like Django's.

    The scheme is ``request.scheme`` (``https`` only from a trusted proxy's
    ``X-Forwarded-Proto``, see ``bolt_api.proxies``); the host is the ``Host`` header
    (``localhost`` when absent).
    """
    if location is not None and urlsplit(location).scheme:
        return location
    host = request.headers.get("host") or "localhost"
    base = f"{request.scheme}://{host}{get_full_path(request)}"
    return base if location is None else urljoin(base, location)
