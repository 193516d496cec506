"""``bolt_api.testing``: the test client serves the API on each engine in-process."""

from __future__ import annotations

import asyncio

import pytest
from bolt_api import BoltAPI, HTTPException
from bolt_api.testing import AsyncTestClient, TestClient


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/hello/{name}")
    async def hello(name: str, request: object) -> dict[str, str]:
        return {"hello": name, "host": request.headers["host"]}  # type: ignore[attr-defined]

    @api.get("/boom")
    def boom() -> None:
        raise ZeroDivisionError("handler bug")

    @api.get("/teapot")
    def teapot() -> None:
        raise HTTPException(418, "teapot")

    @api.get("/go")
    def go() -> object:
        from bolt_api import Redirect

        return Redirect("/hello/redirected")

    return api


def test_test_client_serves_through_the_engine(engine: str) -> None:
    with TestClient(make_api(), engine=engine) as client:
        assert client.engine == engine
        r = client.get("/hello/ann")
        assert r.json() == {"hello": "ann", "host": "testserver"}
        assert str(r.url) == "http://testserver/hello/ann"
        assert client.get("/teapot").status_code == 418
        assert client.get("/go").json()["hello"] == "redirected"


def test_handler_exceptions_are_re_raised(engine: str) -> None:
    with TestClient(make_api(), engine=engine) as client:
        with pytest.raises(ZeroDivisionError, match="handler bug"):
            client.get("/boom")
        assert client.get("/hello/after").status_code == 200


def test_handler_exceptions_can_be_answered(engine: str) -> None:
    with TestClient(make_api(), engine=engine, raise_server_exceptions=False) as client:
        r = client.get("/boom")
        assert (r.status_code, r.json()) == (500, {"detail": "Internal Server Error"})


def test_async_test_client(engine: str) -> None:
    async def main() -> None:
        async with AsyncTestClient(make_api(), engine=engine) as client:
            r = await client.get("/hello/bob")
            assert r.json()["hello"] == "bob"
            with pytest.raises(ZeroDivisionError):
                await client.get("/boom")

    asyncio.run(main())
