"""Typed path/query parameters an engine converts itself (the contract's ``ParamSpec``).

The Rust engine converts plain ``str``/``int`` path and query values before it takes the GIL
and hands them over as ``request.bound``; everything its narrow rules do not accept is left to
bolt-api's binder (``bound`` is ``None``). These tests send the boundary cases to both engines
and check that the answers are the ones the binder gives, and that the fast path really is
taken where it should be (the requests arriving with ``bound`` set are counted).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from bolt_api import BoltAPI, Query
from bolt_api.engine import CompiledApp
from bolt_api.testing import TestClient

VALID = [
    ("/fast/42", {"n": 42, "q": None, "k": 7, "r": "d"}),
    ("/fast/-42?q=hello", {"n": -42, "q": "hello", "k": 7, "r": "d"}),
    ("/fast/0?k=-0", {"n": 0, "q": None, "k": 0, "r": "d"}),
    ("/fast/999999999999999999?k=1", {"n": 999999999999999999, "q": None, "k": 1, "r": "d"}),
    ("/fast/1?q=a+b%20c&q=last", {"n": 1, "q": "last", "k": 7, "r": "d"}),
    ("/fast/1?q=&r=%C3%A9t%C3%A9", {"n": 1, "q": "", "k": 7, "r": "été"}),
    ("/fast/1?q=%FF", {"n": 1, "q": "\ufffd", "k": 7, "r": "d"}),
    ("/fast/1?unrelated=x&k=5", {"n": 1, "q": None, "k": 5, "r": "d"}),
    ("/name/caf%C3%A9%20au%20lait", {"name": "café au lait"}),
    ("/name/a+b", {"name": "a+b"}),
]

#: Answered by bolt-api's binder: values the engine's rules leave alone.
BINDER = [
    # an int parameter is an int64 decimal (issue 19): no float spelling, no bigint
    ("/fast/42.0", 422, None),
    ("/fast/1e3", 422, None),
    ("/fast/1?k=1000000000000000000", 200, {"n": 1, "q": None, "k": 10**18, "r": "d"}),
    ("/fast/99999999999999999999", 422, None),
    ("/fast/007", 422, None),
    ("/fast/+5", 422, None),
    ("/fast/%205", 422, None),
    ("/fast/abc", 422, None),
    ("/fast/1?k=", 422, None),
    ("/fast/1?k=1_000", 422, None),
    ("/limited?size=5", 200, {"size": 5}),
    ("/limited?size=0", 422, None),
    ("/limited", 200, {"size": 10}),
]


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/fast/{n}")
    async def fast(n: int, q: str | None = None, k: int = 7, r: str = "d") -> dict[str, Any]:
        return {"n": n, "q": q, "k": k, "r": r}

    @api.get("/name/{name}")
    def name(name: str) -> dict[str, Any]:
        return {"name": name}

    @api.get("/limited")
    def limited(size: Annotated[int, Query(ge=1)] = 10) -> dict[str, Any]:
        return {"size": size}

    return api


class Counting:
    """``api.compile`` with the requests that arrive with ``request.bound`` set counted."""

    def __init__(self, api: BoltAPI, max_length: int | None = None) -> None:
        self.calls = 0
        self._compile = api.compile
        self._max_length = max_length

    def __call__(self, **options: Any) -> CompiledApp:
        app = self._compile(**options)
        routes = []
        for spec in app.routes:
            if spec.params is not None:

                def counted(request: Any, inner: Any = spec.call) -> Any:
                    if request.bound is not None:
                        self.calls += 1
                    return inner(request)

                spec = dataclasses.replace(spec, call=counted)
                if self._max_length is not None:
                    spec = dataclasses.replace(
                        spec,
                        params=tuple(
                            dataclasses.replace(p, max_length=self._max_length)
                            for p in spec.params or ()
                        ),
                    )
            routes.append(spec)
        return dataclasses.replace(app, routes=tuple(routes))


@pytest.fixture
def counted(engine: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Counting]]:
    api = make_api()
    counting = Counting(api)
    monkeypatch.setattr(api, "compile", counting)
    with TestClient(api, engine=engine) as client:
        yield client, counting


def test_only_plain_path_and_query_routes_get_specs() -> None:
    app = make_api().compile()
    specs = {(s.method, s.path): s for s in app.routes}
    fast = specs[("GET", "/fast/{n}")]
    assert [(p.name, p.source, p.kind, p.required) for p in fast.params or ()] == [
        ("n", "path", "int", True),
        ("q", "query", "str", False),
        ("k", "query", "int", False),
        ("r", "query", "str", False),
    ]
    assert specs[("HEAD", "/fast/{n}")].params == fast.params
    # a constraint (ge=1) is the binder's to check: no spec for that route
    assert specs[("GET", "/limited")].params is None


@pytest.mark.parametrize(("url", "expected"), VALID)
def test_valid_values(
    counted: tuple[TestClient, Counting], engine: str, url: str, expected: dict[str, Any]
) -> None:
    client, counting = counted
    r = client.get(url)
    assert (r.status_code, r.json()) == (200, expected)
    # the Rust engine converts these itself; the Python engine always binds in bolt-api
    assert counting.calls == (1 if engine == "rust" else 0)


@pytest.mark.parametrize(("url", "status", "expected"), BINDER)
def test_values_left_to_the_binder(
    counted: tuple[TestClient, Counting], url: str, status: int, expected: dict[str, Any] | None
) -> None:
    client, counting = counted
    r = client.get(url)
    assert r.status_code == status, r.text
    if expected is not None:
        assert r.json() == expected
    else:
        assert r.json()["detail"][0]["type"] == "validation_error"
    assert counting.calls == 0


def test_max_length_is_counted_in_utf8_bytes(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over ``max_length`` bytes the engine leaves the value to the binder (whose own limit,
    ``BOLT_MAX_PARAM_LENGTH``, counts characters): set to 10 bytes here."""
    api = make_api()
    counting = Counting(api, max_length=10)
    monkeypatch.setattr(api, "compile", counting)
    with TestClient(api, engine=engine) as client:
        r = client.get("/fast/1", params={"q": "x" * 10})
        assert (r.status_code, r.json()["q"]) == (200, "x" * 10)
        fast = counting.calls
        assert fast == (1 if engine == "rust" else 0)
        for value in ("x" * 11, "é" * 6):  # 11 bytes; 6 characters but 12 bytes
            r = client.get("/fast/1", params={"q": value})
            assert (r.status_code, r.json()["q"]) == (200, value)
        assert counting.calls == fast


def test_head_takes_the_fast_path_too(counted: tuple[TestClient, Counting], engine: str) -> None:
    client, counting = counted
    r = client.head("/fast/5?q=x")
    assert (r.status_code, r.content) == (200, b"")
    assert int(r.headers["content-length"]) == len(b'{"n":5,"q":"x","k":7,"r":"d"}')
    assert counting.calls == (1 if engine == "rust" else 0)
