"""The request limits as flags: ``--max-body-size``, ``--header-timeout``, ``--body-timeout``,
``--body-min-rate``, ``--body-rate-grace``, ``--max-uri-size``,
``--max-header-size``, ``--max-header-count``, and the WebSocket ones, ``--ws-max-message-size``,
``--ws-max-connections``, ``--ws-heartbeat-interval``, ``--ws-client-timeout``.

Each is a :class:`~bolt_api.engine.ServerConfig` field that both engines enforce
(ENGINE_CONTRACT.md §6). ``bolt serve`` and ``runbolt`` add the same flags; a flag left out
falls back to a *setting* when the caller has settings (``runbolt``: ``settings.BOLT_<FIELD>``,
e.g. ``BOLT_MAX_BODY_SIZE``), else to the field's default. Values are checked here, once, so a
bad one is a start error naming the flag or setting, never a server that quietly runs with
another limit.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import MAX_URI_SIZE, ServerConfig

__all__ = ["LIMITS", "Limit", "add_limit_arguments", "limits_from"]

_DEFAULTS = ServerConfig()


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: its ``ServerConfig`` field, and whether it counts bytes/fields (an integer,
    1 or more) or seconds (a number, 0 or more; 0 switches the timer off) — or, for a
    ``switch``, turns a feature on or off (``--flag``/``--no-flag``, a ``bool`` setting)."""

    field: str
    #: Its Django setting, ``BOLT_<FIELD>`` (spelled out: the settings table's test finds
    #: the names the code reads in its string constants).
    setting: str
    seconds: bool
    help: str
    switch: bool = False
    #: A count that may be 0 (which switches the check off).
    zero_ok: bool = False
    #: The largest value either engine can honour (``None``: no bound), and why.
    most: int | None = None
    why_most: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")

    @property
    def default(self) -> int | float:
        value: int | float = getattr(_DEFAULTS, self.field)
        return value

    def check(self, value: Any, source: str) -> int | float:
        """``value`` as this limit's type; ``ValueError`` naming ``source`` when it is not one."""
        if self.switch:
            if isinstance(value, bool):
                return value
            raise ValueError(f"{source} must be True or False, got {value!r}.")
        if self.seconds:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and 0 <= value < math.inf:
                return float(value)
            raise ValueError(f"{source} must be a number of seconds, 0 or more, got {value!r}.")
        least = 0 if self.zero_ok else 1
        if isinstance(value, int) and not isinstance(value, bool) and value >= least:
            if self.most is not None and value > self.most:
                raise ValueError(
                    f"{source} must be at most {self.most} ({self.why_most}), got {value!r}."
                )
            return value
        raise ValueError(f"{source} must be a whole number, {least} or more, got {value!r}.")


#: Every limit with a flag, in the order ``--help`` lists them.
LIMITS: tuple[Limit, ...] = (
    Limit(
        "max_body_size", "BOLT_MAX_BODY_SIZE", False, "largest request body in bytes; 413 beyond"
    ),
    Limit(
        "header_timeout",
        "BOLT_HEADER_TIMEOUT",
        True,
        "seconds a client has to send a request head in full; 408 beyond (0: no limit)",
    ),
    Limit(
        "body_timeout",
        "BOLT_BODY_TIMEOUT",
        True,
        "seconds a request body may pause (no byte arriving); 408 beyond (0: no limit)",
    ),
    Limit(
        "body_min_rate",
        "BOLT_BODY_MIN_RATE",
        False,
        "bytes per second a request body must average after --body-rate-grace; 408 below"
        " (0: no minimum)",
        zero_ok=True,
    ),
    Limit(
        "body_rate_grace",
        "BOLT_BODY_RATE_GRACE",
        True,
        "seconds a request body has before --body-min-rate applies",
    ),
    Limit(
        "max_uri_size",
        "BOLT_MAX_URI_SIZE",
        False,
        "longest request target (path and query) in bytes; 414 beyond",
        most=MAX_URI_SIZE,
        why_most="the Rust engine's http::Uri takes no longer target, and both engines agree",
    ),
    Limit(
        "max_header_size",
        "BOLT_MAX_HEADER_SIZE",
        False,
        "most bytes of header names plus values; 431 beyond",
    ),
    Limit(
        "max_header_count",
        "BOLT_MAX_HEADER_COUNT",
        False,
        "most header fields in one request; 431 beyond",
    ),
    Limit(
        "ws_max_message_size",
        "BOLT_WS_MAX_MESSAGE_SIZE",
        False,
        "largest WebSocket message in bytes, its fragments together; close 1009 beyond",
    ),
    Limit(
        "ws_max_connections",
        "BOLT_WS_MAX_CONNECTIONS",
        False,
        "most open WebSockets per process; 503 to an upgrade beyond",
    ),
    Limit(
        "ws_heartbeat_interval",
        "BOLT_WS_HEARTBEAT_INTERVAL",
        True,
        "seconds between the server's pings on an open WebSocket (0: none)",
    ),
    Limit(
        "ws_client_timeout",
        "BOLT_WS_CLIENT_TIMEOUT",
        True,
        "seconds a WebSocket client may send nothing, pongs included; close 1001 beyond (0: none)",
    ),
    Limit(
        "ws_per_message_deflate",
        "BOLT_WS_PER_MESSAGE_DEFLATE",
        False,
        "negotiate permessage-deflate (RFC 7692) with WebSocket clients that offer it"
        " (the python engine only; the rust engine refuses to start with it)",
        switch=True,
    ),
)


def add_limit_arguments(parser: argparse.ArgumentParser, *, settings: bool = False) -> None:
    """Add a flag per limit. ``settings``: say in ``--help`` that ``BOLT_<FIELD>`` is the
    fallback (``runbolt``)."""
    for limit in LIMITS:
        fallback = f"settings.{limit.setting}, else " if settings else ""
        if limit.switch:
            parser.add_argument(
                limit.flag,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"{limit.help[0].upper()}{limit.help[1:]} (default: {fallback}"
                f"{'on' if limit.default else 'off'}).",
            )
            continue
        parser.add_argument(
            limit.flag,
            type=float if limit.seconds else int,
            default=None,
            metavar="SECONDS" if limit.seconds else "N",
            help=f"{limit.help[0].upper()}{limit.help[1:]} (default: {fallback}{limit.default:g}).",
        )


def limits_from(
    values: Mapping[str, Any], setting: Callable[[str], Any] | None = None
) -> dict[str, int | float]:
    """The ``ServerConfig`` keyword arguments for the limits given: each flag's value, else
    ``setting(name)`` when it is not ``None``; limits given nowhere are left out (the field's
    default applies). ``ValueError`` for a bad value."""
    out: dict[str, int | float] = {}
    for limit in LIMITS:
        value, source = values.get(limit.field), limit.flag
        if value is None and setting is not None:
            value, source = setting(limit.setting), f"settings.{limit.setting}"
        if value is not None:
            out[limit.field] = limit.check(value, source)
    return out
