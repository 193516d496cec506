"""Issue 19's parameter and body findings: hostile or odd input gets a clear 4xx on both
engines, never a 500 (and never a traceback per request)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .apps.short_params import LIMIT
from .conftest import Server, start_server, wait_for

INT64_MAX = 2**63 - 1
#: What bolt-api logs, with its traceback, for a handler's unhandled exception.
UNHANDLED = "Unhandled exception in handler"


@pytest.fixture
def logs_nothing(server: Server, client: httpx.Client) -> Iterator[None]:
    """The test's requests make the server log nothing at all: no traceback, no error, no
    warning a client could repeat to flood the log. A request to ``/crash`` (one logged error)
    marks the end: once its line has been read, so has everything the server wrote before it."""
    start = len(server.output)
    yield
    assert client.get("/crash").status_code == 500
    wait_for(lambda: UNHANDLED in "".join(server.output[start:]), "the marker's log line")
    logged = "".join(server.output[start:])
    before_marker = logged[: logged.index(UNHANDLED)]
    assert before_marker.strip() == "", logged
    assert logged.count("Traceback") == 1, logged


@pytest.mark.parametrize(
    "raw", ["9223372036854775808", "-9223372036854775809", "99999999999999999999", "1e10", "1.0"]
)
def test_int_path_value_outside_int64_or_not_decimal_is_422(client: httpx.Client, raw: str) -> None:
    # /items/{item_id} is on the Rust engine's ParamSpec fast path: it defers, bolt-api decides.
    r = client.get(f"/items/{raw}")
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["path", "item_id"]
    assert error["input"] == raw
    assert error["msg"].startswith("Expected `int`")


def test_int_query_value_outside_int64_is_422(client: httpx.Client) -> None:
    r = client.get("/search?q=a&page=9223372036854775808")
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error == {
        "type": "validation_error",
        "loc": ["query", "page"],
        "msg": f"Expected `int` <= {INT64_MAX}",
        "input": "9223372036854775808",
    }
    assert client.get("/search?q=a&page=1e10").status_code == 422
    r = client.get("/multi?ids=1&ids=9223372036854775808")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "ids"]


@pytest.mark.parametrize("raw", ["1e10", "1.0", "9223372036854775808", "-9223372036854775809"])
def test_int_field_of_a_grouped_struct_is_an_int64_decimal_too(
    client: httpx.Client, raw: str
) -> None:
    # a Query()/Form() Struct's int field is published as int64 like any int parameter
    r = client.get("/grouped", params={"limit": raw})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "limit"]]
    r = client.post("/form-struct", data={"username": "u", "age": raw})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["form", "age"]]
    assert client.get("/grouped", params={"limit": str(INT64_MAX)}).json()["limit"] == INT64_MAX


def test_int64_bounds_are_accepted(client: httpx.Client) -> None:
    assert client.get(f"/items/{INT64_MAX}").json()["item_id"] == INT64_MAX
    assert client.get(f"/items/{-INT64_MAX - 1}").json()["item_id"] == -INT64_MAX - 1


def test_int_params_are_published_as_int64(client: httpx.Client) -> None:
    spec = client.get("/docs/openapi.json").json()
    (param,) = [
        p for p in spec["paths"]["/items/{item_id}"]["get"]["parameters"] if p["name"] == "item_id"
    ]
    assert param["schema"] == {"type": "integer", "format": "int64"}


def test_over_long_query_value_is_414_from_the_target_limit(client: httpx.Client) -> None:
    # docs/api.md: the 8192-byte target limit (max_uri_size) comes first; same on both engines.
    r = client.get("/search", params={"q": "x" * 8193})
    assert r.status_code == 414
    assert r.json() == {"detail": "URI Too Long"}


@pytest.fixture(scope="module")
def short_params(engine: str) -> Iterator[httpx.Client]:
    """tests/apps/short_params.py (``max_param_length=64``) served by ``engine``."""
    app = "tests.apps.short_params:api"
    srv = start_server(
        ["-m", "bolt_api", "serve", app, "--engine", engine, "--port", "0"],
        engine,
    )
    with httpx.Client(base_url=srv.url, timeout=10.0) as client:
        yield client
    srv.stop()


def test_value_over_max_param_length_in_a_short_target_is_422(short_params: httpx.Client) -> None:
    # docs/api.md: under max_uri_size, a path or query value over max_param_length is a 422;
    # these routes are on the Rust engine's fast path, which defers such values to bolt-api.
    ok = "w" * LIMIT
    assert short_params.get(f"/words/{ok}?n=1").json() == {"word": ok, "n": 1}
    cases = [
        (f"/words/{ok}w", ["path", "word"], LIMIT + 1),
        (f"/words/a?n={'1' * (LIMIT + 1)}", ["query", "n"], LIMIT + 1),
        (f"/numbers/{'9' * (LIMIT + 5)}", ["path", "number"], LIMIT + 5),
    ]
    for target, loc, length in cases:
        r = short_params.get(target)
        assert r.status_code == 422, (target, r.text)
        assert r.json()["detail"] == [
            {
                "type": "string_too_long",
                "loc": loc,
                "msg": f"Parameter too long: {length} characters (max {LIMIT})",
            }
        ]


def test_empty_route_path_serves_the_root(client: httpx.Client) -> None:
    # tests/apps/catalog/basics.py registers its root as @api.get("").
    r = client.get("/")
    assert r.status_code == 200
    assert r.json() == {"message": "Hello, World!"}


def test_event_stream_has_no_charset(client: httpx.Client) -> None:
    assert client.get("/sse").headers["content-type"] == "text/event-stream"


@pytest.mark.usefixtures("logs_nothing")
@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_json_is_422_not_500(client: httpx.Client, depth: int) -> None:
    body = '{"a":' * depth + "1" + "}" * depth
    r = client.post("/free-json", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0] == {
        "type": "json_invalid",
        "loc": ["body"],
        "msg": "JSON is nested too deeply",
    }
    # the connection and the route still work
    ok = client.post("/free-json", json={"b": 1, "a": 2})
    assert (ok.status_code, ok.json()) == (200, {"keys": ["a", "b"]})


@pytest.mark.usefixtures("logs_nothing")
def test_long_multipart_boundary_is_422(client: httpx.Client) -> None:
    boundary = "b" * 300
    part = 'Content-Disposition: form-data; name="name"\r\n\r\nx'
    body = f"--{boundary}\r\n{part}\r\n--{boundary}--\r\n"
    r = client.post(
        "/form",
        content=body.encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 422, r.text
    assert "boundary too long" in r.text


@pytest.mark.usefixtures("logs_nothing")
def test_nul_byte_in_a_file_path_is_400(client: httpx.Client) -> None:
    r = client.get("/files/get/small.txt%00.png")
    assert r.status_code == 400, r.text
    assert r.json() == {"detail": "Invalid file path: it contains a NUL byte"}


@pytest.mark.usefixtures("logs_nothing")
@pytest.mark.parametrize(
    ("filename", "message"),
    [
        (b"a\r\nb.txt", "Found invalid character 34 in header at 67"),
        (b"a\rb.txt", "Did not find LF character at end of header (found 98)"),
    ],
)
def test_line_break_in_a_multipart_filename_is_422(
    client: httpx.Client, filename: bytes, message: str
) -> None:
    # a CR (or CRLF) inside the quoted filename ends the part's header line early: the body is
    # malformed multipart, a 422 like every other (tests/test_params_more.py), not a 500
    body = (
        b'--b\r\nContent-Disposition: form-data; name="doc"; filename="%s"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n" % filename
    )
    r = client.post(
        "/upload", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == [
        {"type": "form_invalid", "loc": ["body"], "msg": f"Malformed multipart body: {message}"}
    ]


@pytest.mark.usefixtures("logs_nothing")
def test_bare_line_feed_in_a_multipart_filename_is_kept(client: httpx.Client) -> None:
    # python-multipart ends header lines at CRLF only; a lone LF stays in the (quoted) name
    body = (
        b'--b\r\nContent-Disposition: form-data; name="doc"; filename="a\nb.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
    )
    r = client.post(
        "/upload", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["filename"], r.json()["content"]) == ("a\nb.txt", "hello")


def test_control_characters_in_a_download_name_are_encoded(client: httpx.Client) -> None:
    r = client.get("/files/named", params={"filename": "a\r\nX-Evil: 1.txt"})
    assert r.status_code == 200, r.text
    assert "x-evil" not in r.headers
    assert r.headers["content-disposition"] == (
        "attachment; filename*=utf-8''a%0D%0AX-Evil%3A%201.txt"
    )
    r = client.get("/files/named", params={"filename": "plain.txt"})
    assert r.headers["content-disposition"] == 'attachment; filename="plain.txt"'
