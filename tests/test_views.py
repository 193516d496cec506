"""Class-based views and pagination over real HTTP, on both engines (tests/apps/catalog/).

APIView methods, an in-memory ViewSet (mixins, hand-written actions, ``@action``, paged
``list``), a ReadOnlyModelViewSet with a custom lookup field, and ``@paginate`` with the three
pagination classes over plain lists. Django QuerySets are covered by test_views_django.py.
"""

from __future__ import annotations

import httpx


def test_apiview_get_and_post(client: httpx.Client) -> None:
    r = client.get("/cbv/hello", params={"name": "Ann"})
    assert r.status_code == 200
    assert r.json() == {"message": "Hello, Ann", "method": "GET", "action": "get"}
    assert client.get("/cbv/hello").json()["message"] == "Hello, World"
    r = client.post("/cbv/hello", json={"name": "Lamp", "price": 9.5})
    assert r.status_code == 200
    assert r.json() == {"created": "Lamp", "price": 9.5, "seen": True}


def test_apiview_errors_are_the_usual_ones(client: httpx.Client) -> None:
    r = client.post("/cbv/hello", json={"name": "Lamp"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "price"]
    r = client.delete("/cbv/hello")
    assert r.status_code == 405
    allowed = set(r.headers["allow"].split(", "))
    assert {"GET", "HEAD", "POST"} <= allowed and "DELETE" not in allowed
    assert client.head("/cbv/hello").status_code == 200


def test_apiview_path_params_status_and_methods(client: httpx.Client) -> None:
    r = client.get("/cbv/users/7", params={"verbose": "yes"})
    assert r.status_code == 202  # the class's status_code
    assert r.json() == {"user_id": 7, "verbose": True, "path": {"user_id": "7"}}
    r = client.put("/cbv/users/7", json={"name": "x", "price": 1})
    assert (r.status_code, r.json()) == (202, {"user_id": 7, "name": "x"})
    assert client.get("/cbv/users/abc").status_code == 422
    assert client.delete("/cbv/users/7").status_code == 405  # methods=["GET", "PUT"]


def test_viewset_list_is_paged(client: httpx.Client) -> None:
    r = client.get("/cbv/notes")
    assert r.status_code == 200
    body = r.json()
    assert [n["id"] for n in body["items"]] == [1, 2]
    assert body["total"] >= 5
    assert body["page"] == 1 and body["page_size"] == 2 and body["has_next"] is True
    assert body["has_previous"] is False and body["next_page"] == 2
    assert body["total_pages"] == -(-body["total"] // 2)
    assert "previous_page" not in body and "limit" not in body
    second = client.get("/cbv/notes", params={"page": 2}).json()
    assert [n["id"] for n in second["items"]] == [3, 4]
    assert second["previous_page"] == 1


def test_viewset_retrieve_and_404(client: httpx.Client) -> None:
    r = client.get("/cbv/notes/3")
    assert (r.status_code, r.json()) == (200, {"id": 3, "text": "note 3", "done": False})
    r = client.get("/cbv/notes/999")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found"})
    assert client.get("/cbv/notes/abc").json() == {"detail": "Not found"}


def test_viewset_write_actions(client: httpx.Client) -> None:
    r = client.post("/cbv/notes", json={"text": "new"})
    assert r.status_code == 201
    created = r.json()
    assert created["text"] == "new" and created["done"] is False
    url = f"/cbv/notes/{created['id']}"
    r = client.patch(url, json={"done": True})
    assert (r.status_code, r.json()) == (200, {**created, "done": True})
    r = client.put(url, json={"text": "renamed"})
    assert r.json() == {"id": created["id"], "text": "renamed", "done": False}
    r = client.put(url, json={"done": True})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "text"]
    r = client.delete(url)
    assert (r.status_code, r.content) == (204, b"")
    assert client.get(url).status_code == 404
    assert client.post("/cbv/notes", json={"text": 1}).status_code == 422


def test_viewset_custom_actions(client: httpx.Client) -> None:
    done = client.get("/cbv/notes/done")
    assert done.status_code == 200
    assert {n["id"] for n in done.json()} >= {2, 4}
    r = client.post("/cbv/notes/5/toggle")
    assert r.status_code == 200
    first = r.json()["done"]
    assert client.post("/cbv/notes/5/toggle").json()["done"] is (not first)
    assert client.post("/cbv/notes/999/toggle").status_code == 404
    assert client.get("/cbv/notes/5/toggle").status_code == 405


def test_readonly_viewset_with_lookup_field(client: httpx.Client) -> None:
    r = client.get("/cbv/colors")
    assert r.json() == [
        {"slug": "red", "hex": "#f00"},
        {"slug": "green", "hex": "#0f0"},
        {"slug": "blue", "hex": "#00f"},
    ]
    assert client.get("/cbv/colors/green").json() == {"slug": "green", "hex": "#0f0"}
    r = client.get("/cbv/colors/pink")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found"})
    assert client.post("/cbv/colors", json={}).status_code == 405
    assert client.delete("/cbv/colors/red").status_code == 405


def test_page_number_pagination(client: httpx.Client) -> None:
    r = client.get("/cbv/pages/number")
    assert r.json() == {
        "items": [{"id": i, "name": f"row {i}"} for i in range(1, 8)],
        "total": 7,
        "has_next": False,
        "has_previous": False,
        "page": 1,
        "page_size": 100,
        "total_pages": 1,
    }
    r = client.get("/cbv/pages/number", params={"page": 2, "page_size": 3})
    assert r.json() == {
        "items": [{"id": i, "name": f"row {i}"} for i in (4, 5, 6)],
        "total": 7,
        "has_next": True,
        "has_previous": True,
        "page": 2,
        "page_size": 3,
        "total_pages": 3,
        "next_page": 3,
        "previous_page": 1,
    }
    # the handler's own parameters still work; a page past the end answers the last one
    r = client.get("/cbv/pages/number", params={"q": "row 1", "page": 5})
    assert r.json()["items"] == [{"id": 1, "name": "row 1"}]
    assert r.json()["page"] == 1


def test_page_size_is_capped(client: httpx.Client) -> None:
    body = client.get("/cbv/pages/small").json()
    assert (body["page_size"], len(body["items"]), body["total_pages"]) == (3, 3, 3)
    body = client.get("/cbv/pages/small", params={"page_size": 50}).json()
    assert (body["page_size"], len(body["items"])) == (5, 5)


def test_bad_page_values_are_422(client: httpx.Client) -> None:
    r = client.get("/cbv/pages/number", params={"page": "abc", "page_size": 0})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "validation_error",
                "loc": ["query", "page"],
                "msg": "Expected `int`, got `str`",
                "input": "abc",
            },
            {
                "type": "validation_error",
                "loc": ["query", "page_size"],
                "msg": "Expected `int` >= 1",
                "input": "0",
            },
        ]
    }
    assert client.get("/cbv/pages/number", params={"page": 0}).status_code == 422
    assert client.get("/cbv/notes", params={"page": "x"}).status_code == 422
    r = client.get("/cbv/pages/offset", params={"offset": -1, "limit": "no"})
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "limit"], ["query", "offset"]]


def test_limit_offset_pagination(client: httpx.Client) -> None:
    r = client.get("/cbv/pages/offset")
    assert r.json() == {
        "items": [{"id": 1, "name": "row 1"}, {"id": 2, "name": "row 2"}],
        "total": 7,
        "has_next": True,
        "has_previous": False,
        "limit": 2,
        "offset": 0,
    }
    body = client.get("/cbv/pages/offset", params={"limit": 4, "offset": 5}).json()
    assert [i["id"] for i in body["items"]] == [6, 7]
    assert (body["has_next"], body["has_previous"], body["limit"], body["offset"]) == (
        False,
        True,
        4,
        5,
    )


def test_cursor_pagination(client: httpx.Client) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        body = client.get("/cbv/pages/cursor", params=params).json()
        pages += 1
        seen += [i["id"] for i in body["items"]]
        assert body["total"] == 0 and body["page_size"] == 3
        assert body["has_previous"] is (cursor is not None)
        if not body["has_next"]:
            assert "next_cursor" not in body
            break
        cursor = body["next_cursor"]
    assert (seen, pages) == ([1, 2, 3, 4, 5, 6, 7], 3)
    first = client.get("/cbv/pages/cursor-desc").json()
    assert [i["id"] for i in first["items"]] == [7, 6, 5]
    then = client.get("/cbv/pages/cursor-desc", params={"cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in then["items"]] == [4, 3, 2]


def test_bad_cursor_is_422(client: httpx.Client) -> None:
    r = client.get("/cbv/pages/cursor", params={"cursor": "not a cursor"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "validation_error",
                "loc": ["query", "cursor"],
                "msg": "Invalid cursor",
                "input": "not a cursor",
            }
        ]
    }


def test_paginate_with_response_model(client: httpx.Client) -> None:
    body = client.get("/cbv/pages/model", params={"page_size": 2, "page": 4}).json()
    assert body == {
        "items": [{"id": 7, "name": "row 7"}],
        "total": 7,
        "has_next": False,
        "has_previous": True,
        "page": 4,
        "page_size": 2,
        "total_pages": 4,
        "previous_page": 3,
    }


def rows(*ids: int) -> list[dict[str, object]]:
    return [{"id": i, "name": f"row {i}"} for i in ids]


def test_drf_envelope_with_page_numbers(client: httpx.Client) -> None:
    """``response_class=DRFPaginatedResponse``: DRF's count/next/previous/results, absolute
    links on the request's own URL with its other parameters kept; page 1 has no page
    parameter, as in DRF."""
    base = str(client.base_url).rstrip("/") + "/cbv/pages/drf/number"
    assert client.get("/cbv/pages/drf/number").json() == {
        "count": 7,
        "next": f"{base}?page=2",
        "previous": None,
        "results": rows(1, 2, 3),
    }
    body = client.get("/cbv/pages/drf/number", params={"q": "row", "page": 2}).json()
    assert body == {
        "count": 7,
        "next": f"{base}?q=row&page=3",
        "previous": f"{base}?q=row",
        "results": rows(4, 5, 6),
    }
    last = client.get(body["next"]).json()
    assert (last["next"], last["previous"], last["results"]) == (
        None,
        f"{base}?q=row&page=2",
        rows(7),
    )


def test_drf_envelope_with_limit_offset_and_cursor(client: httpx.Client) -> None:
    base = str(client.base_url).rstrip("/") + "/cbv/pages/drf"
    body = client.get("/cbv/pages/drf/offset", params={"offset": 2}).json()
    assert body == {
        "count": 7,
        "next": f"{base}/offset?limit=3&offset=5",
        "previous": f"{base}/offset?limit=3",
        "results": rows(3, 4, 5),
    }
    first = client.get("/cbv/pages/drf/cursor").json()
    assert "count" not in first and first["previous"] is None  # a cursor makes no count
    assert first["results"] == rows(1, 2, 3) and first["next"].startswith(f"{base}/cursor?cursor=")
    then = client.get(first["next"]).json()
    assert then["results"] == rows(4, 5, 6)


def test_drf_envelope_in_openapi(client: httpx.Client) -> None:
    spec = client.get("/docs/openapi.json").json()
    schema = spec["paths"]["/cbv/pages/drf/number"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"count", "next", "previous", "results"}
    assert set(schema["required"]) == {"next", "previous", "results"}
