"""Tier one: an ``int`` read from a string is a 64-bit decimal wherever it is read — a plain
parameter, a list of them, or a field of a grouped Struct or dataclass (msgspec's lax read
alone takes ``1e3``, ``1.0`` and integers of any size). Both engines: tests/test_hostile_input.py.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import msgspec
import pytest
from bolt_api import BoltAPI, Query
from bolt_api_fakes import FakeRequest, compiled_call


class Page(msgspec.Struct):
    ids: list[int] = []
    size: Annotated[int, msgspec.Meta(ge=1)] | None = None


@dataclasses.dataclass
class Window:
    start: int = 0


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/page")
    def page(p: Annotated[Page, Query()]) -> Page:
        return p

    @api.get("/window")
    def window(w: Annotated[Window, Query()]) -> dict[str, int]:
        return {"start": w.start}

    return api


def answer(template: str, query: dict[str, str]) -> tuple[int, Any]:
    status, _headers, body = compiled_call(make_api(), "GET", template)(FakeRequest(query=query))
    return status, json.loads(bytes(body))


@pytest.mark.parametrize("raw", ["1e3", "1.0", "9223372036854775808", "-9223372036854775809"])
def test_grouped_int_fields_refuse_what_is_no_int64_decimal(raw: str) -> None:
    status, body = answer("/page", {"ids": raw})
    assert status == 422
    assert [e["loc"] for e in body["detail"]] == [["query", "ids", 0]]
    status, body = answer("/page", {"size": raw})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["query", "size"]])
    status, body = answer("/window", {"start": raw})
    assert (status, [e["loc"] for e in body["detail"]]) == (422, [["query", "start"]])


def test_grouped_int_fields_take_int64_decimals() -> None:
    assert answer("/page", {"ids": "-9223372036854775808", "size": "2"}) == (
        200,
        {"ids": [-9223372036854775808], "size": 2},
    )
    assert answer("/window", {"start": "7"}) == (200, {"start": 7})
    status, body = answer("/page", {"size": "0"})  # the field's own constraint still applies
    assert (status, body["detail"][0]["msg"]) == (422, "Expected `int` >= 1")
