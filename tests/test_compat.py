"""django-bolt code run unchanged on Bolt, over real HTTP on both engines
(tests/apps/compat_app.py), plus the import paths and defaults django-bolt users rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bolt_api import BoltAPI
from bolt_api.responses import StreamingResponse
from bolt_api.testing import TestClient, TestResponse

from .conftest import Server, start_server

FILE = Path(__file__).parent / "apps" / "compat_app.py"


@pytest.fixture(scope="module")
def compat_server(engine: str) -> Iterator[Server]:
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.compat_app:api", "--engine", engine, "--port", "0"],
        engine,
    )
    yield srv
    srv.stop()


@pytest.fixture
def c(compat_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=compat_server.url, timeout=10.0) as client:
        yield client


# -- 1. set_cookie / delete_cookie return the response ---------------------------------------


def test_returned_set_cookie_sends_body_and_cookie(c: httpx.Client) -> None:
    r = c.get("/chain/json")
    assert r.status_code == 201
    assert r.json() == {"ok": True}
    assert r.headers.get_list("set-cookie") == ["sid=abc; HttpOnly; SameSite=Lax; Path=/"]


def test_chained_delete_then_set(c: httpx.Client) -> None:
    r = c.get("/chain/delete")
    assert r.text == "bye"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith('sid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT')
    assert "Max-Age=0" in cookies[0]
    assert cookies[1] == "theme=dark; SameSite=Lax; Path=/; Max-Age=60"


def test_every_response_class_chains() -> None:
    from bolt_api import HTML, JSON, PlainText, Redirect, Response
    from bolt_api.files import File, FileResponse
    from bolt_api.streaming import EventSourceResponse, StreamingResponse

    responses = [
        Response(b""),
        JSON({}),
        PlainText(""),
        HTML(""),
        Redirect("/"),
        StreamingResponse(iter(())),
        EventSourceResponse(iter(())),
        File(str(FILE)),
        FileResponse(str(FILE)),
    ]
    for response in responses:
        assert response.set_cookie("a", "1") is response
        assert response.delete_cookie("a") is response


def test_chained_cookies_on_a_raw_response(c: httpx.Client) -> None:
    r = c.get("/chain/response")
    assert r.content == b"<x/>"
    assert r.headers["content-type"] == "application/xml"
    assert r.headers.get_list("set-cookie") == [
        "a=1; SameSite=Lax; Path=/",
        "b=2; SameSite=Lax; Path=/",
    ]


# -- 2. HTTPException().headers ----------------------------------------------------------------


def test_http_exception_headers_default_to_an_empty_dict() -> None:
    from bolt_api import HTTPException, NotFound

    assert HTTPException().headers == {}
    assert NotFound().headers == {}
    given = {"x-a": "b"}
    exc = HTTPException(418, "teapot", headers=given)
    assert exc.headers == given
    assert exc.headers is not given  # the caller's dict is not changed by later additions
    assert HTTPException(400).headers is not HTTPException(400).headers


def test_headers_added_to_a_raised_exception_are_sent(c: httpx.Client) -> None:
    r = c.get("/exc-headers")
    assert r.status_code == 400
    assert r.json() == {"detail": "bad"}
    assert r.headers["x-added"] == "1"


# -- 3. bolt_api.responses has django_bolt.responses' names -----------------------------------


def test_response_names_resolve_from_bolt_api_responses() -> None:
    import bolt_api.files
    import bolt_api.responses
    import bolt_api.streaming

    for name in ("StreamingResponse", "EventSourceResponse", "ServerSentEvent", "format_sse_event"):
        assert getattr(bolt_api.responses, name) is getattr(bolt_api.streaming, name)
    for name in ("File", "FileResponse"):
        assert getattr(bolt_api.responses, name) is getattr(bolt_api.files, name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        bolt_api.responses.Nope  # noqa: B018


def test_streaming_response_imported_from_responses(c: httpx.Client) -> None:
    r = c.get("/stream")
    assert r.text == "one\ntwo\n"
    assert r.headers["transfer-encoding"] == "chunked"


# -- 4. Django responses returned as they are --------------------------------------------------


def test_django_http_response_is_passed_through(c: httpx.Client) -> None:
    r = c.get("/django/http")
    assert r.status_code == 201
    assert r.text == "hello"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-custom"] == "yes"
    assert r.headers["content-length"] == "5"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("first=1;") and "HttpOnly" in cookies[0]
    assert cookies[1].startswith("second=2;") and "Max-Age=30" in cookies[1]


def test_django_json_response(c: httpx.Client) -> None:
    r = c.get("/django/json")
    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"a": [1, 2]}


def test_declared_django_response(c: httpx.Client) -> None:
    r = c.get("/django/declared")
    assert (r.status_code, r.content) == (203, b"\x00raw")
    assert r.headers["content-type"] == "application/octet-stream"
    assert c.get("/django/declared-dict").json() == {"plain": True}


def test_django_response_from_a_struct_route(c: httpx.Client) -> None:
    r = c.get("/django/struct-route")
    assert (r.status_code, r.text) == (409, "not an item")


def test_django_streaming_response_is_streamed(c: httpx.Client) -> None:
    r = c.get("/django/stream")
    assert r.status_code == 200
    assert r.text == "a,b,c"
    assert r.headers["content-type"] == "text/csv"
    assert r.headers["x-streamed"] == "sync"
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers


def test_django_async_streaming_response(c: httpx.Client) -> None:
    r = c.get("/django/astream")
    assert r.text == "xyz"
    assert r.headers["transfer-encoding"] == "chunked"


def test_django_file_response(c: httpx.Client) -> None:
    r = c.get("/django/file")
    assert r.status_code == 200
    assert r.content == FILE.read_bytes()
    assert r.headers["content-disposition"] == 'attachment; filename="compat_app.py"'
    assert r.headers["content-type"] in ("text/x-python", "text/plain")


def test_django_response_routes_in_the_openapi_document(c: httpx.Client) -> None:
    spec = c.get("/docs/openapi.json").json()
    responses = spec["paths"]["/django/declared"]["get"]["responses"]
    assert "200" in responses
    assert "content" not in responses["200"]


# -- 5. request.META ---------------------------------------------------------------------------


def test_request_meta(c: httpx.Client, compat_server: Server) -> None:
    r = c.get(
        "/meta?a=1&b=%20",
        headers={
            "X-Custom-Thing": "v",
            "X_Custom_Thing": "spoofed",  # dropped by the engine: never HTTP_X_CUSTOM_THING
            "Content-Type": "text/plain",
            "Host": "example.com:8443",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["same"] is True  # built once, then kept
    meta = body["keys"]
    assert meta["REQUEST_METHOD"] == "GET"
    assert meta["PATH_INFO"] == "/meta"
    assert meta["SCRIPT_NAME"] == ""
    assert meta["QUERY_STRING"] == "a=1&b=%20"
    assert meta["CONTENT_TYPE"] == "text/plain"
    assert "HTTP_CONTENT_TYPE" not in meta
    assert meta["HTTP_X_CUSTOM_THING"] == "v"
    assert meta["HTTP_HOST"] == "example.com:8443"
    assert meta["SERVER_NAME"] == "example.com"
    assert meta["SERVER_PORT"] == "8443"
    assert meta["REMOTE_ADDR"] == "127.0.0.1"
    assert isinstance(meta["REMOTE_PORT"], int)


def test_request_meta_content_length_and_default_port(c: httpx.Client) -> None:
    r = c.request("GET", "/meta", content=b"abc", headers={"Host": "plain.example"})
    meta = r.json()["keys"]
    assert meta["CONTENT_LENGTH"] == "3"
    assert meta["SERVER_NAME"] == "plain.example"
    assert meta["SERVER_PORT"] == "80"


def test_meta_host_forms() -> None:
    from bolt_api._request_methods import _split_host

    assert _split_host("[::1]:8000") == ("[::1]", "8000")
    assert _split_host("[::1]") == ("[::1]", "")
    assert _split_host("h") == ("h", "")
    assert _split_host("h:x") == ("h:x", "")


# -- 6. TestClient(..., stream=True) -----------------------------------------------------------


def test_test_client_stream_iter_content_and_lines(engine: str) -> None:
    api = BoltAPI()

    @api.get("/lines")
    def lines() -> StreamingResponse:
        return StreamingResponse(iter(["data: 1\n\n", "data: é\n\n"]), media_type="text/plain")

    with TestClient(api, engine=engine) as client:
        r = client.get("/lines", stream=True)
        assert isinstance(r, TestResponse)
        assert list(r.iter_lines()) == ["data: 1", "", "data: é", ""]
        assert b"".join(r.iter_content(chunk_size=3)) == "data: 1\n\ndata: é\n\n".encode()
        assert all(len(chunk) <= 3 for chunk in r.iter_content(3))
        assert "".join(r.iter_content(4, decode_unicode=True)) == "data: 1\n\ndata: é\n\n"
        assert client.post("/lines", stream=True).status_code == 405
        assert client.get("/lines").status_code == 200


# -- 7. UploadFile fields in a Form() struct ----------------------------------------------------


def test_upload_fields_in_a_form_struct(c: httpx.Client) -> None:
    files = [
        ("avatar", ("me.png", b"png-bytes", "image/png")),
        ("attachments", ("a.txt", b"a", "text/plain")),
        ("attachments", ("b.txt", b"b", "text/plain")),
    ]
    r = c.post("/form-upload", data={"name": "ann"}, files=files)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "name": "ann",
        "avatar": ["me.png", "png-bytes"],
        "attachments": ["a.txt", "b.txt"],
        "note": None,
    }


def test_a_missing_upload_field_is_a_422(c: httpx.Client) -> None:
    r = c.post("/form-upload", data={"name": "ann"}, files={"other": ("x", b"x")})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["form", "avatar"]]


# -- 8. bolt_api.shortcuts.render ---------------------------------------------------------------


def test_render_a_django_template(c: httpx.Client) -> None:
    r = c.get("/render/ann")
    assert r.status_code == 202
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<p>Hi ann at /render/ann</p>"
    r = c.get("/render-text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "<p>Hi t at /render-text</p>"
