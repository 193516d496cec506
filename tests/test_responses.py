"""Return values and response classes, and the errors handlers raise."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "status", "content_type", "body"),
    [
        ("/list", 200, "application/json", b"[1,2,3]"),
        ("/struct", 200, "application/json", b'{"name":"widget","price":9.5,"tags":["a"]}'),
        ("/text", 200, "text/plain; charset=utf-8", b"plain text"),
        ("/bytes", 200, "application/octet-stream", b"\x00\x01binary"),
        ("/json-class", 202, "application/json", b'{"created":true}'),
        ("/plain-class", 200, "text/plain; charset=utf-8", b"hello"),
        ("/html-class", 200, "text/html; charset=utf-8", b"<h1>Hi</h1>"),
        ("/response-class", 203, "application/xml", b"<x/>"),
        ("/custom-status", 202, "application/json", b'{"accepted":true}'),
        ("/model-coerce", 200, "application/json", b'{"name":"n","price":2.0,"tags":[]}'),
    ],
)
def test_response_shapes(
    client: httpx.Client, path: str, status: int, content_type: str, body: bytes
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == content_type
    assert r.content == body


def test_rich_types_are_encoded(client: httpx.Client) -> None:
    assert client.get("/types").json() == {
        "datetime": "2024-01-02T03:04:05",
        "date": "2024-01-02",
        "time": "03:04:05",
        "decimal": 1.50,
        "uuid": "12345678-1234-5678-1234-567812345678",
        "enum": "red",
    }


def test_custom_headers(client: httpx.Client) -> None:
    assert client.get("/json-class").headers["x-extra"] == "1"
    assert client.get("/response-class").headers["x-kind"] == "raw"


def test_redirects(client: httpx.Client) -> None:
    r = client.get("/redirect")
    assert r.status_code == 307
    assert r.headers["location"] == "/"
    assert r.content == b""
    assert client.get("/redirect-301").status_code == 301
    assert client.get("/redirect", follow_redirects=True).json() == {"message": "Hello, World!"}


def test_no_content(client: httpx.Client) -> None:
    r = client.delete("/items/1")
    assert r.status_code == 204
    assert r.content == b""
    assert "content-type" not in r.headers


def test_http_exception(client: httpx.Client) -> None:
    r = client.get("/teapot")
    assert r.status_code == 418
    assert r.json() == {"detail": "I'm a teapot"}
    assert r.headers["x-tea"] == "earl-grey"


def test_http_exception_extra_and_subclass(client: httpx.Client) -> None:
    assert client.get("/extra").json() == {"detail": "Bad thing", "extra": {"field": "name"}}
    r = client.get("/missing")
    assert r.status_code == 404
    assert r.json() == {"detail": "No such thing"}


@pytest.mark.parametrize("path", ["/crash", "/crash-async"])
def test_unhandled_exception_is_500_and_server_survives(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert client.get("/").status_code == 200


def test_response_model_failure_is_500(client: httpx.Client) -> None:
    r = client.get("/bad-model")
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "Response validation error"
    (error,) = body["extra"]["validation_errors"]
    assert error["loc"] == ["response"]
    assert error["msg"].startswith("Response validation failed for Item: Expected `str`")


def test_header_injection_is_refused(client: httpx.Client) -> None:
    r = client.get("/bad-header")
    assert r.status_code == 500
    assert "injected" not in r.headers
    assert r.json() == {"detail": "Internal Server Error"}


def test_async_handler_that_awaits(client: httpx.Client) -> None:
    assert client.get("/sleep?ms=5").json() == {"slept_ms": 5}


def test_set_and_delete_cookies(client: httpx.Client) -> None:
    r = client.get("/cookies")
    assert r.headers.get_list("set-cookie") == [
        "sid=abc; HttpOnly; SameSite=Lax; Path=/; Max-Age=60",
        'theme="dark mode"; Secure; SameSite=Strict; Path=/',
        'old=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Max-Age=0',
    ]
    assert r.cookies["sid"] == "abc"
