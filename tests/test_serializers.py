"""Serializers over Django models through real HTTP, on both engines (issue 18, item 1).

The app (tests/apps/shelf_app.py) has books with an author (a foreign key) and tags (a
many-to-many field). Books are created, read, listed and updated through serializers; bad
bodies answer Bolt's 422; the OpenAPI document shows each serializer's input and output
shapes; ``GET /queries`` counts the SQL statements of the requests before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Server, serve_api


@pytest.fixture(scope="module")
def shelf(engine: str) -> Iterator[Server]:
    srv = serve_api("tests.apps.shelf_app:api", engine)
    yield srv
    srv.stop()


@pytest.fixture
def http(shelf: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shelf.url, timeout=10.0) as c:
        yield c


def _queries(http: httpx.Client) -> int:
    count: int = http.get("/queries").json()["count"]
    return count


def _setup(http: httpx.Client, author: str, tags: list[str]) -> tuple[int, list[int]]:
    author_id = http.post("/authors", json={"name": author}).json()["id"]
    tag_ids = [http.post("/tags", json={"name": name}).json()["id"] for name in tags]
    return author_id, tag_ids


def test_create_read_update_with_fk_and_m2m(http: httpx.Client) -> None:
    author, (sf, classic) = _setup(http, "Frank Herbert", ["sf", "classic"])
    other, _ = _setup(http, "Ursula K. Le Guin", [])
    r = http.post(
        "/books", json={"title": "  Dune ", "author": author, "tags": [sf, classic], "id": 999}
    )
    assert r.status_code == 201, r.text
    book: dict[str, Any] = r.json()
    assert book["id"] != 999  # read-only: the client's id is ignored
    assert book == {
        "id": book["id"],
        "title": "Dune",  # the field validator stripped it
        "status": "draft",  # the model's default
        "pages": None,
        "author": author,
        "tags": [sf, classic],
        "created": book["created"],
    }
    detail = http.get(f"/books/{book['id']}").json()
    assert detail == {
        "id": book["id"],
        "title": "Dune",
        "status": "draft",
        "author": {"id": author, "name": "Frank Herbert"},
        "tags": [{"id": sf, "name": "sf"}, {"id": classic, "name": "classic"}],
        "author_name": "Frank Herbert",
        "tag_count": 2,
    }
    r = http.put(
        f"/books/{book['id']}",
        json={"title": "Dune", "author": other, "tags": [classic], "status": "published"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["author"], r.json()["tags"], r.json()["status"]) == (
        other,
        [classic],
        "published",
    )
    again = http.get(f"/books/{book['id']}").json()
    assert again["author"]["name"] == "Ursula K. Le Guin"
    assert [t["name"] for t in again["tags"]] == ["classic"]


def test_list_has_no_n_plus_one(http: httpx.Client) -> None:
    author, tags = _setup(http, "Iain Banks", ["culture", "space"])
    for n in range(5):
        r = http.post("/books", json={"title": f"Book {n}", "author": author, "tags": tags})
        assert r.status_code == 201
    _queries(http)  # reset
    listing = http.get("/books").json()
    assert len(listing) >= 5
    assert all(isinstance(row["author"], dict) and "tag_count" in row for row in listing)
    # one query for the books joined to their authors, one for every book's tags
    assert _queries(http) == 2
    mine = [row for row in listing if row["author"]["id"] == author]
    assert {row["tag_count"] for row in mine} == {2}


def test_loading_plans_and_columns(http: httpx.Client) -> None:
    assert http.get("/plans").json() == {
        "BookSerializer": {
            "select_related": [],
            "prefetch_related": ["tags"],
            "only": ["id", "title", "status", "pages", "author", "created"],
        },
        "BookDetail": {  # author_name reads author.name: every column stays loaded
            "select_related": ["author"],
            "prefetch_related": ["tags"],
            "only": None,
        },
    }
    author, tags = _setup(http, "Le Carre", ["spy"])
    http.post("/books", json={"title": "Smiley", "author": author, "tags": tags})
    _queries(http)
    rows = http.get("/book-rows").json()
    assert _queries(http) == 2  # the books' columns, then every book's tag ids
    assert any(row["title"] == "Smiley" and row["tags"] == tags for row in rows)


def test_create_serializer_and_response_model(http: httpx.Client) -> None:
    author, _ = _setup(http, "Jorge Luis Borges", [])
    r = http.get(f"/authors/{author}")
    assert (r.status_code, r.json()) == (200, {"id": author, "name": "Jorge Luis Borges"})
    doc = http.get("/docs/openapi.json").json()
    ref = doc["paths"]["/authors/{author_id}"]["get"]["responses"]["200"]["content"]
    assert ref["application/json"]["schema"]["$ref"].endswith("/AuthorRow")


def test_serializer_set_patch(http: httpx.Client) -> None:
    author, (a, b) = _setup(http, "Mary Shelley", ["gothic", "classic-2"])
    book = http.post("/books", json={"title": "Frankenstein", "author": author, "tags": [a]})
    book_id = book.json()["id"]
    r = http.patch(f"/books/{book_id}", json={"tags": [a, b]})
    assert (r.status_code, r.json()) == (
        200,
        {"id": book_id, "title": "Frankenstein", "author": author, "tags": [a, b]},
    )
    r = http.patch(f"/books/{book_id}", json={"title": 3})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "title"])
    doc = http.get("/docs/openapi.json").json()
    body = doc["paths"]["/books/{book_id}"]["patch"]["requestBody"]["content"]
    schema = doc["components"]["schemas"][
        body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    assert set(schema["properties"]) == {"title", "author", "tags"}
    assert schema.get("required", []) == []  # every field optional


def test_filters_ordering_and_search(http: httpx.Client) -> None:
    author, (tag,) = _setup(http, "Filter Writer", ["filtered"])
    made = []
    for title, pages, status in (("Alpha Filter", 100, "draft"), ("Beta Filter", 300, "published")):
        r = http.post(
            "/books",
            json={
                "title": title,
                "author": author,
                "pages": pages,
                "status": status,
                "tags": [tag],
            },
        )
        made.append(r.json()["id"])
    http.post("/books", json={"title": "Gamma Filter", "author": author, "pages": 50})

    def titles(**params: Any) -> list[str]:
        r = http.get("/search/books", params={"author": "filter writer", **params})
        assert r.status_code == 200, r.text
        return [row["title"] for row in r.json()]

    assert titles() == ["Alpha Filter", "Beta Filter", "Gamma Filter"]
    assert titles(title="ALPHA") == ["Alpha Filter"]
    assert titles(pages_min=100) == ["Alpha Filter", "Beta Filter"]
    assert titles(status=["published", "draft"], tag="filtered") == ["Alpha Filter", "Beta Filter"]
    assert titles(ordering="-pages") == ["Beta Filter", "Alpha Filter", "Gamma Filter"]
    assert titles(search="gamma writer") == ["Gamma Filter"]
    assert titles(created_year=1999) == []
    r = http.get("/search/books", params={"ordering": "author__password", "pages_min": "x"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "pages_min"]]
    r = http.get("/search/books", params={"ordering": "-secret"})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["query", "ordering"])
    assert "Cannot order by '-secret'" in r.json()["detail"][0]["msg"]
    doc = http.get("/docs/openapi.json").json()
    names = {p["name"] for p in doc["paths"]["/search/books"]["get"]["parameters"]}
    assert names == {
        "title",
        "status",
        "pages_min",
        "author",
        "tag",
        "created_year",
        "ordering",
        "search",
    }


def test_field_set_view(http: httpx.Client) -> None:
    author, _ = _setup(http, "Ted Chiang", [])
    http.post("/books", json={"title": "Exhalation", "author": author})
    rows = http.get("/books-list").json()
    assert rows and all(set(row) == {"id", "title", "tag_count"} for row in rows)


def test_unknown_related_ids_are_422(http: httpx.Client) -> None:
    _author, (tag,) = _setup(http, "Nobody", ["lonely"])
    r = http.post("/books", json={"title": "X", "author": 987654, "tags": [tag, 876543]})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "type": "does_not_exist",
                "loc": ["body", "author"],
                "msg": 'Invalid pk "987654" - object does not exist.',
                "input": 987654,
            },
            {
                "type": "does_not_exist",
                "loc": ["body", "tags", 1],
                "msg": 'Invalid pk "876543" - object does not exist.',
                "input": 876543,
            },
        ]
    }


def test_bad_bodies_are_422_with_every_error(http: httpx.Client) -> None:
    r = http.post("/books", json={"title": 5, "status": "lost", "pages": -1})
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert ["body", "title"] in locs
    assert ["body", "status"] in locs
    assert ["body", "pages"] in locs
    assert ["body", "author"] in locs  # missing
    r = http.post("/books", json={"title": "   ", "author": 1})
    assert (r.status_code, r.json()["detail"]) == (
        422,
        [{"type": "value_error", "loc": ["body", "title"], "msg": "title must not be blank"}],
    )
    r = http.post("/books", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"


def test_write_only_fields_and_model_validator(http: httpx.Client) -> None:
    body = {
        "username": "ada",
        "email": "ada@example.com",
        "password": "correct horse",
        "password_confirm": "correct horse",
    }
    r = http.post("/signup", json=body)
    assert (r.status_code, r.json()) == (201, {"username": "ada", "email": "ada@example.com"})
    r = http.post("/signup", json={**body, "password_confirm": "other"})
    assert (r.status_code, r.json()["detail"]) == (
        422,
        [{"type": "value_error", "loc": ["body"], "msg": "passwords do not match"}],
    )
    r = http.post("/signup", json={**body, "email": "not-an-email", "password": "short"})
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [
        ("body", "email"),
        ("body", "password"),
    ]


def test_model_viewset_with_serializers(http: httpx.Client) -> None:
    author, (a, b) = _setup(http, "Octavia Butler", ["kindred", "parable"])
    r = http.post("/vs/books", json={"title": "Kindred", "author": author, "tags": [a]})
    assert r.status_code == 201, r.text
    book = r.json()
    assert (book["author"], book["tags"]) == (author, [a])
    r = http.patch(f"/vs/books/{book['id']}", json={"tags": [a, b]})
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["tags"]) == ("Kindred", [a, b])
    r = http.patch(f"/vs/books/{book['id']}", json={"author": 555555})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "author"]
    _queries(http)
    listing = http.get("/vs/books").json()
    assert _queries(http) == 2
    assert any(row["id"] == book["id"] and row["tag_count"] == 2 for row in listing)
    r = http.get(f"/vs/books/{book['id']}")
    assert r.json()["tags"] == [a, b]


def test_paged_viewset_list_uses_the_loading_plan(http: httpx.Client) -> None:
    author, tags = _setup(http, "Stanislaw Lem", ["solaris", "robots"])
    for n in range(3):
        http.post("/books", json={"title": f"Lem {n}", "author": author, "tags": tags})
    _queries(http)
    page = http.get("/paged/books", params={"page": 2}).json()
    assert _queries(http) == 3  # the count, the page joined to its authors, the page's tags
    assert (page["page"], page["page_size"], len(page["items"])) == (2, 2, 2)
    first = page["items"][0]
    assert set(first) == {"id", "title", "status", "author", "tags", "author_name", "tag_count"}
    assert isinstance(first["author"], dict)
    r = http.get("/paged/books", params={"author": "stanislaw lem", "ordering": "-title"})
    assert r.status_code == 200, r.text
    filtered = r.json()
    assert (filtered["total"], [i["title"] for i in filtered["items"]]) == (3, ["Lem 2", "Lem 1"])
    r = http.get("/paged/books", params={"ordering": "secret"})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["query", "ordering"])


def test_openapi_shows_input_and_output_shapes(http: httpx.Client) -> None:
    doc = http.get("/docs/openapi.json").json()
    schemas = doc["components"]["schemas"]
    post = doc["paths"]["/books"]["post"]
    request_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    request = schemas[request_ref.rsplit("/", 1)[1]]
    response = schemas[response_ref.rsplit("/", 1)[1]]
    assert "id" not in request["properties"] and "created" not in request["properties"]
    assert request["required"] == ["title", "author"]
    assert request["properties"]["status"]["enum"] == ["draft", "published"]
    assert request["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "integer"},
        "default": [],
    }
    assert set(response["required"]) == set(response["properties"]) >= {"id", "created"}
    signup = doc["paths"]["/signup"]["post"]
    signup_in = signup["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    signup_out = signup["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "password" in schemas[signup_in.rsplit("/", 1)[1]]["properties"]
    assert "password" not in schemas[signup_out.rsplit("/", 1)[1]]["properties"]
    detail = doc["paths"]["/books/{book_id}"]["get"]["responses"]["200"]["content"]
    detail_schema = schemas[detail["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert detail_schema["properties"]["tag_count"] == {"type": "integer"}
