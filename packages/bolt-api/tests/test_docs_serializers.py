"""The examples of docs/serializers.md run: each Python block without Django is executed
(its ``assert`` lines are the answers the page shows) and the route example is called. The
Django blocks are tests/apps/shelf_app.py's serializers, checked by tests/test_serializers.py."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import msgspec
import pytest
from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "serializers.md"
BLOCKS = [
    b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "needs Django" not in b
]


def run_block(index: int) -> types.ModuleType:
    """Run block ``index`` as a module (registered, as msgspec resolves annotations there)."""
    module = types.ModuleType(f"docs_serializers_{index}")
    sys.modules[module.__name__] = module
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs(index: int) -> None:
    run_block(index)


def test_block_count() -> None:
    assert len(BLOCKS) == 6


def test_route_example_answers_as_shown() -> None:
    module = run_block(next(i for i, b in enumerate(BLOCKS) if "BoltAPI" in b))
    call = compiled_call(module.api, "POST", "/users")
    body = b'{"username": "ada", "password": "pw"}'
    status, _headers, out = call(
        FakeRequest("POST", "/users", body=body, headers={"content-type": "application/json"})
    )
    assert (status, msgspec.json.decode(out)) == (201, {"id": 1, "username": "ada"})
