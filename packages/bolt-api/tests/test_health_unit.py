"""bolt_api.health and bolt_api._lifespan without an engine: the checks' outcomes as values,
the combined lifespan's order and its error (the HTTP side: tests/test_lifespan.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api._lifespan import combine
from bolt_api.exceptions import LifespanError
from bolt_api.health import HealthCheck, check_database


class AsyncCallable:
    """An object whose ``__call__`` is async: called in a thread, its coroutine awaited."""

    __name__ = "async_callable"

    async def __call__(self) -> tuple[bool, str]:
        return True, "called"


def _sync_ok() -> tuple[int, int]:
    return 1, 2  # a tuple of other types: coerced


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (AsyncCallable(), {"healthy": True, "message": "called"}),
        (_sync_ok, {"healthy": True, "message": "2"}),
        (lambda: True, {"healthy": True, "message": "OK"}),
    ],
)
def test_check_outcomes(check: Any, expected: dict[str, Any]) -> None:
    healthy, report = asyncio.run(HealthCheck([check]).run())
    assert healthy is True
    assert list(report.values()) == [expected]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timeout must be > 0"):
        HealthCheck(timeout=0)
    with pytest.raises(TypeError, match="must be callable"):
        HealthCheck().add("nope")  # type: ignore[arg-type]


def test_check_database_without_django_settings() -> None:
    django = pytest.importorskip("django.conf")
    if django.settings.configured:
        pytest.skip("Django is configured in this process")
    assert asyncio.run(check_database()) == (True, "no database configured")


def test_no_lifespan_is_none() -> None:
    assert combine([(object(), None)]) is None
    assert BoltAPI().compile().lifespan is None


def test_a_factory_that_is_not_a_context_manager() -> None:
    def not_one(api: Any) -> Any:
        return 42

    run = combine([(BoltAPI(), not_one)])
    assert run is not None

    async def enter() -> None:
        async with run():
            pass

    with pytest.raises(LifespanError, match=r"not_one\(\) failed at start-up: TypeError"):
        asyncio.run(enter())


def test_an_api_given_twice_runs_once() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(api: Any) -> AsyncIterator[None]:
        events.append("up")
        yield

    api = BoltAPI(lifespan=lifespan)
    run = combine([(api, lifespan), (api, lifespan)])
    assert run is not None

    async def enter() -> None:
        async with run():
            pass

    asyncio.run(enter())
    assert events == ["up"]
