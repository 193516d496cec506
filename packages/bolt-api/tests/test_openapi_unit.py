"""The OpenAPI generator and the docs routes, without any engine or socket."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import msgspec
import pytest
import yaml
from bolt_api import (
    HTML,
    Body,
    BoltAPI,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    OpenAPIConfig,
    Path,
    PlainText,
    Query,
    Redirect,
    Response,
    Router,
)
from bolt_api.datastructures import UploadFile
from bolt_api.errors import problem_details
from bolt_api.openapi import (
    Components,
    Contact,
    License,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    Server,
    SwaggerRenderPlugin,
    Tag,
    build_openapi_schema,
)
from bolt_api.openapi.assets import (
    RAPIDOC,
    REDOC,
    SCALAR,
    STOPLIGHT,
    SWAGGER_UI,
    AssetBundle,
    content_type,
)
from bolt_api.openapi.plugins import OpenAPIRenderPlugin, RenderContext
from bolt_api.openapi.views import DocsSite
from bolt_api_fakes import FakeRequest
from openapi_spec_validator import validate


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Filters(msgspec.Struct):
    status: str
    limit: int = 10


def spec_of(api: BoltAPI) -> dict[str, Any]:
    spec = build_openapi_schema(api)
    validate(spec)
    return spec


def op(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    result: dict[str, Any] = spec["paths"][path][method]
    return result


def param(spec: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    return next(p for p in op(spec, method, path)["parameters"] if p["name"] == name)


# --- parameters -------------------------------------------------------------------------------


def test_constraints_map_to_json_schema() -> None:
    api = BoltAPI()

    @api.get("/n")
    def numbers(
        a: Annotated[int, Query(gt=1, lt=10)],
        b: Annotated[float, Query(ge=0.5, le=2.5)] = 1.0,
        c: Annotated[int, Query(multiple_of=3)] = 3,
        s: Annotated[str, Query(min_length=2, max_length=5, pattern="^[a-z]+$")] = "ab",
        many: Annotated[list[int], Query(min_length=1, max_length=4)] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {}

    spec = spec_of(api)
    assert param(spec, "get", "/n", "a") == {
        "name": "a",
        "in": "query",
        "required": True,
        "schema": {
            "type": "integer",
            "format": "int64",
            "exclusiveMinimum": 1,
            "exclusiveMaximum": 10,
        },
    }
    assert param(spec, "get", "/n", "b")["schema"] == {
        "type": "number",
        "minimum": 0.5,
        "maximum": 2.5,
        "default": 1.0,
    }
    assert param(spec, "get", "/n", "c")["schema"] == {
        "type": "integer",
        "format": "int64",
        "multipleOf": 3,
        "default": 3,
    }
    assert param(spec, "get", "/n", "s")["schema"] == {
        "type": "string",
        "minLength": 2,
        "maxLength": 5,
        "pattern": "^[a-z]+$",
        "default": "ab",
    }
    assert param(spec, "get", "/n", "many")["schema"] == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "maxItems": 4,
    }


def test_marker_metadata_alias_and_sources() -> None:
    api = BoltAPI()

    @api.get("/p/{item_id}")
    def meta(
        item_id: Annotated[int, Path(ge=1, description="The id")],
        q: Annotated[
            str | None,
            Query(alias="search-term", description="Text", example="lamp", deprecated=True),
        ] = None,
        x_request_id: Annotated[str, Header()] = "none",
        token: Annotated[str, Header(alias="X-Token")] = "",
        session: Annotated[str | None, Cookie()] = None,
    ) -> dict[str, Any]:
        return {}

    spec = spec_of(api)
    assert param(spec, "get", "/p/{item_id}", "item_id") == {
        "name": "item_id",
        "in": "path",
        "required": True,
        "description": "The id",
        "schema": {"type": "integer", "format": "int64", "minimum": 1},
    }
    assert param(spec, "get", "/p/{item_id}", "search-term") == {
        "name": "search-term",
        "in": "query",
        "required": False,
        "description": "Text",
        "deprecated": True,
        "example": "lamp",
        "schema": {"type": "string"},
    }
    assert param(spec, "get", "/p/{item_id}", "x-request-id")["in"] == "header"
    assert param(spec, "get", "/p/{item_id}", "x-token")["schema"] == {
        "type": "string",
        "default": "",
    }
    assert param(spec, "get", "/p/{item_id}", "session")["in"] == "cookie"


def current_user(x_user: Annotated[str, Header()], page: int = 1) -> str:
    return x_user


def test_group_parameters_and_dependencies_are_expanded() -> None:
    api = BoltAPI()

    @api.get("/g")
    def grouped(
        filters: Annotated[Filters, Query()], user: Annotated[str, Depends(current_user)]
    ) -> dict[str, Any]:
        return {}

    spec = spec_of(api)
    got = {p["name"]: p for p in op(spec, "get", "/g")["parameters"]}
    assert set(got) == {"status", "limit", "x-user", "page"}
    assert got["status"]["required"] is True
    assert got["limit"]["schema"] == {"type": "integer", "format": "int64", "default": 10}
    assert got["x-user"]["in"] == "header"
    assert "422" in op(spec, "get", "/g")["responses"]


def test_path_catch_all_and_unbound_path_parameters() -> None:
    api = BoltAPI()

    @api.get("/files/{rest:path}")
    def files(rest: str) -> dict[str, str]:
        return {}

    @api.post("/raw/{kind}")
    def raw(request: Any) -> dict[str, str]:
        return {}

    spec = spec_of(api)
    assert param(spec, "get", "/files/{rest}", "rest")["schema"] == {
        "type": "string",
        "minLength": 1,
    }
    assert param(spec, "post", "/raw/{kind}", "kind")["required"] is True
    assert "422" not in op(spec, "post", "/raw/{kind}")["responses"]


# --- bodies -----------------------------------------------------------------------------------


def test_json_bodies() -> None:
    api = BoltAPI()

    @api.post("/struct")
    def struct_body(item: Item) -> Item:
        return item

    @api.post("/dataclass")
    def dataclass_body(point: Point) -> dict[str, int]:
        return {}

    @api.post("/embed")
    def embedded(
        name: Annotated[str, Body(embed=True)], count: Annotated[int, Body(embed=True)] = 1
    ) -> dict[str, Any]:
        return {}

    @api.post("/optional")
    def optional(item: Item | None = None) -> dict[str, Any]:
        return {}

    spec = spec_of(api)
    assert op(spec, "post", "/struct")["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
    }
    assert op(spec, "post", "/dataclass")["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Point"}
    assert spec["components"]["schemas"]["Point"]["required"] == ["x"]
    embed = op(spec, "post", "/embed")["requestBody"]
    assert embed["content"]["application/json"]["schema"] == {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "count": {"type": "integer", "default": 1}},
    }
    assert op(spec, "post", "/optional")["requestBody"]["required"] is False


def test_form_and_file_bodies() -> None:
    api = BoltAPI()

    @api.post("/form")
    def form(
        name: Annotated[str, Form(max_length=10)], age: Annotated[int, Form()] = 0
    ) -> dict[str, Any]:
        return {}

    @api.post("/upload")
    def upload(
        doc: Annotated[UploadFile, File(allowed_types=["text/plain"])],
        more: Annotated[list[UploadFile], File()],
        note: Annotated[str, Form()] = "",
    ) -> dict[str, Any]:
        return {}

    spec = spec_of(api)
    content = op(spec, "post", "/form")["requestBody"]["content"]
    assert set(content) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    schema = content["multipart/form-data"]["schema"]
    assert schema["properties"]["name"] == {"type": "string", "maxLength": 10}
    assert schema["required"] == ["name"]
    upload_body = op(spec, "post", "/upload")["requestBody"]["content"]
    assert list(upload_body) == ["multipart/form-data"]
    multipart = upload_body["multipart/form-data"]
    assert multipart["schema"]["properties"]["doc"] == {"type": "string", "format": "binary"}
    assert multipart["schema"]["properties"]["more"]["type"] == "array"
    assert multipart["encoding"] == {"doc": {"contentType": "text/plain"}}


# --- responses --------------------------------------------------------------------------------


def test_responses_from_return_types() -> None:
    api = BoltAPI()

    @api.post("/items", status_code=201)
    def create(item: Item) -> Item:
        return item

    @api.delete("/items/{item_id}", status_code=204)
    def remove(item_id: int) -> None:
        return None

    @api.get("/text")
    def text() -> str:
        return ""

    @api.get("/bytes")
    def raw() -> bytes:
        return b""

    @api.get("/html")
    def page() -> HTML:
        return HTML("")

    @api.get("/plain")
    def plain() -> PlainText:
        return PlainText("")

    @api.get("/redirect")
    def go() -> Redirect:
        return Redirect("/")

    @api.get("/response")
    def any_response() -> Response:
        return Response(b"")

    @api.get("/model", response_model=list[Item])
    def model() -> Any:
        return []

    @api.get("/untyped")
    def untyped():  # type: ignore[no-untyped-def]
        return {}

    @api.get("/none")
    def nothing() -> None:
        return None

    spec = spec_of(api)
    created = op(spec, "post", "/items")["responses"]
    assert list(created) == ["201", "422"]
    assert created["201"] == {
        "description": "Created",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
    }
    assert op(spec, "delete", "/items/{item_id}")["responses"]["204"] == {
        "description": "No Content"
    }

    def content(path: str) -> Any:
        return op(spec, "get", path)["responses"]["200"].get("content")

    assert content("/text") == {"text/plain": {"schema": {"type": "string"}}}
    assert content("/bytes") == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    assert content("/html") == {"text/html": {}}
    assert content("/plain") == {"text/plain": {}}
    assert content("/redirect") is None
    assert content("/response") is None
    assert content("/model") == {
        "application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
        }
    }
    assert content("/untyped") == {"application/json": {"schema": {}}}
    assert content("/none") == {"application/json": {"schema": {"type": "null"}}}
    assert "422" not in op(spec, "get", "/text")["responses"]


def test_validation_error_components() -> None:
    api = BoltAPI()

    @api.get("/q")
    def q(n: int) -> dict[str, int]:
        return {}

    spec = spec_of(api)
    schemas = spec["components"]["schemas"]
    assert op(spec, "get", "/q")["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    assert schemas["ValidationError"]["required"] == ["type", "loc", "msg"]
    assert set(schemas["ValidationError"]["properties"]) == {"type", "loc", "msg", "input", "ctx"}

    quiet = BoltAPI(openapi_config=OpenAPIConfig(include_error_responses=False))
    quiet.get("/q")(q)
    spec = spec_of(quiet)
    assert list(op(spec, "get", "/q")["responses"]) == ["200"]
    assert "components" not in spec


def test_validation_errors_follow_the_error_formatter() -> None:
    def q(n: int) -> dict[str, int]:
        return {}

    problems = BoltAPI(error_formatter=problem_details)
    problems.get("/q")(q)
    spec = spec_of(problems)
    assert op(spec, "get", "/q")["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    }
    assert set(spec["components"]["schemas"]) == {"ProblemDetails", "ValidationError"}

    custom = BoltAPI(error_formatter=lambda error, request: Response(b"", 400))
    custom.get("/q")(q)
    spec = spec_of(custom)
    assert op(spec, "get", "/q")["responses"]["422"] == {"description": "Validation Error"}


def test_same_named_structs_get_distinct_components() -> None:
    other = type(
        "Item", (msgspec.Struct,), {"__annotations__": {"sku": str}, "__module__": "elsewhere"}
    )
    api = BoltAPI()

    @api.get("/a")
    def a() -> Item:
        return Item("x", 1.0)

    @api.get("/b", response_model=other)
    def b() -> Any:
        return {}

    spec = spec_of(api)
    refs = {
        op(spec, "get", p)["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for p in ("/a", "/b")
    }
    assert len(refs) == 2
    assert len(spec["components"]["schemas"]) == 2


# --- operations -------------------------------------------------------------------------------


def test_operation_ids_tags_summaries_and_descriptions() -> None:
    api = BoltAPI()
    router = Router(prefix="/v1", tags=["v1"])

    def list_things() -> list[int]:
        """List the things.

        Longer text.
        """
        return []

    api.get("/things")(list_things)
    api.get("/other-things")(list_things)

    @router.get("/ping", summary="Ping it", description="Explicit.")
    def ping() -> dict[str, str]:
        """Not used: description= wins."""
        return {}

    api.include_router(router)

    @api.head("/h")
    def head_only() -> Response:
        return Response(b"")

    spec = spec_of(api)
    first, second = op(spec, "get", "/things"), op(spec, "get", "/other-things")
    assert (first["operationId"], second["operationId"]) == ("get_list_things", "get_list_things_2")
    assert first["summary"] == "List Things"
    assert first["description"] == "List the things.\n\nLonger text."
    assert first["tags"] == ["Test_openapi_unit"]
    ping_op = op(spec, "get", "/v1/ping")
    assert (ping_op["summary"], ping_op["description"], ping_op["tags"]) == (
        "Ping it",
        "Explicit.",
        ["v1"],
    )
    # Automatic HEAD routes are not operations; explicit ones are.
    assert set(spec["paths"]["/things"]) == {"get"}
    assert set(spec["paths"]["/h"]) == {"head"}
    assert [t["name"] for t in spec["tags"]] == ["Test_openapi_unit", "v1"]

    plain = BoltAPI(openapi_config=OpenAPIConfig(use_handler_docstrings=False))
    plain.get("/things")(list_things)
    assert "description" not in op(spec_of(plain), "get", "/things")


def test_excluded_paths_and_include_in_schema() -> None:
    api = BoltAPI(openapi_config=OpenAPIConfig(exclude_paths=["/internal"]))

    @api.get("/internal/stats")
    def stats() -> dict[str, int]:
        return {}

    @api.get("/internals")
    def internals() -> dict[str, int]:
        return {}

    @api.get("/docs-like")
    def docs_like() -> dict[str, int]:
        return {}

    assert set(spec_of(api)["paths"]) == {"/internals", "/docs-like"}


def test_document_level_config() -> None:
    config = OpenAPIConfig(
        title="Shop",
        version="2.1",
        description="The shop.",
        summary="Shop API",
        contact=Contact(name="Ann", email="ann@example.com"),
        license=License(name="MIT", identifier="MIT"),
        terms_of_service="https://x.test/tos",
        servers=[Server(url="https://api.example.com", description="prod")],
        tags=[Tag(name="items", description="Items")],
        components=Components(
            security_schemes={"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
        ),
        security=[{"key": []}],
    )
    api = BoltAPI(openapi_config=config)

    @api.get("/")
    def root() -> dict[str, str]:
        return {}

    spec = spec_of(api)
    assert spec["info"] == {
        "title": "Shop",
        "version": "2.1",
        "summary": "Shop API",
        "description": "The shop.",
        "termsOfService": "https://x.test/tos",
        "contact": {"name": "Ann", "email": "ann@example.com"},
        "license": {"name": "MIT", "identifier": "MIT"},
    }
    assert spec["servers"] == [{"url": "https://api.example.com", "description": "prod"}]
    assert spec["tags"] == [{"name": "items", "description": "Items"}]
    assert spec["security"] == [{"key": []}]
    assert spec["components"]["securitySchemes"]["key"]["name"] == "X-Key"


def test_default_config() -> None:
    config = BoltAPI().openapi_config
    assert (config.path, config.version, config.enabled) == ("/docs", "1.0.0", True)
    assert config.resolved_title() == "API"
    assert OpenAPIConfig(path="/api-docs/").path == "/api-docs"
    with pytest.raises(ValueError, match="must start with '/'"):
        OpenAPIConfig(path="docs")


def test_query_method_makes_it_openapi_3_2() -> None:
    api = BoltAPI()

    @api.route("/search", ["QUERY"])
    def search(body: Item) -> dict[str, str]:
        return {}

    spec = spec_of(api)
    assert spec["openapi"] == "3.2.0"
    assert op(spec, "query", "/search")["operationId"] == "query_search"


# --- docs routes ------------------------------------------------------------------------------


def _docs_routes(api: BoltAPI) -> dict[tuple[str, str], Any]:
    return {
        (r.method, r.path): r for r in api.compile().routes if r.name.startswith("bolt_api.openapi")
    }


def test_docs_routes_are_added_by_compile() -> None:
    api = BoltAPI()

    @api.get("/")
    def root() -> dict[str, str]:
        return {}

    routes = _docs_routes(api)
    paths = {path for _, path in routes}
    assert paths == {
        "/docs",
        "/docs/swagger",
        "/docs/redoc",
        "/docs/scalar",
        "/docs/rapidoc",
        "/docs/stoplight",
        "/docs/openapi.json",
        "/docs/openapi.yaml",
        "/docs/openapi.yml",
        "/docs/static/{*rest}",
    }
    assert {m for m, _ in routes} == {"GET", "HEAD"}
    assert len(api.routes) == 1  # the docs are not API routes

    status, headers, body = routes[("GET", "/docs/openapi.json")].call(FakeRequest())
    assert status == 200
    assert dict(headers)["content-type"] == "application/vnd.oai.openapi+json"
    spec = msgspec.json.decode(body)
    assert list(spec["paths"]) == ["/"]
    status, headers, body = routes[("GET", "/docs/openapi.yaml")].call(FakeRequest())
    assert yaml.safe_load(body) == spec
    status, headers, body = routes[("GET", "/docs")].call(FakeRequest())
    assert (status, dict(headers)["content-type"]) == (200, "text/html; charset=utf-8")
    assert b"/docs/static/swagger-ui/swagger-ui-bundle.js" in body


def test_static_route_serves_only_known_files() -> None:
    routes = _docs_routes(BoltAPI())
    static = routes[("GET", "/docs/static/{*rest}")].call
    status, headers, body = static(FakeRequest(params={"rest": "swagger-ui/swagger-ui.css"}))
    assert status == 200
    assert dict(headers)["content-type"] == "text/css; charset=utf-8"
    assert body == SWAGGER_UI.files()["swagger-ui.css"].read_bytes()
    for bad in ("swagger-ui/../../pyproject.toml", "nope.js", "", "swagger-ui"):
        status, _, body = static(FakeRequest(params={"rest": bad}))
        assert status == 404, bad
        assert msgspec.json.decode(body) == {"detail": "Not Found"}


def test_user_routes_win_and_docs_can_be_moved_or_disabled() -> None:
    api = BoltAPI(openapi_config=OpenAPIConfig(path="/api/docs"))

    @api.get("/api/docs/redoc")
    def mine() -> dict[str, str]:
        return {}

    routes = _docs_routes(api)
    assert ("GET", "/api/docs/redoc") not in routes
    assert ("GET", "/api/docs/openapi.json") in routes
    assert not _docs_routes(BoltAPI(openapi_config=OpenAPIConfig(enabled=False)))


def test_custom_plugins_and_first_ui_at_the_root() -> None:
    config = OpenAPIConfig(
        render_plugins=[
            RedocRenderPlugin(path="/read"),
            SwaggerRenderPlugin(
                js_url="https://cdn.test/s.js",
                css_url="https://cdn.test/s.css",
                standalone_preset_js_url="https://cdn.test/p.js",
            ),
        ]
    )
    api = BoltAPI(openapi_config=config)
    routes = _docs_routes(api)
    root = routes[("GET", "/docs")].call(FakeRequest())[2]
    assert b'<redoc spec-url="/docs/openapi.json"' in root
    swagger = routes[("GET", "/docs/swagger")].call(FakeRequest())[2]
    assert b"https://cdn.test/s.js" in swagger
    assert b"/docs/static" not in swagger


def test_merge_keeps_the_first_config() -> None:
    first = BoltAPI(openapi_config=OpenAPIConfig(title="First"))
    second = BoltAPI(openapi_config=OpenAPIConfig(title="Second"))
    assert BoltAPI.merge([first, second]).openapi_config.title == "First"


def test_schema_is_built_once() -> None:
    api = BoltAPI()
    site = DocsSite(api, api.openapi_config)
    assert site.schema() is site.schema()


# --- plugins and assets -----------------------------------------------------------------------


def context() -> RenderContext:
    return RenderContext(
        title="T <&>",
        openapi_url="/docs/openapi.json",
        static_url="/docs/static",
        schema=lambda: {},
    )


def test_pages_escape_and_load_local_files() -> None:
    swagger = SwaggerRenderPlugin(options={"docExpansion": "none"}).render(context())
    assert "<title>T &lt;&amp;&gt;</title>" in swagger
    assert '"docExpansion": "none"' in swagger
    assert '"validatorUrl": null' in swagger
    scalar = ScalarRenderPlugin().render(context())
    assert 'src="/docs/static/scalar/scalar.standalone.js"' in scalar
    assert "withDefaultFonts" in scalar
    for page in (swagger, scalar, RedocRenderPlugin().render(context())):
        assert "https://" not in page


def test_ui_files_come_from_installed_packages() -> None:
    for bundle in (SWAGGER_UI, REDOC, SCALAR, RAPIDOC, STOPLIGHT):
        assert bundle.available, bundle.name
        assert bundle.provider() is not None
        for path in bundle.files().values():
            assert path.is_file()
    assert content_type("a.js") == "text/javascript; charset=utf-8"
    assert content_type("a.css") == "text/css; charset=utf-8"
    assert content_type("a.bin") == "application/octet-stream"


def test_missing_ui_files_give_a_clear_501() -> None:
    class Missing(OpenAPIRenderPlugin):
        bundle = AssetBundle(
            "ghost",
            providers=(("no_such_package_xyz", "dist"),),
            required=("ghost.js",),
            install_hint="pip install ghost",
        )

        def render(self, context: RenderContext) -> str:
            raise AssertionError("not rendered")

    plugin = Missing(path="/ghost")
    message = plugin.missing_assets()
    assert message is not None and "pip install ghost" in message
    api = BoltAPI(openapi_config=OpenAPIConfig(render_plugins=[plugin]))
    status, _, body = _docs_routes(api)[("GET", "/docs/ghost")].call(FakeRequest())
    assert status == 501
    assert b"pip install ghost" in body
