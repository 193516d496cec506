"""A request object for calling compiled route callables directly, without an engine.

The unit tests of bolt-api call the ``RouteSpec.call`` of ``api.compile()`` with this object
(:func:`compiled_call` finds it); what goes over real sockets is tested in the conformance
suite (``tests/``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bolt_api import BoltAPI
from bolt_api.engine import RouteCall


def compiled_call(api: BoltAPI, method: str, template: str) -> RouteCall:
    """The compiled callable of the route registered as ``method template`` (its source); an
    async route's (a ``def`` handler on the handler pool, say) is run to its answer."""
    entry = next(r for r in api.routes if r.method == method and r.template.source == template)
    spec = next(s for s in api.compile().routes if s.method == method and s.path == entry.path)
    if not spec.is_async:
        return spec.call
    call = spec.call

    def run(request: Any) -> Any:
        return asyncio.run(call(request))

    return run


class FakeRequest:
    """The smallest object satisfying :class:`bolt_api.engine.Request`."""

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        query: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        host: str | None = "testserver",
    ) -> None:
        self.method, self.path, self.body = method, path, body
        self.query_string = ""
        self.path_params = params
        self.bound: dict[str, Any] | None = None
        self.query = query or {}
        self.query_multi = {k: [v] for k, v in self.query.items()}
        self.headers: dict[str, str] = headers or {}
        self.cookies: dict[str, str] = {}
        self.client = None
        self.state: dict[str, Any] = {}
        self._host = host

    @property
    def accept_encoding(self) -> str | None:
        return self.headers.get("accept-encoding")

    @property
    def host(self) -> str | None:
        """The ``host`` header when given, else the ``host`` argument (Django's test name)."""
        return self.headers.get("host", self._host)
