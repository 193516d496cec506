"""docs/websockets.md's chat-room example runs: the Python blocks the page marks with
``<!-- example: ... -->`` are executed, in order, in one module namespace, and each
``test_*`` function they define runs against both engines.

The blocks' ``TestClient`` and ``WebSocketTestClient`` are the real ones, bound to the
engine under test (the functions look their globals up when called, so rebinding the names
after the ``exec`` is enough); an ``async def`` test is driven by :func:`asyncio.run`, since
pytest-asyncio is not a dependency of this suite.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import types
from pathlib import Path

import pytest
from bolt_api import testing

DOC = Path(__file__).parents[1] / "docs" / "websockets.md"
BLOCK = re.compile(r"<!-- example: [^\n]*-->\n```python\n(.*?)\n```", re.S)


def example_source() -> str:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 3, "docs/websockets.md lost its marked example blocks"
    return "\n\n".join(blocks)


def example_module(engine: str) -> types.ModuleType:
    module = types.ModuleType("websockets_doc_example")
    exec(compile(example_source(), str(DOC), "exec"), module.__dict__)
    module.TestClient = functools.partial(testing.TestClient, engine=engine)
    module.WebSocketTestClient = functools.partial(testing.WebSocketTestClient, engine=engine)
    return module


def example_tests() -> list[str]:
    return sorted(re.findall(r"^(?:async )?def (test_\w+)\(", example_source(), re.M))


def test_the_example_has_tests() -> None:
    assert {"test_chat", "test_refused", "test_chat_async"} <= set(example_tests())


@pytest.mark.parametrize("name", example_tests())
def test_doc_example(engine: str, name: str) -> None:
    function = getattr(example_module(engine), name)
    if inspect.iscoroutinefunction(function):
        asyncio.run(function())
    else:
        function()
