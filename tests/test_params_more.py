"""Lists, grouped Structs, forms, uploads, length limits, dependencies, mapped errors,
problem details, trailing-slash redirects and URL reversing — on both engines."""

from __future__ import annotations

import httpx
import pytest


def test_repeated_query_keys_into_lists(client: httpx.Client) -> None:
    r = client.get("/multi?ids=1&ids=2&ids=3&flags=yes&flags=0")
    assert r.json() == {"ids": [1, 2, 3], "flags": [True, False]}
    assert client.get("/multi?ids=4").json() == {"ids": [4], "flags": None}
    r = client.get("/multi?ids=1&ids=x")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "ids"]
    assert client.get("/multi").json()["detail"][0]["type"] == "missing"


def test_struct_grouped_query(client: httpx.Client) -> None:
    assert client.get("/grouped").json() == {"status": "any", "limit": 10, "tags": []}
    r = client.get("/grouped?status=open&limit=5&tags=a&tags=b")
    assert r.json() == {"status": "open", "limit": 5, "tags": ["a", "b"]}
    r = client.get("/grouped?limit=many")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]


def test_urlencoded_form(client: httpx.Client) -> None:
    r = client.post("/form", data={"name": "Ann", "age": "31", "tags": ["x", "y"]})
    assert r.json() == {"name": "Ann", "age": 31, "tags": ["x", "y"]}
    r = client.post("/form", data={"age": "-1"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["form", "name"], ["form", "age"]]


def test_multipart_form_and_struct_form(client: httpx.Client) -> None:
    r = client.post("/form", files={"name": (None, "Bob"), "age": (None, "7")})
    assert r.json() == {"name": "Bob", "age": 7, "tags": None}
    r = client.post("/form-struct", data={"username": "zed", "age": "40"})
    assert r.json() == {"username": "zed", "age": 40}
    r = client.post("/form-struct", data={"username": "zed", "age": "old"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["form", "age"]


def test_wrong_content_type_for_a_form(client: httpx.Client) -> None:
    r = client.post("/form", json={"name": "Ann", "age": 3})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "form_invalid"


def test_upload(client: httpx.Client) -> None:
    r = client.post(
        "/upload", files={"doc": ("hello.txt", b"hello world", "text/plain")}, data={"note": "n"}
    )
    assert r.status_code == 200
    assert r.json() == {
        "filename": "hello.txt",
        "content_type": "text/plain",
        "size": 11,
        "content": "hello world",
        "note": "n",
    }


@pytest.mark.parametrize(
    ("files", "kind"),
    [
        ({"doc": ("big.txt", b"x" * 1001, "text/plain")}, "file_too_large"),
        ({"doc": ("pic.png", b"\x89PNG", "image/png")}, "file_type_not_allowed"),
        ({"other": ("a.txt", b"a", "text/plain")}, "missing"),
    ],
)
def test_upload_constraints(
    client: httpx.Client, files: dict[str, tuple[str, bytes, str]], kind: str
) -> None:
    r = client.post("/upload", files=files)
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == kind


def test_several_uploads_and_max_files(client: httpx.Client) -> None:
    files = [("files", (f"f{i}.bin", b"x" * i, "application/octet-stream")) for i in (1, 2)]
    assert client.post("/uploads", files=files).json() == {
        "names": ["f1.bin", "f2.bin"],
        "sizes": [1, 2],
    }
    files = [("files", (f"f{i}.bin", b"x", "application/octet-stream")) for i in range(4)]
    r = client.post("/uploads", files=files)
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "too_many_files"


def test_malformed_multipart(client: httpx.Client) -> None:
    r = client.post(
        "/upload",
        content=b"--b\r\ngarbage",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 422


def test_value_length_limit(client: httpx.Client) -> None:
    r = client.get("/headers", headers={"x-token": "x" * 8193})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "string_too_long"
    assert client.get("/headers", headers={"x-token": "x" * 8192}).status_code == 200
    r = client.post("/form", data={"name": "n" * 9000, "age": "1"})
    assert r.json()["detail"][0]["loc"] == ["form", "name"]


def test_nested_async_dependencies(client: httpx.Client) -> None:
    r = client.get("/deps/user?page=2", headers={"x-token": "abc"})
    assert r.json() == {"user": "user-abc", "page": 2}
    r = client.get("/deps/user?page=x")
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["header", "x-token"], ["query", "page"]]


def test_dependency_cache_per_request(client: httpx.Client) -> None:
    client.get("/deps/events?clear=true")
    assert client.get("/deps/cached").json() == {"same": True}
    assert client.get("/deps/events?clear=true").json() == ["counter"]


def test_yield_dependency_teardown(client: httpx.Client) -> None:
    client.get("/deps/events?clear=true")
    assert client.get("/deps/session?name=a").json() == {"session": "session:a"}
    assert client.get("/deps/session?name=b&fail=true").status_code == 500
    assert client.get("/deps/events?clear=true").json() == [
        "open a",
        "commit a",
        "open b",
        "rollback b",
    ]


def test_mapped_exceptions(client: httpx.Client) -> None:
    r = client.get("/errors/file")
    assert (r.status_code, r.json()) == (404, {"detail": "File not found"})
    r = client.get("/errors/permission")
    assert (r.status_code, r.json()) == (403, {"detail": "Permission denied"})


def test_problem_details_on_a_mounted_api(client: httpx.Client) -> None:
    assert client.get("/problems/item/3").json() == {"item_id": 3}
    r = client.get("/problems/item/0")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Item 0 does not exist",
        "instance": "/problems/item/0",
    }
    r = client.get("/problems/item/x")
    assert r.status_code == 422
    body = r.json()
    assert body["title"] == "Unprocessable Content"
    assert body["errors"][0]["loc"] == ["path", "item_id"]


def test_trailing_slash_redirect_keeps_query(client: httpx.Client) -> None:
    r = client.get("/items/5/?q=z")
    assert r.status_code == 308
    assert r.headers["location"] == "/items/5?q=z"
    assert client.get("/items/5/?q=z", follow_redirects=True).json() == {"item_id": 5, "q": "z"}
    r = client.post("/items/", json={"name": "a", "price": 1})
    assert r.status_code == 308
    assert r.headers["location"] == "/items"
    # a path that must be quoted again (a space, UTF-8) keeps its form
    r = client.get("/named/a%20b%C3%A9/")
    assert r.status_code == 308
    assert r.headers["location"] == "/named/a%20b%C3%A9"


def test_url_reversing(client: httpx.Client) -> None:
    assert client.get("/named/a%2Fb").json() == {"url": "/named/a%2Fb%20x"}


def test_rich_scalar_coercion(client: httpx.Client) -> None:
    r = client.get(
        "/coerce?amount=10.50&when=2024-05-06T07:08:09Z&day=2024-05-06&at=07:08:00"
        "&uid=12345678-1234-5678-1234-567812345678"
    )
    assert r.json() == {
        "amount": "10.50",
        "when": "2024-05-06T07:08:09+00:00",
        "day": "2024-05-06",
        "at": "07:08:00",
        "uid": "12345678-1234-5678-1234-567812345678",
        "types": ["Decimal", "datetime", "date", "time"],
    }
    r = client.get("/coerce?amount=ten&when=yesterday&day=2024-13-01&at=25:00")
    assert r.status_code == 422
    assert [e["loc"][1] for e in r.json()["detail"]] == ["amount", "when", "day", "at"]


def test_embedded_body_fields(client: httpx.Client) -> None:
    r = client.post("/embedded", json={"item": {"name": "n", "price": 1}, "count": 3})
    assert r.json() == {"name": "n", "count": 3}
    r = client.post("/embedded", json={"count": "x"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "item"], ["body", "count"]]
