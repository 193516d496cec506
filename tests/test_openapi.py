"""OpenAPI 3.1 over real HTTP: the document, its YAML twin, the UI pages and their local files.

The document must validate with ``openapi-spec-validator`` and describe the catalog's
operations; every asset a docs page references must be served by the same server (no CDN);
and schemathesis, run against the served document, must find no server error and no response
that contradicts the document.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from .conftest import Server, start_server

PAGES = {
    "/docs": "swagger-ui",
    "/docs/swagger": "swagger-ui",
    "/docs/redoc": "redoc",
    "/docs/scalar": "scalar",
    "/docs/rapidoc": "rapidoc",
    "/docs/stoplight": "elements",
}
ASSET = re.compile(r'(?:src|href)="(/docs/static/[^"]+)"')
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


@pytest.fixture
def spec(client: httpx.Client) -> dict[str, Any]:
    r = client.get("/docs/openapi.json")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path][method]
    return op


def params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in op.get("parameters", [])}


def test_document_is_served_and_valid(client: httpx.Client, spec: dict[str, Any]) -> None:
    r = client.get("/docs/openapi.json")
    assert r.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert spec["openapi"] == "3.1.0"
    assert spec["info"] == {"title": "API", "version": "1.0.0"}
    validate(spec)


def test_yaml_is_the_same_document(client: httpx.Client, spec: dict[str, Any]) -> None:
    for path in ("/docs/openapi.yaml", "/docs/openapi.yml"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/yaml; charset=utf-8"
        assert yaml.safe_load(r.text) == spec


def test_paths_and_operation_ids(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert operation(spec, "get", "/items/{item_id}")["operationId"] == "get_get_item"
    assert operation(spec, "post", "/items")["operationId"] == "post_create_item"
    assert operation(spec, "get", "/files/{rest}")["operationId"] == "get_get_file"
    assert operation(spec, "get", "/typed/{item_id}")["operationId"] == "get_typed"
    assert operation(spec, "get", "/api/v1/nested/{thing_id}")["tags"] == ["v1"]
    # Automatic HEAD routes are not operations; an explicit one is.
    assert "head" not in paths["/items/{item_id}"]
    assert operation(spec, "head", "/explicit-head")["operationId"] == "head_explicit_head"
    # The docs themselves are not described.
    assert not [p for p in paths if p.startswith("/docs")]
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_tags_summary_description(spec: dict[str, Any]) -> None:
    op = operation(spec, "get", "/items/{item_id}")
    assert op["tags"] == ["Params"]  # none given: its module, tests/apps/catalog/params.py
    assert op["summary"] == "Get Item"
    assert op["description"] == (
        "Read one item by its id.\n\nThe docstring is the operation's "
        "description in the OpenAPI document."
    )
    listed = operation(spec, "get", "/list")
    assert listed["summary"] == "A list of numbers"
    assert listed["tags"] == ["responses"]
    assert "description" not in listed
    assert {"name": "Params"} in spec["tags"]


def test_path_and_query_parameters(spec: dict[str, Any]) -> None:
    got = params(operation(spec, "get", "/items/{item_id}"))
    assert got["item_id"] == {
        "name": "item_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "format": "int64"},
    }
    assert got["q"] == {"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}
    search = params(operation(spec, "get", "/search"))
    assert search["q"]["required"] is True
    assert search["size"]["schema"] == {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 100,
        "default": 10,
    }
    assert search["exact"]["schema"] == {"type": "boolean", "default": False}
    assert search["price"]["schema"] == {"type": "number"}
    aliased = params(operation(spec, "get", "/aliased"))
    assert aliased["item-query"]["schema"] == {"type": "string", "maxLength": 5, "default": "none"}
    assert params(operation(spec, "get", "/uuid/{uid}"))["uid"]["schema"] == {
        "type": "string",
        "format": "uuid",
    }
    assert params(operation(spec, "get", "/str/{name}"))["name"]["schema"] == {
        "type": "string",
        "minLength": 1,
    }
    # A handler reading request.path_params itself still declares the template's parameter.
    assert params(operation(spec, "post", "/echo/{kind}"))["kind"]["required"] is True


def test_header_and_cookie_parameters(spec: dict[str, Any]) -> None:
    got = params(operation(spec, "get", "/headers"))
    assert got["x-token"] == {
        "name": "x-token",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    }
    assert got["x-count"]["in"] == "header"
    assert got["x-count"]["schema"] == {"type": "integer", "format": "int64", "default": 0}
    assert got["session"] == {
        "name": "session",
        "in": "cookie",
        "required": False,
        "schema": {"type": "string"},
    }


def test_request_bodies_and_components(spec: dict[str, Any]) -> None:
    body = operation(spec, "post", "/items")["requestBody"]
    assert body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
    }
    item = spec["components"]["schemas"]["Item"]
    assert item["properties"]["price"] == {"type": "number"}
    assert item["required"] == ["name", "price"]
    order = spec["components"]["schemas"]["Order"]
    assert order["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Item"}
    assert "requestBody" not in operation(spec, "get", "/items/{item_id}")


def test_responses(spec: dict[str, Any]) -> None:
    created = operation(spec, "post", "/items")["responses"]
    assert created["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    assert created["422"]["content"]["application/json"]["schema"] == VALIDATION_REF
    assert operation(spec, "delete", "/items/{item_id}")["responses"]["204"] == {
        "description": "No Content"
    }
    assert operation(spec, "get", "/text")["responses"]["200"]["content"] == {
        "text/plain": {"schema": {"type": "string"}}
    }
    assert list(operation(spec, "get", "/bytes")["responses"]["200"]["content"]) == [
        "application/octet-stream"
    ]
    assert operation(spec, "get", "/html-class")["responses"]["200"]["content"] == {"text/html": {}}
    assert "content" not in operation(spec, "get", "/redirect")["responses"]["200"]
    assert list(operation(spec, "get", "/custom-status")["responses"]) == ["202"]
    assert operation(spec, "get", "/list")["responses"]["200"]["content"] == {
        "application/json": {"schema": {"type": "array", "items": {"type": "integer"}}}
    }
    # response_model wins over the return annotation.
    assert operation(spec, "get", "/model-coerce")["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/Item"}
    # No parameters, no 422.
    assert list(operation(spec, "get", "/")["responses"]) == ["200"]


def test_validation_error_schema(spec: dict[str, Any], client: httpx.Client) -> None:
    schemas = spec["components"]["schemas"]
    error = schemas["ValidationError"]
    assert error["required"] == ["type", "loc", "msg"]
    assert set(error["properties"]) == {"type", "loc", "msg", "input", "ctx"}
    assert schemas["HTTPValidationError"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    # What the server really answers has that shape.
    body = client.get("/search", params={"size": "0"}).json()
    assert {"type", "loc", "msg"} <= set(body["detail"][0])


def test_html_pages_and_their_assets(client: httpx.Client) -> None:
    for page, ui in PAGES.items():
        r = client.get(page)
        assert r.status_code == 200, (page, r.text)
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "/docs/openapi.json" in r.text
        assert "http://" not in r.text and "https://" not in r.text, page
        assets = ASSET.findall(r.text)
        assert any(a.startswith(f"/docs/static/{ui}/") and a.endswith(".js") for a in assets)
        for url in assets:
            got = client.get(url)
            assert got.status_code == 200, url
            assert len(got.content) > 500, url
            expected = {
                ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8",
                ".png": "image/png",
            }
            assert got.headers["content-type"] == expected[Path(url).suffix], url
            assert "max-age" in got.headers["cache-control"]


def test_head_on_docs_routes(client: httpx.Client) -> None:
    r = client.head("/docs")
    assert r.status_code == 200
    assert r.content == b""
    r = client.head("/docs/static/swagger-ui/swagger-ui.css")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"


def test_unknown_static_file_is_404(client: httpx.Client) -> None:
    for path in (
        "/docs/static/nope.js",
        "/docs/static/swagger-ui/../../../etc/passwd",
        "/docs/static/swagger-ui/%2e%2e/%2e%2e/pyproject.toml",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "Not Found"}


# --- schemathesis -------------------------------------------------------------------------

#: Operations that answer 500 (or never answer) on purpose: they test the error paths.
DELIBERATE = {
    "/crash": "raises RuntimeError",
    "/crash-async": "raises RuntimeError",
    "/bad-model": "returns data that fails its response_model",
    "/bad-header": "returns a header with CR/LF in it",
    "/deps/session": "raises RuntimeError when fail=true",
    "/sleep": "sleeps for as many milliseconds as asked",
    "/lifecycle/slow": "sleeps for as many milliseconds as asked",
    "/stream/async": "streams as many chunks as asked",
    "/stream/endless": "streams until the client goes away",
    "/stream/driven": "fails midway when fail=true (the connection is cut)",
}


def _schemathesis() -> list[str]:
    for name in ("schemathesis", "st"):
        sibling = Path(sys.executable).with_name(name)
        if sibling.exists():
            return [str(sibling)]
    found = shutil.which("schemathesis")
    if found is None:
        pytest.fail("schemathesis is not installed (it is in noxfile.py's TEST_DEPS)")
    return [found]


@pytest.fixture(scope="module")
def fuzz_server(engine: str) -> Iterator[Server]:
    """A catalog server of its own: schemathesis must not disturb the shared one's state."""
    srv = start_server(
        ["-m", "bolt_api", "serve", "tests.apps.catalog:api", "--engine", engine, "--port", "0"],
        engine,
    )
    yield srv
    srv.stop()


def run_schemathesis(server: Server, cwd: Path, exclude: Iterable[str] = ()) -> str:
    """Fuzz ``server`` from its own document; fail on a 500 or a response off the schema."""
    command = [
        *_schemathesis(),
        "run",
        f"{server.url}/docs/openapi.json",
        "--url",
        server.url,
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "20",
        "--seed",
        "20261121",
        "--workers",
        "1",
        "--request-timeout",
        "3",
        "--max-redirects",
        "0",
    ]
    for path in exclude:
        command += ["--exclude-path", path]
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Server error" not in output
    assert server.alive(), server.stop()
    return output


def test_schemathesis_finds_no_errors(fuzz_server: Server, tmp_path: Path) -> None:
    output = run_schemathesis(fuzz_server, tmp_path, DELIBERATE)
    counts = re.search(r"(\d+) selected / (\d+) total", output)
    assert counts is not None, output[-3000:]
    assert int(counts[1]) == int(counts[2]) - len(DELIBERATE)  # every other operation ran
