"""CORS compiled: the ``cors`` response stage, the preflight answer, and the fallback's share.

:class:`CORSPolicy` turns a :class:`~bolt_api.cors.CORSConfig` into what a request needs at
run time: a set of exact origins, compiled patterns, and the header pairs each kind of
answer adds, built once. ``BoltAPI.compile()`` gives a route its policy (its ``@cors``, else
the API's) and the pipeline adds the stages (:mod:`bolt_api._pipeline`):

* ``preflight``, first (before authentication and guards: a browser sends no credentials on
  a preflight), on an ``OPTIONS`` route, and in the routing-miss handler, where a preflight
  for a route of another method lands;
* ``cors``, a response stage like compression (and before it), so that every response of
  the route, the error responses too, carries the headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .cors import CORSConfig
from .engine import Fallback, Headers, Request, ResponseTuple

__all__ = ["CORSPolicy", "is_preflight", "with_cors"]

#: Response headers a policy sets: a handler's own values for them are replaced.
_OWNED = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
    }
)
_VARY = (("vary", "Origin"),)
#: How many ``Origin`` verdicts, and header tuples, a policy keeps (per process).
_MEMO = 512


def is_preflight(request: Request) -> bool:
    """A browser's preflight: ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``."""
    if request.method != "OPTIONS":
        return False
    headers = request.headers
    return "origin" in headers and "access-control-request-method" in headers


class CORSPolicy:
    """One compiled policy. ``apply`` is the ``cors`` response stage; ``preflight`` answers
    a preflight."""

    __slots__ = (
        "_allowed",
        "_exact",
        "_patterns",
        "_preflight_tail",
        "_reflect",
        "_simple_tail",
        "_verdicts",
        "_with",
        "apply",
        "config",
    )

    def __init__(self, config: CORSConfig) -> None:
        self.config = config
        self._exact = frozenset(config.allowed_origins)
        self._patterns = tuple(re.compile(p) for p in config.allowed_origin_regexes)
        #: ``*`` cannot go with credentials: the origin is reflected then.
        self._reflect = not config.allow_all_origins or config.allow_credentials
        credentials = (("access-control-allow-credentials", "true"),)
        simple: list[tuple[str, str]] = list(credentials if config.allow_credentials else ())
        if config.expose_headers:
            simple.append(("access-control-expose-headers", ", ".join(config.expose_headers)))
        self._simple_tail = tuple(simple)
        preflight = [
            ("access-control-allow-methods", ", ".join(config.allow_methods)),
            ("access-control-allow-headers", ", ".join(config.allow_headers)),
        ]
        if config.max_age:
            preflight.append(("access-control-max-age", str(config.max_age)))
        if config.allow_credentials:
            preflight += credentials
        self._preflight_tail = tuple(preflight)
        self._verdicts: dict[str, bool] = {}
        self._with: dict[tuple[int, str | None], tuple[Headers, Headers]] = {}
        self.apply = self._make_apply()

    def allowed(self, origin: str) -> bool:
        """Whether ``origin`` (the request's ``Origin`` value) is allowed; memoised."""
        verdict = self._verdicts.get(origin)
        if verdict is None:
            lowered = origin.lower()
            verdict = (
                self.config.allow_all_origins
                or lowered in self._exact
                or any(p.fullmatch(origin) for p in self._patterns)
            )
            if len(self._verdicts) < _MEMO:
                self._verdicts[origin] = verdict
        return verdict

    def _allow_origin(self, origin: str) -> tuple[tuple[str, str], ...]:
        return (("access-control-allow-origin", origin if self._reflect else "*"),)

    def _make_apply(self) -> Callable[[ResponseTuple, Request], ResponseTuple]:
        allowed, memo, simple_tail = self.allowed, self._with, self._simple_tail

        def apply(response: ResponseTuple, request: Request) -> ResponseTuple:
            status, headers, body = response
            origin = request.headers.get("origin")
            if origin is not None and not allowed(origin):
                origin = None
            key = (id(headers), origin)
            hit = memo.get(key) if headers.__class__ is tuple else None
            if hit is not None and hit[0] is headers:
                return status, hit[1], body
            extra = _VARY if origin is None else _VARY + self._allow_origin(origin) + simple_tail
            merged = _merge(headers, extra)
            if headers.__class__ is tuple and len(memo) < _MEMO:
                memo[key] = (headers, merged)
            return status, merged, body

        return apply

    def preflight(self, request: Request) -> ResponseTuple:
        """The 204 answering a preflight: the allowed methods and headers, for an allowed
        origin; ``Vary: Origin`` alone for another (the browser then refuses the call)."""
        origin = request.headers.get("origin")
        if origin is None or not self.allowed(origin):
            return 204, _VARY, b""
        headers = (*_VARY, *self._allow_origin(origin), *self._preflight_tail)
        if (
            self.config.allow_private_network
            and request.headers.get("access-control-request-private-network") == "true"
        ):
            headers += (("access-control-allow-private-network", "true"),)
        return 204, headers, b""


def _merge(headers: Headers, extra: tuple[tuple[str, str], ...]) -> Headers:
    """``headers`` with ``extra`` added: ``Origin`` joined into an existing ``Vary``, and the
    handler's own ``Access-Control-*`` values replaced by the policy's."""
    out: list[tuple[str, str]] = []
    varied = False
    for name, value in headers:
        lowered = name.lower()
        if lowered in _OWNED:
            continue
        if lowered == "vary" and not varied:
            varied = True
            if "origin" not in value.lower():
                value = f"{value}, Origin"
        out.append((name, value))
    out += extra[1:] if varied else extra  # extra starts with Vary: Origin
    return tuple(out)


def with_cors(
    fallback: Fallback,
    api: CORSPolicy | None,
    for_route: Callable[[str, str], CORSPolicy | None],
) -> Fallback:
    """The routing-miss handler answering preflights (with the policy of the route the
    preflight asks about, ``for_route(method, path)``, else the API's), and with the API's
    ``cors`` stage over its 404s and 405s."""
    finish = api.apply if api is not None else None

    def fallback_with_cors(request: Request, allowed: tuple[str, ...] | None) -> ResponseTuple:
        if is_preflight(request):
            wanted = request.headers["access-control-request-method"].strip().upper()
            policy = for_route(wanted, request.path) or api
            if policy is not None:
                return policy.preflight(request)
        response = fallback(request, allowed)
        return response if finish is None else finish(response, request)

    return fallback_with_cors
