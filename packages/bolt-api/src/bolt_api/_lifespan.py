"""The lifespan: code an application runs around serving, once per serving process.

``BoltAPI(lifespan=factory)`` takes a factory called with the API, returning an async
context manager (usually an ``@asynccontextmanager`` function): the code before its
``yield`` is the start-up (open a pool, warm a cache), the code after it the shut-down.

Why it lives here and runs on the engine's loop: a resource opened at start-up is used by
``async def`` handlers, and many (asyncpg pools, aiohttp sessions) are bound to the event
loop that created them. So bolt-api does not run the lifespan on a loop of its own: it
hands :func:`combine`'s result to the engine as ``CompiledApp.lifespan``, and every engine
enters it on the loop that runs its async handlers, before it accepts a connection, and
exits it there after the graceful stop's drain (``ENGINE_CONTRACT.md`` §1 and §5). Every
path that serves goes through ``BoltAPI.compile()``, hence through this module: ``bolt
serve``, ``runbolt``, each process of ``--processes N`` and ``TestClient``.

Several APIs in one server (``BoltAPI.merge``, ``mount``): every lifespan is run, each with
its own API, entered in order (the outer or first API first) and exited in the reverse
order, as nested ``async with`` blocks would; a start-up that fails exits the ones already
entered, then fails the start.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

from .exceptions import LifespanError

__all__ = ["Lifespan", "combine"]

#: ``BoltAPI(lifespan=...)``: called with the API, returns an async context manager.
Lifespan: TypeAlias = Callable[[Any], AbstractAsyncContextManager[Any]]


def combine(
    owned: Sequence[tuple[Any, Lifespan | None]],
) -> Callable[[], AbstractAsyncContextManager[None]] | None:
    """One context-manager factory entering every ``(api, factory)`` pair in order (each
    API once).

    ``None`` when no API has a lifespan, so that an engine has nothing to do for them.
    """
    steps: list[tuple[Any, Lifespan]] = []
    seen: set[int] = set()
    for api, factory in owned:
        if factory is not None and id(api) not in seen:  # an API merged twice runs once
            seen.add(id(api))
            steps.append((api, factory))
    if not steps:
        return None

    @contextlib.asynccontextmanager
    async def run() -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for api, factory in steps:
                name = getattr(factory, "__qualname__", repr(factory))
                try:
                    await stack.enter_async_context(factory(api))
                except Exception as exc:
                    raise LifespanError(
                        f"the lifespan {name}() failed at start-up: {type(exc).__name__}: {exc}"
                    ) from exc
            yield

    return run
