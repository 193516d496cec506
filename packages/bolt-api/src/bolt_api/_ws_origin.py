"""The ``Origin`` check of a WebSocket handshake, before the upgrade.

Browsers do not apply the same-origin policy to WebSockets: any page can open one to any
server, and the browser sends that server's cookies along. A WebSocket route that trusts a
session cookie would then serve whatever site the user happens to visit (cross-site WebSocket
hijacking). So a handshake from a browser — one with an ``Origin`` header — is accepted only
from the server's own origin (the ``Origin``'s host and port are the request's ``Host``) or
from an origin the API's CORS policy allows (``BoltAPI(cors=...)``, django-cors-headers'
settings); anything else is answered 403 before the upgrade. A client that sends no
``Origin`` (not a browser: it cannot be made to send someone else's cookies) is not checked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ._cors import CORSPolicy
from .engine import Request

__all__ = ["OriginCheck"]


class OriginCheck:
    """Whether a handshake's ``Origin`` may open a WebSocket (see the module docstring)."""

    __slots__ = ("_cors",)

    def __init__(self, cors: CORSPolicy | None) -> None:
        self._cors = cors

    def allows(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None:
            return True
        if self._cors is not None and self._cors.allowed(origin):
            return True
        return _same_origin(origin, request.headers.get("host"))


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _same_origin(origin: str, host: str | None) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) names the server at ``host``."""
    if not host:
        return False
    try:
        parts = urlsplit(origin.strip())
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            return False
        origin_port = parts.port or _DEFAULT_PORTS[parts.scheme]
        served = urlsplit(f"//{host.strip()}")
        if not served.hostname:
            return False
        served_port = served.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:  # a malformed port or bracket
        return False
    return parts.hostname == served.hostname and origin_port == served_port
