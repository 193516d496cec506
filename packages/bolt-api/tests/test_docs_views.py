"""The examples of docs/views.md run: each Python block (except the Django one) is executed
and the answers the page shows are checked by calling the routes directly."""

from __future__ import annotations

import asyncio
import re
import sys
import types
from pathlib import Path
from typing import Any

import msgspec
import pytest
from bolt_api import BoltAPI
from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "views.md"
BLOCKS = [
    b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "from catalog" not in b
]


def answer(
    api: BoltAPI,
    method: str,
    template: str,
    query: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    call = compiled_call(api, method, template)
    result = call(FakeRequest(method, template, query or {}, params or {}))
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    status, _, body = result
    return status, msgspec.json.decode(body) if body else None


def run_block(index: int) -> BoltAPI:
    """Run block ``index`` as a module (registered, as msgspec resolves annotations there)."""
    module = types.ModuleType(f"docs_views_{index}")
    sys.modules[module.__name__] = module
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), module.__dict__)
    api: BoltAPI = module.api
    return api


def test_every_block_registers() -> None:
    assert len(BLOCKS) == 6
    for index in range(len(BLOCKS)):
        assert run_block(index).routes


@pytest.mark.parametrize(
    ("block", "request_", "expected"),
    [
        (0, ("GET", "/hello", {"name": "Ann"}, {}), {"message": "Hello, Ann"}),
        (0, ("GET", "/users/{user_id}", {}, {"user_id": "4"}), {"user_id": 4}),
        (1, ("GET", "/notes/{pk}", {}, {"pk": "2"}), {"id": 2, "text": "eggs"}),
        (
            2,
            ("POST", "/articles/{pk}/publish-now", {}, {"pk": "1"}),
            {"id": 1, "title": "Bolt", "published": True},
        ),
        (
            3,
            ("GET", "/rows", {"page": "2"}, {}),
            {
                "items": [{"id": i, "name": f"row {i}"} for i in (4, 5, 6)],
                "total": 7,
                "has_next": True,
                "has_previous": True,
                "page": 2,
                "page_size": 3,
                "total_pages": 3,
                "next_page": 3,
                "previous_page": 1,
            },
        ),
        (
            3,
            ("GET", "/rows/offset", {"limit": "2", "offset": "4"}, {}),
            {
                "items": [{"id": 5, "name": "row 5"}, {"id": 6, "name": "row 6"}],
                "total": 7,
                "has_next": True,
                "has_previous": True,
                "limit": 2,
                "offset": 4,
            },
        ),
        (
            4,
            ("GET", "/events", {}, {}),
            {
                "items": [{"id": i, "kind": "click"} for i in (10, 9, 8, 7)],
                "total": 0,
                "has_next": True,
                "has_previous": False,
                "page_size": 4,
                "next_cursor": "eyJ2Ijo3fQ",
            },
        ),
        (5, ("GET", "/tags", {}, {}), {"count": 3, "next": 2, "results": ["python", "rust"]}),
    ],
)
def test_documented_answers(
    block: int, request_: tuple[str, str, dict[str, str], dict[str, str]], expected: Any
) -> None:
    status, body = answer(run_block(block), *request_)
    assert (status, body) == (202 if "publish" in request_[1] else 200, expected)


def test_documented_422() -> None:
    status, body = answer(run_block(3), "GET", "/rows", {"page": "abc"})
    assert (status, body) == (
        422,
        {
            "detail": [
                {
                    "type": "validation_error",
                    "loc": ["query", "page"],
                    "msg": "Expected `int`, got `str`",
                    "input": "abc",
                }
            ]
        },
    )
