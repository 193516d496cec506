"""What a handler may return, and how each is encoded and framed.

Lists, structs, text, bytes and the rich types msgspec encodes (dates, ``Decimal``, ``UUID``,
enums); the response classes with their status, media type and headers; a declared status
code; ``response_model`` that rejects or coerces the returned value; a header value with a
CR/LF in it; cookies set and deleted on a response.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

from bolt_api import HTML, JSON, PlainText, Redirect, Response

from .app import api
from .models import Item

__all__ = [
    "Color",
    "a_list",
    "a_struct",
    "bad_header",
    "bad_model",
    "cookies",
    "custom_status",
    "html_class",
    "json_class",
    "model_coerce",
    "plain_class",
    "raw_bytes",
    "redirect",
    "redirect_301",
    "response_class",
    "rich_types",
    "text",
]


class Color(enum.Enum):
    RED = "red"


@api.get("/list", summary="A list of numbers", tags=["responses"])
def a_list() -> list[int]:
    return [1, 2, 3]


@api.get("/struct")
def a_struct() -> Item:
    return Item(name="widget", price=9.5, tags=["a"])


@api.get("/text")
def text() -> str:
    return "plain text"


@api.get("/bytes")
def raw_bytes() -> bytes:
    return b"\x00\x01binary"


@api.get("/types")
def rich_types() -> dict[str, Any]:
    return {
        "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "date": datetime.date(2024, 1, 2),
        "time": datetime.time(3, 4, 5),
        "decimal": decimal.Decimal("1.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "enum": Color.RED,
    }


@api.get("/json-class")
def json_class() -> JSON:
    return JSON({"created": True}, status_code=202, headers={"X-Extra": "1"})


@api.get("/plain-class")
def plain_class() -> PlainText:
    return PlainText("hello", status_code=200)


@api.get("/html-class")
def html_class() -> HTML:
    return HTML("<h1>Hi</h1>")


@api.get("/redirect")
def redirect() -> Redirect:
    return Redirect("/")


@api.get("/redirect-301")
def redirect_301() -> Redirect:
    return Redirect("/", status_code=301)


@api.get("/response-class")
def response_class() -> Response:
    return Response(
        b"<x/>", status_code=203, media_type="application/xml", headers={"X-Kind": "raw"}
    )


@api.get("/custom-status", status_code=202)
def custom_status() -> dict[str, bool]:
    return {"accepted": True}


@api.get("/bad-model", response_model=Item)
def bad_model() -> Any:
    return {"name": 1, "price": "x"}


@api.get("/model-coerce", response_model=Item)
def model_coerce() -> Any:
    return {"name": "n", "price": 2}


@api.get("/bad-header")
def bad_header() -> JSON:
    return JSON({}, headers={"X-Bad": "a\r\nInjected: yes"})


@api.get("/cookies")
def cookies() -> JSON:
    response = JSON({"ok": True})
    response.set_cookie("sid", "abc", max_age=60, httponly=True)
    response.set_cookie("theme", "dark mode", secure=True, samesite="Strict")
    response.delete_cookie("old")
    return response
