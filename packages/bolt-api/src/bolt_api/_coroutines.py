"""Driving coroutines that can never suspend, without an event loop.

An ``async def`` whose bytecode holds no ``await``, ``async for`` or ``async with`` (nor any
nested code object that does) cannot suspend: :func:`drive` runs it to completion with one
``coro.send(None)`` on the calling thread. Handlers and dependencies judged so at
registration become sync routes — the seed's "trivially async" optimisation.

The same holds for an async generator whose code has none of them: each ``__anext__()``
finishes on its first step, so :class:`DrivenChunks` pulls it as a plain iterator and a
streamed response needs no event loop either (the engines pull it in place, see
``StreamBody.inline``).
"""

from __future__ import annotations

import dis
import inspect
import types
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any

__all__ = ["DrivenChunks", "drive", "never_suspends", "never_suspends_gen", "suspended"]

_SUSPENDING_OPS = frozenset(
    {
        "GET_AWAITABLE",
        "SEND",
        "YIELD_VALUE",
        "GET_AITER",
        "GET_ANEXT",
        "BEFORE_ASYNC_WITH",
        "END_ASYNC_FOR",
        "ASYNC_GEN_WRAP",
        "SETUP_ASYNC_WITH",
        "CLEANUP_THROW",
    }
)


#: An async generator's own ``yield`` hands a value to its consumer, it does not suspend
#: on anything: ``YIELD_VALUE`` (and 3.11's ``ASYNC_GEN_WRAP``) are allowed there. ``await``
#: is ``GET_AWAITABLE`` followed by ``SEND``/``YIELD_VALUE``, and is still refused.
_GEN_SUSPENDING_OPS = _SUSPENDING_OPS - {"YIELD_VALUE", "ASYNC_GEN_WRAP"}


def _code_suspends(code: types.CodeType, ops: frozenset[str] = _SUSPENDING_OPS) -> bool:
    for ins in dis.get_instructions(code):
        if ins.opname in ops:
            return True
    # nested code (a lambda, a generator expression) is judged by the stricter rule
    return any(isinstance(c, types.CodeType) and _code_suspends(c) for c in code.co_consts)


def never_suspends(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` is an ``async def`` whose body cannot await anything."""
    if not isinstance(fn, types.FunctionType) or not inspect.iscoroutinefunction(fn):
        return False
    return not _code_suspends(fn.__code__)


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that cannot suspend to completion and return its result."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    return suspended(coro)


def suspended(step: Any, what: str = "a coroutine") -> Any:
    """What happens when code judged never to suspend did (``step.send`` returned): close
    it and raise. Never returns."""
    step.close()
    raise RuntimeError(f"{what} judged never to suspend did suspend")


def never_suspends_gen(agen: object) -> bool:
    """True when ``agen`` is an async generator object whose code cannot await anything.

    Judged once per code object (a generator function's objects share it).
    """
    if agen.__class__ is not types.AsyncGeneratorType:
        return False
    code: types.CodeType = agen.ag_code
    verdict = _GEN_VERDICTS.get(code)
    if verdict is None:
        verdict = not _code_suspends(code, _GEN_SUSPENDING_OPS)
        if len(_GEN_VERDICTS) < 1024:
            _GEN_VERDICTS[code] = verdict
    return verdict


_GEN_VERDICTS: dict[types.CodeType, bool] = {}


class DrivenChunks:
    """A sync iterator over an async generator that never suspends (see
    :func:`never_suspends_gen`): one ``__anext__().send(None)`` per item, no event loop.

    ``convert`` turns each item into what the consumer wants (bytes, for a stream body);
    ``close()`` runs the generator's ``finally`` the same way.
    """

    __slots__ = ("_anext", "_convert", "_source")

    def __init__(self, source: AsyncGenerator[Any, None], convert: Callable[[Any], Any]) -> None:
        self._source = source
        self._anext = source.__anext__
        self._convert = convert

    def __iter__(self) -> DrivenChunks:
        return self

    def __next__(self) -> Any:
        step = self._anext()
        try:
            step.send(None)
        except StopIteration as item:
            return self._convert(item.value)
        except StopAsyncIteration:
            raise StopIteration from None
        return suspended(step, "an async generator")

    async def as_async(self) -> AsyncGenerator[Any, None]:
        """The same items pulled through the event loop instead (what the benchmark's
        ``trivial_async`` ablation measures); closing it closes the source."""
        source, convert = self._source, self._convert
        try:
            async for item in source:
                yield convert(item)
        finally:
            await source.aclose()

    def close(self) -> None:
        step = self._source.aclose()
        try:
            step.send(None)
        except StopIteration:
            return
        suspended(step, "an async generator")
