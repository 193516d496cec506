"""The async ORM on a bounded executor (issue 12, item 3), on both engines.

Django's async ORM calls are asgiref ``sync_to_async(thread_sensitive=True)`` calls; these
tests make the same calls directly (``sync_to_async`` in user code, as the issue names it)
and check where they run: every thread-sensitive call of one request on one ``bolt-lane-*``
thread, concurrent requests on different lanes, never more lanes than ``BOLT_THREADS``, a
``def`` handler or dependency of an ``async`` route off the event loop on its request's
lane, and the nested ``sync_to_async``/``async_to_sync`` shapes without a deadlock.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import pytest
from bolt_api import BoltAPI, Depends, run_inline
from bolt_api._threads import handler_threads
from bolt_api.testing import TestClient

from .test_handler_threads import _thread_facts

asgiref_sync = pytest.importorskip("asgiref.sync")
sync_to_async = asgiref_sync.sync_to_async
async_to_sync = asgiref_sync.async_to_sync


def _where() -> dict[str, Any]:
    facts = _thread_facts()  # the same facts the handler-pool tests read
    return {"thread": facts["thread"], "loop": facts["loop"]}


async def lane_dependency() -> str:
    return (await sync_to_async(_where)())["thread"]


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/twice")
    async def twice(pause: float = 0.0) -> dict[str, Any]:
        first = await sync_to_async(_where)()
        await asyncio.sleep(pause)
        second = await sync_to_async(_where)()
        return {"first": first, "second": second}

    @api.get("/mixed")
    def mixed(dep_thread: Annotated[str, Depends(lane_dependency)]) -> dict[str, Any]:
        # a def handler behind an async dependency: the route is on the loop, the handler not
        return {"dep": dep_thread, "handler": _where()}

    @api.get("/mixed-inline")
    @run_inline
    def mixed_inline(dep_thread: Annotated[str, Depends(lane_dependency)]) -> dict[str, Any]:
        return {"dep": dep_thread, "handler": _where()}

    @api.get("/nested")
    async def nested() -> dict[str, Any]:
        def outer() -> dict[str, Any]:
            async def middle() -> dict[str, Any]:
                return await sync_to_async(_where)()

            return {"outer": _where(), "inner": async_to_sync(middle)()}

        return await sync_to_async(outer)()

    @api.get("/bridge")
    def bridge() -> dict[str, Any]:
        # a def handler on the handler pool calling async code that calls sync code
        async def middle() -> dict[str, Any]:
            return await sync_to_async(_where)()

        return {"handler": _where(), "inner": async_to_sync(middle)()}

    return api


@pytest.fixture(scope="module")
def client(engine: str) -> Any:
    with TestClient(make_api(), engine=engine) as c:
        yield c


def test_one_request_stays_on_one_lane(client: TestClient) -> None:
    body = client.get("/twice", params={"pause": 0.01}).json()
    assert body["first"]["thread"].startswith("bolt-lane-")
    assert body["first"] == body["second"]
    assert body["first"]["loop"] is False


def test_concurrent_requests_use_distinct_lanes_up_to_the_bound(client: TestClient) -> None:
    bound = handler_threads()
    with ThreadPoolExecutor(20) as pool:
        bodies = list(pool.map(lambda _: client.get("/twice", params={"pause": 0.3}), range(20)))
    assert [r.status_code for r in bodies] == [200] * 20
    threads = {r.json()["first"]["thread"] for r in bodies}
    assert all(name.startswith("bolt-lane-") for name in threads)
    for r in bodies:  # shared or not, a request never changes lane
        assert r.json()["first"] == r.json()["second"]
    # not asgiref's single thread per process; never more than the bound
    assert min(bound, 20) == len(threads), threads
    alive = {t.name for t in threading.enumerate() if t.name.startswith("bolt-lane-")}
    assert len(alive) <= bound


def test_def_handler_of_an_async_route_runs_on_its_lane(client: TestClient) -> None:
    body = client.get("/mixed").json()
    assert body["dep"].startswith("bolt-lane-")
    assert body["handler"] == {"thread": body["dep"], "loop": False}


def test_run_inline_keeps_it_on_the_loop(client: TestClient) -> None:
    body = client.get("/mixed-inline").json()
    assert body["dep"].startswith("bolt-lane-")
    assert body["handler"]["loop"] is True


def test_nested_bridges_do_not_deadlock(client: TestClient) -> None:
    body = client.get("/nested", timeout=10).json()
    assert body["outer"]["thread"].startswith("bolt-lane-")
    # asgiref sends the innermost thread-sensitive call back to the outer sync thread
    assert body["inner"]["thread"] == body["outer"]["thread"]


def test_async_to_sync_in_a_pooled_def_handler(client: TestClient) -> None:
    body = client.get("/bridge", timeout=10).json()
    assert body["handler"]["thread"].startswith("bolt-handler")
    assert body["inner"]["thread"] == body["handler"]["thread"]
