"""Query, header and cookie parameters; the request object; the single 422 shape."""

from __future__ import annotations

import httpx


def test_query_defaults(client: httpx.Client) -> None:
    r = client.get("/search", params={"q": "shoes"})
    assert r.status_code == 200
    assert r.json() == {
        "q": "shoes",
        "page": 1,
        "size": 10,
        "exact": False,
        "sort": None,
        "price": None,
    }


def test_query_values_are_coerced(client: httpx.Client) -> None:
    r = client.get("/search?q=a+b&page=3&size=100&exact=on&sort=name&price=9.99")
    assert r.json() == {
        "q": "a b",
        "page": 3,
        "size": 100,
        "exact": True,
        "sort": "name",
        "price": 9.99,
    }


def test_missing_required_query_is_422(client: httpx.Client) -> None:
    r = client.get("/search")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["query", "q"],
                "msg": "Missing required query parameter 'q'",
            }
        ]
    }


def test_all_errors_are_reported_together(client: httpx.Client) -> None:
    r = client.get("/search?page=x&size=0&exact=perhaps")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [e["loc"] for e in detail] == [
        ["query", "q"],
        ["query", "page"],
        ["query", "size"],
        ["query", "exact"],
    ]
    assert detail[2]["msg"] == "Expected `int` >= 1"
    assert detail[1]["input"] == "x"


def test_constraint_upper_bound(client: httpx.Client) -> None:
    r = client.get("/search?q=a&size=101")
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "Expected `int` <= 100"


def test_query_alias_and_max_length(client: httpx.Client) -> None:
    assert client.get("/aliased?item-query=abc").json() == {"item_query": "abc"}
    assert client.get("/aliased").json() == {"item_query": "none"}
    r = client.get("/aliased?item-query=toolong")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "item-query"]


def test_headers_and_cookies(client: httpx.Client) -> None:
    r = client.get(
        "/headers", headers={"X-Token": "t0k", "X-Count": "3", "Cookie": "session=abc; other=1"}
    )
    assert r.json() == {"x_token": "t0k", "x_count": 3, "session": "abc"}


def test_missing_header_and_bad_header_value(client: httpx.Client) -> None:
    r = client.get("/headers", headers={"X-Count": "many"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "missing",
            "loc": ["header", "x-token"],
            "msg": "Missing required header 'x-token'",
        },
        {
            "type": "validation_error",
            "loc": ["header", "x-count"],
            "msg": "Expected `int`, got `str`",
            "input": "many",
        },
    ]


def test_request_object(client: httpx.Client) -> None:
    r = client.get(
        "/echo?a=1&a=2&b=x%20y&empty=&flag",
        headers={"X-Custom": "yes", "Cookie": "c1=v1; c2 = v2 ;bare"},
    )
    body = r.json()
    assert body == {
        "method": "GET",
        "path": "/echo",
        "query_string": "a=1&a=2&b=x%20y&empty=&flag",
        "query": {"a": "2", "b": "x y", "empty": "", "flag": ""},
        "query_multi": {"a": ["1", "2"], "b": ["x y"], "empty": [""], "flag": [""]},
        "cookies": {"c1": "v1", "c2": "v2", "": "bare"},
        "x_custom": "yes",
        "has_client": True,
        "body": "",
        "path_params": None,
    }


def test_request_object_with_path_params_and_body(client: httpx.Client) -> None:
    r = client.post("/echo/some%20kind", content=b"0123456789" * 10)
    assert r.json() == {
        "path_params": {"kind": "some kind"},
        "body_len": 100,
        "body_head": "01234567890123456789",
    }


def test_request_uri_helpers(client: httpx.Client) -> None:
    r = client.get("/uri/caf%C3%A9%20x/y?a=1&b=%20", headers={"host": "api.example:8080"})
    assert r.json() == {
        "full_path": "/uri/caf%C3%A9%20x/y?a=1&b=%20",
        "absolute": "http://api.example:8080/uri/caf%C3%A9%20x/y?a=1&b=%20",
        "joined": "http://api.example:8080/uri/caf%C3%A9%20x/other?x=1",
        "external": "https://example.com/a",
        "state_is_dict": True,
    }
