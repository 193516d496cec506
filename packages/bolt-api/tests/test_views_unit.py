"""Class-based views and pagination without a server: registration decisions, and routes
called directly with a fake request — over plain lists and a fake async QuerySet (the duck
type Django's QuerySet satisfies), so Django is not needed here."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Annotated, Any, ClassVar

import bolt_api
import msgspec
import pytest
from bolt_api import (
    APIView,
    BoltAPI,
    CursorPagination,
    Depends,
    LimitOffsetPagination,
    ModelViewSet,
    PageNumberPagination,
    PaginatedResponse,
    Query,
    ReadOnlyModelViewSet,
    RequestValidationError,
    Router,
    ViewSet,
    action,
    paginate,
)
from bolt_api._view_routes import partial_struct
from bolt_api.exceptions import NotFound
from bolt_api_fakes import FakeRequest, compiled_call

JSON = {"content-type": "application/json"}


def call(api: BoltAPI, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    """Call the route registered for ``method path`` (its template); decode a JSON body."""
    result = compiled_call(api, method, path)(FakeRequest(method, path, headers=dict(JSON), **kw))
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    status, _headers, body = result
    return status, msgspec.json.decode(body) if body else None


# --- a fake async QuerySet ---------------------------------------------------------------------


class Thing:
    DoesNotExist = type("DoesNotExist", (Exception,), {})
    table: ClassVar[list[Thing]] = []

    def __init__(self, name: str, size: int = 1, id: int | None = None) -> None:
        self.id, self.name, self.size = id, name, size

    @property
    def pk(self) -> int | None:
        return self.id

    async def asave(self) -> None:
        if self.id is None:
            self.id = max((t.id or 0 for t in Thing.table), default=0) + 1
            Thing.table.append(self)

    async def adelete(self) -> None:
        Thing.table.remove(self)


class FakeQuerySet:
    model = Thing

    def __init__(self, rows: list[Thing] | None = None) -> None:
        self._rows = rows

    def _list(self) -> list[Thing]:
        return list(Thing.table if self._rows is None else self._rows)

    def all(self) -> FakeQuerySet:
        return FakeQuerySet(self._rows)

    def __getitem__(self, s: slice) -> FakeQuerySet:
        return FakeQuerySet(self._list()[s])

    async def acount(self) -> int:
        return len(self._list())

    async def __aiter__(self) -> AsyncIterator[Thing]:
        for row in self._list():
            yield row

    async def aget(self, **lookup: Any) -> Thing:
        wanted = {("id" if k == "pk" else k): v for k, v in lookup.items()}
        if "id" in wanted:
            wanted["id"] = int(wanted["id"])  # ValueError for "abc", as Django raises
        for row in self._list():
            if all(getattr(row, k) == v for k, v in wanted.items()):
                return row
        raise Thing.DoesNotExist()

    def order_by(self, field: str) -> FakeQuerySet:
        name = field.lstrip("-")
        rows = sorted(self._list(), key=lambda r: getattr(r, name), reverse=field.startswith("-"))
        return FakeQuerySet(rows)

    def filter(self, **lookup: Any) -> FakeQuerySet:
        rows = self._list()
        for key, value in lookup.items():
            name, _, op = key.partition("__")
            if op == "lt":
                rows = [r for r in rows if getattr(r, name) < value]
            elif op == "gt":
                rows = [r for r in rows if getattr(r, name) > value]
            else:
                rows = [r for r in rows if getattr(r, name) == value]
        return FakeQuerySet(rows)


class ThingOut(msgspec.Struct):
    id: int
    name: str
    size: int


class ThingIn(msgspec.Struct):
    name: str
    size: int = 1


@pytest.fixture
def things() -> list[Thing]:
    Thing.table = [Thing("a", 1, 1), Thing("b", 2, 2), Thing("c", 3, 3)]
    return Thing.table


SLUGS = [{"slug": "a", "n": 1}, {"slug": "b", "n": 2}]
ROWS = [{"id": 1, "slug": "a"}, {"id": 2, "slug": "b"}]


def dep(q: int = 0) -> int:
    return q * 2


# --- tests ---------------------------------------------------------------------------------------


def test_names_and_submodules() -> None:
    from bolt_api import decorators, pagination, views

    assert bolt_api.__all__ == sorted(bolt_api.__all__)
    assert views.APIView is APIView and views.action is action
    assert pagination.paginate is paginate and decorators.action is action
    for name in (
        "ListMixin",
        "RetrieveMixin",
        "CreateMixin",
        "UpdateMixin",
        "PartialUpdateMixin",
        "DestroyMixin",
        "ReadOnlyModelViewSet",
    ):
        assert getattr(bolt_api, name) is getattr(views, name)


def test_no_django_at_import() -> None:
    code = (
        "import sys, bolt_api, bolt_api.views, bolt_api.pagination;"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_apiview_routes_and_binding() -> None:
    api = BoltAPI()
    seen: list[APIView] = []

    @api.view("/v/{key}", tags=["v"], name="v")
    class V(APIView):
        status_code = 201

        def initialize(self, request: Any) -> None:
            seen.append(self)

        def get(self, key: str, twice: Annotated[int, Depends(dep)]) -> dict[str, Any]:
            return {"key": key, "twice": twice, "action": self.action, "kwargs": self.kwargs}

        async def post(self, req: Any, n: Annotated[int, Query(ge=1)]) -> dict[str, Any]:
            return {"n": n, "same": req is self.request}

    assert {(r.method, r.definition.status_code) for r in api.routes} == {
        ("GET", 201),
        ("POST", 201),
    }
    get = next(r for r in api.routes if r.method == "GET")
    assert [b.kind for b in get.bindings] == ["scalar", "depends", "request"]
    assert get.definition.tags == ("v",) and get.definition.handler.__qualname__.endswith("V.get")
    assert api.url_path_for("v", key="x") == "/v/x"
    assert call(api, "GET", "/v/{key}", params={"key": "k"}, query={"q": "4"}) == (
        201,
        {"key": "k", "twice": 8, "action": "get", "kwargs": {"key": "k"}},
    )
    assert call(api, "POST", "/v/{key}", params={"key": "k"}, query={"n": "2"}) == (
        201,
        {"n": 2, "same": True},
    )
    status, body = call(api, "POST", "/v/{key}", params={"key": "k"}, query={"n": "0"})
    assert status == 422 and body["detail"][0]["loc"] == ["query", "n"]
    assert len(seen) == 2 and seen[0] is not seen[1]  # a fresh instance per request
    assert V.get_allowed_methods() == {"GET", "POST"}


def test_view_registration_errors() -> None:
    api = BoltAPI()

    class NotAView:
        def get(self) -> None: ...

    with pytest.raises(TypeError, match="APIView subclass"):
        api.view("/x")(NotAView)

    class Empty(APIView):
        pass

    with pytest.raises(ValueError, match="implements no HTTP method"):
        api.view("/x")(Empty)

    class OnlyGet(APIView):
        def get(self) -> None: ...

    with pytest.raises(ValueError, match="does not implement POST"):
        api.view("/x", methods=["POST"])(OnlyGet)

    class WithAction(ViewSet):
        def get(self) -> None: ...

        @action(methods=["GET"], detail=False)
        def extra(self) -> None: ...

    with pytest.raises(ValueError, match=r"api\.viewset\(\)"):
        api.view("/x")(WithAction)

    class Static(APIView):
        @staticmethod
        def get() -> None: ...

    with pytest.raises(TypeError, match="plain method"):
        api.view("/x")(Static)

    class BodyOnGet(APIView):
        def get(self, item: ThingIn) -> None: ...

    with pytest.raises(TypeError, match="cannot take a body"):
        api.view("/x")(BodyOnGet)


def test_action_arguments() -> None:
    with pytest.raises(TypeError):
        action("GET", detail=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        action(["GET"], detail="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        action(["GET"], detail=True, path="/")(lambda self: None)


def test_viewset_routes_over_a_list() -> None:
    api = BoltAPI(prefix="/api")

    @api.viewset("/items/", name="item", tags=["items"], lookup_field="slug")
    class Items(ReadOnlyModelViewSet):
        queryset = SLUGS
        serializer_class = dict[str, Any]
        lookup_field = "ignored"  # the decorator's lookup_field wins when it is not "pk"

        @action(methods=["GET", "POST"], detail=True, tags=["extra"], status_code=202)
        async def twice(self, request: Any) -> dict[str, Any]:
            row = await self.get_object()
            return {"n": row["n"] * 2}

    routes = {(r.method, r.template.source): r for r in api.routes}
    assert set(routes) == {
        ("GET", "/api/items/"),
        ("GET", "/api/items/{slug}"),
        ("GET", "/api/items/{slug}/twice"),
        ("POST", "/api/items/{slug}/twice"),
    }
    assert routes[("GET", "/api/items/{slug}")].definition.name == "item-retrieve"
    assert routes[("POST", "/api/items/{slug}/twice")].definition.tags == ("items", "extra")
    assert call(api, "GET", "/api/items/") == (200, [{"slug": "a", "n": 1}, {"slug": "b", "n": 2}])
    assert call(api, "GET", "/api/items/{slug}", params={"slug": "b"}) == (
        200,
        {"slug": "b", "n": 2},
    )
    assert call(api, "GET", "/api/items/{slug}", params={"slug": "z"}) == (
        404,
        {"detail": "Not found"},
    )
    assert call(api, "POST", "/api/items/{slug}/twice", params={"slug": "a"}) == (202, {"n": 2})


def test_viewset_registration_errors() -> None:
    api = BoltAPI()
    with pytest.raises(TypeError, match="ViewSet subclass"):
        api.viewset("/x")(APIView)

    class NoSerializer(ModelViewSet):
        queryset = FakeQuerySet()

    with pytest.raises(ValueError, match="serializer_class"):
        api.viewset("/x")(NoSerializer)

    class BadLookup(ViewSet):
        lookup_field = "a-b"

    with pytest.raises(ValueError, match="identifier"):
        api.viewset("/x")(BadLookup)


def test_viewsets_on_a_router_too() -> None:
    from bolt_api._view_routes import register_viewset

    router = Router(prefix="/r")

    class Rows(ViewSet):
        async def list(self) -> list[int]:
            return [1, 2]

    register_viewset(router, Rows, "/rows")
    api = BoltAPI()
    api.include_router(router)
    assert call(api, "GET", "/r/rows") == (200, [1, 2])


@pytest.mark.usefixtures("things")
def test_model_viewset_over_a_queryset() -> None:
    api = BoltAPI()

    class Pages(PageNumberPagination):
        page_size = 2

    @api.viewset("/things")
    class Things(ModelViewSet):
        queryset = FakeQuerySet()
        serializer_class = ThingOut
        create_serializer_class = ThingIn
        pagination_class = Pages

    statuses = {r.method + " " + r.template.source: r.definition.status_code for r in api.routes}
    assert statuses == {
        "GET /things": None,
        "POST /things": 201,
        "GET /things/{pk}": None,
        "PUT /things/{pk}": None,
        "PATCH /things/{pk}": None,
        "DELETE /things/{pk}": 204,
    }
    assert call(api, "GET", "/things") == (
        200,
        {
            "items": [{"id": 1, "name": "a", "size": 1}, {"id": 2, "name": "b", "size": 2}],
            "total": 3,
            "has_next": True,
            "has_previous": False,
            "page": 1,
            "page_size": 2,
            "total_pages": 2,
            "next_page": 2,
        },
    )
    assert call(api, "GET", "/things/{pk}", params={"pk": "2"}) == (
        200,
        {"id": 2, "name": "b", "size": 2},
    )
    for missing in ("9", "abc"):
        assert call(api, "GET", "/things/{pk}", params={"pk": missing})[0] == 404
    assert call(api, "POST", "/things", body=b'{"name": "d"}') == (
        201,
        {"id": 4, "name": "d", "size": 1},
    )
    assert call(api, "POST", "/things", body=b'{"size": 2}')[0] == 422
    assert call(api, "PATCH", "/things/{pk}", params={"pk": "4"}, body=b'{"size": 9}') == (
        200,
        {"id": 4, "name": "d", "size": 9},
    )
    assert call(api, "PUT", "/things/{pk}", params={"pk": "4"}, body=b'{"name": "e"}') == (
        200,
        {"id": 4, "name": "e", "size": 1},
    )
    assert call(api, "DELETE", "/things/{pk}", params={"pk": "4"}) == (204, None)
    assert [t.id for t in Thing.table] == [1, 2, 3]


def test_partial_struct() -> None:
    class S(msgspec.Struct, rename="camel"):
        full_name: str
        size: int = 1

    patch = partial_struct(S)
    assert partial_struct(S) is patch
    value = msgspec.json.decode(b'{"fullName": "x"}', type=patch)
    assert value.full_name == "x" and value.size is msgspec.UNSET  # type: ignore[attr-defined]
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"size": "big"}', type=patch)


def test_get_object_variants() -> None:
    class Rows(ViewSet):
        queryset = ROWS

    view = Rows()
    view.kwargs = {"pk": "2"}
    assert asyncio.run(view.get_object()) == {"id": 2, "slug": "b"}
    assert asyncio.run(view.get_object(1)) == {"id": 1, "slug": "a"}
    assert asyncio.run(view.get_object(slug="b"))["id"] == 2
    with pytest.raises(NotFound):
        asyncio.run(view.get_object(slug="z"))
    view.kwargs = {}
    with pytest.raises(bolt_api.HTTPException, match="Missing lookup field"):
        asyncio.run(view.get_object())


@pytest.mark.usefixtures("things")
def test_pagination_over_a_queryset() -> None:
    async def run() -> None:
        page = await PageNumberPagination(page_size=2).paginate_queryset(
            FakeQuerySet(), FakeRequest(query={"page": "2"})
        )
        assert isinstance(page, PaginatedResponse)
        assert [t.name for t in page.items] == ["c"] and page.previous_page == 1
        offset = await LimitOffsetPagination().paginate_queryset(
            FakeQuerySet(), FakeRequest(), limit=1, offset=1
        )
        assert (offset.total, offset.limit, offset.has_next) == (3, 1, True)
        cursor = CursorPagination(page_size=2, serializer_class=ThingOut)
        first = await cursor.paginate_queryset(FakeQuerySet(), FakeRequest())
        assert [t.id for t in first.items] == [3, 2] and first.next_cursor
        rest = await cursor.paginate_queryset(FakeQuerySet(), None, cursor=first.next_cursor)
        assert [t.id for t in rest.items] == [1] and not rest.has_next
        with pytest.raises(RequestValidationError) as info:
            await PageNumberPagination().paginate_queryset(
                FakeQuerySet(), FakeRequest(query={"page": "0", "page_size": "x"})
            )
        assert [e["loc"] for e in info.value.errors] == [["query", "page"], ["query", "page_size"]]

    asyncio.run(run())


def test_paginate_forms_and_errors() -> None:
    api = BoltAPI()
    rows = [{"id": i} for i in range(5)]

    @api.get("/bare")
    @paginate
    def bare(page_note: str = "") -> list[dict[str, int]]:
        return rows

    @api.get("/model", response_model=list[ThingOut])
    @paginate(LimitOffsetPagination(page_size=1))
    def model() -> Any:
        return [Thing("x", 1, 7)]

    assert call(api, "GET", "/bare", query={"page_size": "2"})[1]["total_pages"] == 3
    assert call(api, "GET", "/model")[1]["items"] == [{"id": 7, "name": "x", "size": 1}]
    keys = {b.key for r in api.routes for b in r.bindings}
    assert {"page", "page_size", "limit", "offset", "page_note"} <= keys
    with pytest.raises(TypeError):
        paginate(object)
    with pytest.raises(TypeError, match="no option"):
        PageNumberPagination(size=3)


def test_paginate_on_a_view_method() -> None:
    api = BoltAPI()

    @api.view("/letters")
    class Letters(APIView):
        @paginate(PageNumberPagination(page_size=2))
        async def get(self, upper: bool = False) -> list[str]:
            return [c.upper() if upper else c for c in "abcde"]

    status, body = call(api, "GET", "/letters", query={"page": "3", "upper": "1"})
    assert (status, body["items"], body["total"]) == (200, ["E"], 5)


def test_list_paginated_by_decorator_is_not_paged_twice() -> None:
    api = BoltAPI()

    @api.viewset("/n")
    class Numbers(ViewSet):
        pagination_class = LimitOffsetPagination

        @paginate(PageNumberPagination(page_size=2))
        async def list(self) -> list[int]:
            return [1, 2, 3]

    route = api.routes[0]
    assert route.definition.handler.__name__ == "Numbers_list"
    assert {b.key for b in route.bindings if b.source == "query"} == {"page", "page_size"}
    assert call(api, "GET", "/n")[1]["items"] == [1, 2]
