"""Tier one: every bad field of a JSON body (``bolt_api._body_errors``), and what it leaves to
msgspec's own first error. The end-to-end cases run on both engines in tests/test_body.py."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import msgspec
import pytest
from bolt_api._binders import every_error


class Inner(msgspec.Struct):
    a: int
    b: str


class Strict(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    full_name: str
    price: Annotated[float, msgspec.Meta(ge=0)]
    inner: Inner
    inners: tuple[Inner, ...] = ()


@dataclasses.dataclass
class Point:
    x: int
    y: str = "a"


class Tagged(msgspec.Struct, tag=True):
    a: int
    b: int


class Checked(msgspec.Struct):
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError("lo > hi")


def errors(tp: Any, body: bytes) -> list[dict[str, Any]]:
    try:
        msgspec.json.decode(body, type=tp)
    except msgspec.ValidationError as exc:
        return every_error(tp, body, ["body"], exc)
    raise AssertionError("the body decoded")


def test_every_field_of_a_struct_nested_and_renamed() -> None:
    body = b'{"fullName":1,"price":-1,"inner":{"a":"s"},"inners":[{"a":1,"b":"x"},{}],"zz":0}'
    assert errors(Strict, body) == [
        {
            "type": "validation_error",
            "loc": ["body", "fullName"],
            "msg": "Expected `str`, got `int`",
        },
        {"type": "validation_error", "loc": ["body", "price"], "msg": "Expected `float` >= 0.0"},
        {
            "type": "validation_error",
            "loc": ["body", "inner", "a"],
            "msg": "Expected `int`, got `str`",
        },
        {
            "type": "missing",
            "loc": ["body", "inner", "b"],
            "msg": "Object missing required field `b`",
        },
        {
            "type": "missing",
            "loc": ["body", "inners", 1, "a"],
            "msg": "Object missing required field `a`",
        },
        {
            "type": "missing",
            "loc": ["body", "inners", 1, "b"],
            "msg": "Object missing required field `b`",
        },
        {"type": "validation_error", "loc": ["body"], "msg": "Object contains unknown field `zz`"},
    ]


def test_dataclass_fields() -> None:
    assert [e["loc"] for e in errors(Point, b'{"y":1}')] == [["body", "x"], ["body", "y"]]


@pytest.mark.parametrize(
    ("tp", "body"),
    [
        (Point, b"[1]"),  # no object to look into
        (Tagged, b'{"type":"Tagged","a":"x","b":"y"}'),  # a tag: left to msgspec
        (Checked, b'{"lo":2,"hi":1}'),  # only __post_init__ sees it
        (list[Inner], b'[{"a":"x"}]'),  # not a Struct itself
    ],
)
def test_what_it_cannot_judge_is_msgspecs_first_error(tp: Any, body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.json.decode(body, type=tp)
    expected = errors(tp, body)
    assert len(expected) == 1
    assert expected[0]["msg"] == str(raised.value).split(" - at `")[0]


class Odd(msgspec.Struct):
    tagged: Annotated[int, ["unhashable metadata"]]
    inners: list[Inner] = []
    anything: Any = None


def test_odd_field_types() -> None:
    # an unhashable annotation is decoded uncached; a list that is no array is one error
    assert [e["loc"] for e in errors(Odd, b'{"tagged":"x","inners":5}')] == [
        ["body", "tagged"],
        ["body", "inners"],
    ]


def test_a_field_nested_too_deeply_leaves_it_to_the_first_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"tagged":"x","anything":%s}' % deep
    with pytest.raises(RecursionError):
        msgspec.json.decode(deep)
    assert every_error(Odd, body, ["body"], msgspec.ValidationError("first")) == [
        {"type": "validation_error", "loc": ["body"], "msg": "first"}
    ]
