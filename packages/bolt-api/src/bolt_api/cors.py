"""Cross-origin resource sharing: which other sites' pages may call the API from a browser.

An API opts in with ``BoltAPI(cors=CORSConfig(...))`` (under Django, the settings of
django-cors-headers, read when the server starts: :func:`config_from_settings`), and a route
can replace that policy with :func:`cors`. A route with a policy

* answers a browser's preflight (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) itself, with 204, without calling any handler, guard or
  authentication backend (browsers send no credentials on a preflight);
* adds ``Access-Control-Allow-Origin`` (and ``-Allow-Credentials``, ``-Expose-Headers``) for
  an allowed ``Origin`` to every response, error responses included (401, 403, 422, 500 ...),
  and ``Vary: Origin`` to every response, so a cache never serves one origin's answer to
  another. A disallowed origin gets no ``Access-Control-*`` header; the request is still
  served, as CORS is enforced by the browser, not the server.

With an API-wide policy, routing misses (404, 405) carry the headers too. What a route does
is decided when the API is compiled (:mod:`bolt_api._cors`); a route without a policy has no
CORS step at all.

Where Bolt differs from django-cors-headers, on purpose: an origin regex must match the
whole ``Origin`` (``re.fullmatch``; django-cors-headers' ``re.match`` lets
``^https://app\\.example\\.com`` allow ``https://app.example.com.evil.net``); an origin with a
path or without a scheme is an error, never an entry that silently matches nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "CORSConfig",
    "DEFAULT_ALLOW_HEADERS",
    "DEFAULT_ALLOW_METHODS",
    "DEFAULT_MAX_AGE",
    "RouteCORS",
    "config_from_settings",
    "cors",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: django-bolt's defaults (``CORS_ALLOW_METHODS``, ``CORS_ALLOW_HEADERS``,
#: ``CORS_PREFLIGHT_MAX_AGE``), for a policy that does not name its own.
DEFAULT_ALLOW_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_ALLOW_HEADERS: tuple[str, ...] = ("content-type", "authorization")
DEFAULT_MAX_AGE = 3600

#: ``scheme://host[:port]``: what a browser sends as ``Origin`` (no path, query or fragment).
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#\s@]+")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _names(value: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be strings, got {item!r}")
    return items


def _tokens(value: Iterable[str] | str, what: str, upper: bool) -> tuple[str, ...]:
    out: list[str] = []
    for item in _names(value, what):
        if not _TOKEN.fullmatch(item):
            raise ValueError(f"{what}: {item!r} is not an HTTP token")
        item = item.upper() if upper else item.lower()
        if item not in out:
            out.append(item)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CORSConfig:
    """One CORS policy: the origins it allows and what a preflight answers.

    ``allowed_origins``: exact origins (``"https://app.example.com"``; ``"null"`` only when
    listed). ``allowed_origin_regexes``: patterns an ``Origin`` must match in full.
    ``allow_all_origins``: any origin (answered ``*``; with ``allow_credentials`` the origin
    is reflected instead, as browsers refuse ``*`` with credentials — think twice: every
    site can then make credentialed calls). ``allow_credentials``: cookies and
    ``Authorization`` may be sent and read cross-origin. ``allow_methods`` and
    ``allow_headers``: what a preflight allows. ``expose_headers``: response headers a page
    may read. ``max_age``: seconds a browser may cache a preflight (0: not sent).
    ``allow_private_network``: answer Chrome's Private Network Access preflights.
    """

    allowed_origins: tuple[str, ...] = ()
    allowed_origin_regexes: tuple[str, ...] = ()
    allow_all_origins: bool = False
    allow_credentials: bool = False
    allow_methods: tuple[str, ...] = DEFAULT_ALLOW_METHODS
    allow_headers: tuple[str, ...] = DEFAULT_ALLOW_HEADERS
    expose_headers: tuple[str, ...] = ()
    max_age: int = DEFAULT_MAX_AGE
    allow_private_network: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        origins = []
        for origin in _names(self.allowed_origins, "allowed_origins"):
            if origin == "*":
                raise ValueError(
                    "allowed_origins: '*' is not an origin; use allow_all_origins=True"
                )
            if origin != "null" and not _ORIGIN.fullmatch(origin.lower()):
                raise ValueError(
                    f"allowed_origins: {origin!r} is not an origin of the form "
                    "scheme://host[:port] (no path, not even '/')"
                )
            origins.append(origin.lower())
        set_(self, "allowed_origins", tuple(origins))
        patterns = _names(self.allowed_origin_regexes, "allowed_origin_regexes")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"allowed_origin_regexes: {pattern!r}: {exc}") from None
        set_(self, "allowed_origin_regexes", patterns)
        for flag in ("allow_all_origins", "allow_credentials", "allow_private_network"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        set_(self, "allow_methods", _tokens(self.allow_methods, "allow_methods", upper=True))
        set_(self, "allow_headers", _tokens(self.allow_headers, "allow_headers", upper=False))
        set_(self, "expose_headers", _tokens(self.expose_headers, "expose_headers", upper=False))
        max_age = self.max_age
        if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
            raise ValueError(f"max_age must be a whole number of seconds >= 0, got {max_age!r}")
        if not (self.allowed_origins or self.allowed_origin_regexes or self.allow_all_origins):
            raise ValueError(
                "a CORS policy must allow some origin: allowed_origins, "
                "allowed_origin_regexes or allow_all_origins=True"
            )


@dataclass(frozen=True, slots=True)
class RouteCORS:
    """What :func:`cors` declared on a route; ``None`` fields come from the API's policy
    (or the defaults) when the API is compiled (:func:`bolt_api._cors.route_config`)."""

    origins: tuple[str, ...] | None
    allow_all: bool
    methods: tuple[str, ...] | None
    headers: tuple[str, ...] | None
    expose_headers: tuple[str, ...] | None
    credentials: bool
    max_age: int

    def resolve(self, api: CORSConfig | None, where: str) -> CORSConfig:
        """The complete policy of the route; an error when its origins come from nowhere."""
        if self.origins is None and not self.allow_all:
            if api is None:
                raise ValueError(
                    f"{where}: @cors() names no origins and the API has no CORS policy "
                    "to take them from (pass origins=[...])"
                )
            origins = dict(
                allowed_origins=api.allowed_origins,
                allowed_origin_regexes=api.allowed_origin_regexes,
                allow_all_origins=api.allow_all_origins,
            )
        else:
            origins = dict(
                allowed_origins=self.origins or (),
                allowed_origin_regexes=(),
                allow_all_origins=self.allow_all,
            )
        base = api or CORSConfig(allow_all_origins=True)
        try:
            return CORSConfig(
                **origins,  # type: ignore[arg-type]
                allow_credentials=self.credentials,
                allow_methods=base.allow_methods if self.methods is None else self.methods,
                allow_headers=base.allow_headers if self.headers is None else self.headers,
                expose_headers=(
                    base.expose_headers if self.expose_headers is None else self.expose_headers
                ),
                max_age=self.max_age,
                allow_private_network=base.allow_private_network,
            )
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: @cors: {exc}") from None


def cors(
    origins: list[str] | str | None = None,
    methods: list[str] | None = None,
    headers: list[str] | None = None,
    credentials: bool = False,
    max_age: int = DEFAULT_MAX_AGE,
    expose_headers: list[str] | None = None,
) -> Callable[[_F], _F]:
    """A route's own CORS policy, in place of the API's (django-bolt's signature).

    ``origins``: the allowed origins, ``"*"`` for any, ``None`` for the API's.
    ``methods``/``headers``/``expose_headers``: ``None`` takes the API's policy's (else the
    defaults). ``credentials`` and ``max_age`` are the route's own. Checked here, and
    against the API when it is compiled.
    """
    allow_all = origins == "*" or (not isinstance(origins, str) and "*" in (origins or ()))
    listed = None if origins is None or allow_all else _names(origins, "origins")
    spec = RouteCORS(
        listed,
        allow_all,
        None if methods is None else _tokens(methods, "methods", upper=True),
        None if headers is None else _tokens(headers, "headers", upper=False),
        None if expose_headers is None else _tokens(expose_headers, "expose_headers", False),
        credentials,
        max_age,
    )
    spec.resolve(CORSConfig(allow_all_origins=True), "@cors")  # every other check, now

    def decorate(fn: _F) -> _F:
        fn.__bolt_cors__ = spec  # type: ignore[attr-defined]
        return fn

    return decorate


#: django-cors-headers' setting names (with the names of its 2.x releases) and the field
#: each sets.
_SETTINGS = {
    "CORS_ALLOWED_ORIGINS": "allowed_origins",
    "CORS_ORIGIN_WHITELIST": "allowed_origins",
    "CORS_ALLOWED_ORIGIN_REGEXES": "allowed_origin_regexes",
    "CORS_ORIGIN_REGEX_WHITELIST": "allowed_origin_regexes",
    "CORS_ALLOW_ALL_ORIGINS": "allow_all_origins",
    "CORS_ORIGIN_ALLOW_ALL": "allow_all_origins",
    "CORS_ALLOW_CREDENTIALS": "allow_credentials",
    "CORS_ALLOW_METHODS": "allow_methods",
    "CORS_ALLOW_HEADERS": "allow_headers",
    "CORS_EXPOSE_HEADERS": "expose_headers",
    "CORS_PREFLIGHT_MAX_AGE": "max_age",
    "CORS_ALLOW_PRIVATE_NETWORK": "allow_private_network",
}


def config_from_settings(settings: Any) -> CORSConfig | None:
    """The policy django-cors-headers' settings describe, or ``None`` when they allow no
    origin (no CORS). A setting Bolt cannot honour is an error, never ignored:
    ``CORS_URLS_REGEX`` (use ``@cors`` per route, or a policy on a mounted API)."""
    urls = getattr(settings, "CORS_URLS_REGEX", None)
    if urls not in (None, r"^.*$", "^.*$", ".*"):
        raise ValueError(
            "CORS_URLS_REGEX is not supported: give the routes their own policy with "
            "@cors(...) instead"
        )
    values: dict[str, Any] = {}
    for name, field in _SETTINGS.items():
        if field not in values and hasattr(settings, name):
            values[field] = getattr(settings, name)
    if not (
        values.get("allowed_origins")
        or values.get("allowed_origin_regexes")
        or values.get("allow_all_origins")
    ):
        return None
    known = {f.name for f in dataclasses.fields(CORSConfig)}
    return CORSConfig(**{k: v for k, v in values.items() if k in known})
