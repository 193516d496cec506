"""What every connection of one server shares, built once at start.

A connection needs the route matcher, the fallback, the pre-rendered engine errors, the
limits from the config, the cached ``date`` line and the set of live connections (for the
graceful stop). Gathering them in one object keeps :class:`~bolt_py._protocol.HttpProtocol`
construction — once per TCP connection — to a handful of attribute copies.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bolt_api.engine import CompiledApp, Fallback, ResponseTuple, RouteMatcher, ServerConfig
from bolt_api.proxies import TrustedProxies

from ._access_log import AccessLogger
from ._response import DateHeader
from ._routes import Route, build_matcher

if TYPE_CHECKING:
    from ._protocol import HttpProtocol
    from ._websocket import WebSocket

__all__ = ["ServerState"]

#: Statuses this engine produces itself, rendered even if the app does not list them.
_OWN_ERRORS: tuple[int, ...] = (400, 408, 413, 414, 431, 500, 501, 503)


class ServerState:
    """Shared, read-mostly state for all connections of one server."""

    __slots__ = (
        "access_log",
        "body_min_rate",
        "body_rate_grace",
        "body_timeout",
        "connections",
        "date",
        "errors",
        "fallback",
        "header_timeout",
        "keep_alive",
        "loop",
        "matcher",
        "max_body_size",
        "max_header_count",
        "max_header_size",
        "max_uri_size",
        "proxies",
        "stopping",
        "ws_client_timeout",
        "ws_heartbeat_interval",
        "ws_matcher",
        "ws_max_connections",
        "ws_max_message_size",
        "ws_open",
        "ws_per_message_deflate",
    )

    def __init__(
        self, app: CompiledApp, config: ServerConfig, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.loop = loop
        self.matcher: RouteMatcher[Route] = build_matcher(
            spec for spec in app.routes if not spec.websocket
        )
        #: The WebSocket routes (ENGINE_CONTRACT.md §8), a table of their own; ``None``
        #: without any, so that a handshake request is then an ordinary request at once.
        sockets = [spec for spec in app.routes if spec.websocket]
        self.ws_matcher: RouteMatcher[Route] | None = build_matcher(sockets) if sockets else None
        self.ws_max_message_size = int(config.ws_max_message_size)
        self.ws_max_connections = int(config.ws_max_connections)
        self.ws_heartbeat_interval = float(config.ws_heartbeat_interval)
        self.ws_client_timeout = float(config.ws_client_timeout)
        self.ws_per_message_deflate = bool(config.ws_per_message_deflate)
        #: Open WebSockets (handshakes being answered included), for ``ws_max_connections``.
        self.ws_open = 0
        self.fallback: Fallback = app.fallback
        statuses = dict.fromkeys((*app.engine_error_statuses, *_OWN_ERRORS))
        self.errors: dict[int, ResponseTuple] = {s: app.render_error(s) for s in statuses}
        self.keep_alive = float(config.keep_alive)
        self.max_body_size = int(config.max_body_size)
        self.header_timeout = float(config.header_timeout)
        self.body_timeout = float(config.body_timeout)
        self.body_min_rate = int(config.body_min_rate)
        self.body_rate_grace = float(config.body_rate_grace)
        self.max_uri_size = int(config.max_uri_size)
        self.max_header_size = int(config.max_header_size)
        self.max_header_count = int(config.max_header_count)
        self.date = DateHeader()
        self.connections: set[HttpProtocol | WebSocket] = set()
        self.stopping = False
        #: ``None`` without trusted proxies: requests then never look at forwarded headers.
        self.proxies = TrustedProxies(config.trusted_proxies) if config.trusted_proxies else None
        #: ``None`` when the access log is off (decided once, here).
        self.access_log: AccessLogger | None = (
            AccessLogger(config.access_log_file) if config.logs_requests else None
        )
