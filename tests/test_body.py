"""JSON bodies decoded into msgspec Structs, and every way they can be wrong."""

from __future__ import annotations

import httpx


def test_valid_body(client: httpx.Client) -> None:
    r = client.post("/items", json={"name": "widget", "price": 3, "tags": ["x"]})
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    assert r.content == b'{"name":"widget","price":3.0,"tags":["x"]}'


def test_body_with_path_parameter(client: httpx.Client) -> None:
    r = client.put("/items/4", json={"name": "n", "price": 1.5})
    assert r.json() == {"item_id": 4, "item": {"name": "n", "price": 1.5, "tags": []}}
    r = client.patch("/items/4", json={"name": "p", "price": 1})
    assert r.json() == {"item_id": 4, "name": "p"}


def test_wrong_field_type(client: httpx.Client) -> None:
    r = client.post("/items", json={"name": "w", "price": "cheap"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "validation_error",
                "loc": ["body", "price"],
                "msg": "Expected `float`, got `str`",
            }
        ]
    }


def test_missing_field(client: httpx.Client) -> None:
    r = client.post("/items", json={"name": "w"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "price"],
                "msg": "Object missing required field `price`",
            }
        ]
    }


def test_every_bad_field_is_reported_at_once(client: httpx.Client) -> None:
    # msgspec stops at the first error; on that error path Bolt looks at every field
    r = client.post("/items", json={"name": 1, "tags": ["a", 2]})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "validation_error",
                "loc": ["body", "name"],
                "msg": "Expected `str`, got `int`",
            },
            {
                "type": "missing",
                "loc": ["body", "price"],
                "msg": "Object missing required field `price`",
            },
            {
                "type": "validation_error",
                "loc": ["body", "tags", 1],
                "msg": "Expected `str`, got `int`",
            },
        ]
    }
    # a nested Struct's fields too (in a list, each of them), below their own location
    items = [{"name": "a", "price": "y"}, {"name": "b", "price": 1}, {"name": 3, "price": 1}]
    r = client.post("/orders", json={"id": "x", "items": items})
    assert [e["loc"] for e in r.json()["detail"]] == [
        ["body", "id"],
        ["body", "items", 0, "price"],
        ["body", "items", 2, "name"],
    ]
    # and embedded body fields
    r = client.post("/embedded", json={"item": {"price": "z"}, "count": "x"})
    assert [e["loc"] for e in r.json()["detail"]] == [
        ["body", "item", "name"],
        ["body", "item", "price"],
        ["body", "count"],
    ]


def test_nested_error_location(client: httpx.Client) -> None:
    r = client.post(
        "/orders", json={"id": 1, "items": [{"name": "a", "price": 1}, {"name": "b", "price": "x"}]}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "items", 1, "price"]


def test_malformed_json(client: httpx.Client) -> None:
    r = client.post("/items", content=b'{"name": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"] == ["body"]


def test_empty_body_is_missing(client: httpx.Client) -> None:
    r = client.post("/items")
    assert r.status_code == 422
    assert r.json() == {
        "detail": [{"type": "missing", "loc": ["body"], "msg": "Missing required request body"}]
    }


def test_body_of_wrong_json_type(client: httpx.Client) -> None:
    r = client.post("/items", json=[1, 2])
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "Expected `object`, got `array`"


def test_large_body_within_limit(client: httpx.Client) -> None:
    tags = ["t" * 100] * 5000  # ~0.5 MB
    r = client.post("/items", json={"name": "big", "price": 1, "tags": tags})
    assert r.status_code == 201
    assert len(r.json()["tags"]) == 5000


def test_body_over_limit_is_413(client: httpx.Client) -> None:
    r = client.post("/echo/big", content=b"x" * (1024 * 1024 + 1))
    assert r.status_code == 413
    assert r.json() == {"detail": "Content Too Large"}
