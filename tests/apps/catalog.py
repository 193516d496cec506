"""The catalog app: one BoltAPI exercising every feature the conformance suite checks.

Both engines serve this same module (``python -m bolt_api serve tests.apps.catalog:api``);
the tests compare what comes back over real sockets.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any

import msgspec
from bolt_api import (
    HTML,
    JSON,
    BoltAPI,
    Cookie,
    Header,
    HTTPException,
    NotFound,
    PlainText,
    Query,
    Redirect,
    Response,
    Router,
)

api = BoltAPI()


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class Order(msgspec.Struct):
    id: int
    items: list[Item]


class Color(enum.Enum):
    RED = "red"


# --- basics -----------------------------------------------------------------------------


@api.get("/")
async def root() -> dict[str, str]:
    return {"message": "Hello, World!"}


@api.get("/sync")
def sync_root() -> dict[str, str]:
    return {"message": "sync"}


@api.get("/sleep")
async def sleepy(ms: int = 10) -> dict[str, Any]:
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


# --- lifecycle (tests/test_lifecycle.py) ------------------------------------------------


@api.get("/pid")
def serving_pid() -> dict[str, int]:
    import os

    return {"pid": os.getpid()}


@api.get("/lifecycle/slow")
async def lifecycle_slow(ms: int = 1000, mark: str | None = None) -> dict[str, int]:
    """Sleeps ``ms``; first creates the file ``mark``, so a test sees the request in flight."""
    import os
    import pathlib

    if mark:
        pathlib.Path(mark).touch()
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms, "pid": os.getpid()}


@api.get("/echo")
def echo(request: Any) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "query": request.query,
        "query_multi": request.query_multi,
        "cookies": request.cookies,
        "x_custom": request.headers.get("x-custom"),
        "has_client": request.client is not None,
        "body": request.body.decode("latin-1"),
        "path_params": request.path_params,
    }


@api.post("/echo/{kind}")
async def echo_post(request: Any) -> dict[str, Any]:
    return {
        "path_params": request.path_params,
        "body_len": len(request.body),
        "body_head": request.body[:20].decode("latin-1"),
    }


# --- path parameters --------------------------------------------------------------------


@api.get("/items/{item_id}")
def get_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    """Read one item by its id.

    The docstring is the operation's description in the OpenAPI document.
    """
    return {"item_id": item_id, "q": q}


@api.get("/float/{value}")
def get_float(value: float) -> dict[str, float]:
    return {"value": value}


@api.get("/bool/{flag}")
def get_bool(flag: bool) -> dict[str, bool]:
    return {"flag": flag}


@api.get("/uuid/{uid}")
def get_uuid(uid: uuid.UUID) -> dict[str, str]:
    return {"uid": str(uid), "type": type(uid).__name__}


@api.get("/str/{name}")
def get_str(name: str) -> dict[str, str]:
    return {"name": name}


@api.get("/files/{rest:path}")
def get_file(rest: str) -> dict[str, str]:
    return {"rest": rest}


@api.get("/users/me")
def me() -> dict[str, str]:
    return {"user": "me"}


@api.get("/users/{user_id}")
def user(user_id: int) -> dict[str, int]:
    return {"user_id": user_id}


@api.get("/typed/{item_id:int}")
def typed(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


# --- query parameters -------------------------------------------------------------------


@api.get("/search")
def search(
    q: str,
    page: int = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    exact: bool = False,
    sort: str | None = None,
    price: float | None = None,
) -> dict[str, Any]:
    return {"q": q, "page": page, "size": size, "exact": exact, "sort": sort, "price": price}


@api.get("/aliased")
def aliased(item_query: str = Query("none", alias="item-query", max_length=5)) -> dict[str, str]:
    return {"item_query": item_query}


@api.get("/headers/all")
def all_headers(request: Any) -> dict[str, str]:
    """Every request header as the engine hands it over (the HTTP corpus checks them)."""
    return dict(request.headers)


@api.get("/headers")
def headers(
    x_token: Annotated[str, Header()],
    x_count: Annotated[int, Header(alias="X-Count")] = 0,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, Any]:
    return {"x_token": x_token, "x_count": x_count, "session": session}


# --- bodies -----------------------------------------------------------------------------


@api.post("/items", status_code=201)
def create_item(item: Item) -> Item:
    return item


@api.put("/items/{item_id}")
async def replace_item(item_id: int, item: Item) -> dict[str, Any]:
    return {"item_id": item_id, "item": item}


@api.patch("/items/{item_id}")
def patch_item(item_id: int, item: Item) -> dict[str, Any]:
    return {"item_id": item_id, "name": item.name}


@api.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> None:
    return None


@api.post("/orders")
def create_order(order: Order) -> Order:
    return order


# --- responses --------------------------------------------------------------------------


@api.get("/list", summary="A list of numbers", tags=["responses"])
def a_list() -> list[int]:
    return [1, 2, 3]


@api.get("/struct")
def a_struct() -> Item:
    return Item(name="widget", price=9.5, tags=["a"])


@api.get("/text")
def text() -> str:
    return "plain text"


@api.get("/bytes")
def raw_bytes() -> bytes:
    return b"\x00\x01binary"


@api.get("/types")
def rich_types() -> dict[str, Any]:
    return {
        "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "date": datetime.date(2024, 1, 2),
        "time": datetime.time(3, 4, 5),
        "decimal": decimal.Decimal("1.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "enum": Color.RED,
    }


@api.get("/json-class")
def json_class() -> JSON:
    return JSON({"created": True}, status_code=202, headers={"X-Extra": "1"})


@api.get("/plain-class")
def plain_class() -> PlainText:
    return PlainText("hello", status_code=200)


@api.get("/html-class")
def html_class() -> HTML:
    return HTML("<h1>Hi</h1>")


@api.get("/redirect")
def redirect() -> Redirect:
    return Redirect("/")


@api.get("/redirect-301")
def redirect_301() -> Redirect:
    return Redirect("/", status_code=301)


@api.get("/response-class")
def response_class() -> Response:
    return Response(
        b"<x/>", status_code=203, media_type="application/xml", headers={"X-Kind": "raw"}
    )


@api.get("/custom-status", status_code=202)
def custom_status() -> dict[str, bool]:
    return {"accepted": True}


@api.get("/bad-model", response_model=Item)
def bad_model() -> Any:
    return {"name": 1, "price": "x"}


@api.get("/model-coerce", response_model=Item)
def model_coerce() -> Any:
    return {"name": "n", "price": 2}


@api.get("/bad-header")
def bad_header() -> JSON:
    return JSON({}, headers={"X-Bad": "a\r\nInjected: yes"})


# --- errors -----------------------------------------------------------------------------


@api.get("/teapot")
def teapot() -> None:
    raise HTTPException(418, "I'm a teapot", headers={"X-Tea": "earl-grey"})


@api.get("/extra")
def extra() -> None:
    raise HTTPException(400, "Bad thing", extra={"field": "name"})


@api.get("/missing")
async def missing() -> None:
    raise NotFound("No such thing")


@api.get("/crash")
def crash() -> None:
    raise RuntimeError("boom")


@api.get("/crash-async")
async def crash_async() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("boom")


# --- routers ----------------------------------------------------------------------------

v1 = Router(prefix="/v1", tags=["v1"])


@v1.get("/ping")
def ping() -> dict[str, str]:
    return {"pong": "v1"}


nested = Router(prefix="/nested")


@nested.get("/{thing_id}")
def nested_thing(thing_id: int) -> dict[str, int]:
    return {"thing_id": thing_id}


v1.include_router(nested)
api.include_router(v1, prefix="/api")


@api.get("/trailing/")
def trailing() -> dict[str, str]:
    return {"trailing": "stripped"}


@api.head("/explicit-head")
def explicit_head() -> Response:
    return Response(b"", headers={"X-Head": "explicit"})


@api.get("/explicit-head")
def explicit_head_get() -> dict[str, str]:
    return {"get": "yes"}


# --- parameters II: lists, groups, forms, uploads, length ---------------------------------

from bolt_api import Body, Depends, File, Form, UploadFile  # noqa: E402
from bolt_api.errors import problem_details  # noqa: E402


class Filters(msgspec.Struct):
    status: str = "any"
    limit: int = 10
    tags: list[str] = []


class Signup(msgspec.Struct):
    username: str
    age: int


@api.get("/multi")
def multi(ids: list[int], flags: list[bool] | None = None) -> dict[str, Any]:
    return {"ids": ids, "flags": flags}


@api.get("/grouped")
def grouped(filters: Annotated[Filters, Query()]) -> Filters:
    return filters


@api.post("/form")
def form(
    name: Annotated[str, Form()],
    age: Annotated[int, Form(ge=0)],
    tags: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    return {"name": name, "age": age, "tags": tags}


@api.post("/form-struct")
def form_struct(data: Annotated[Signup, Form()]) -> Signup:
    return data


@api.post("/upload")
async def upload(
    doc: Annotated[UploadFile, File(max_size=1000, allowed_types=["text/*", "application/json"])],
    note: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    content = await doc.read()
    return {
        "filename": doc.filename,
        "content_type": doc.content_type,
        "size": doc.size,
        "content": content.decode(errors="replace"),
        "note": note,
    }


@api.post("/uploads")
def uploads(files: Annotated[list[UploadFile], File(max_files=3)]) -> dict[str, Any]:
    return {"names": [f.filename for f in files], "sizes": [f.size for f in files]}


# --- dependencies ---------------------------------------------------------------------------

EVENTS: list[str] = []


def get_token(x_token: Annotated[str, Header()]) -> str:
    return x_token


async def get_user(token: Annotated[str, Depends(get_token)], page: int = 1) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"user": f"user-{token}", "page": page}


def counter() -> dict[str, int]:
    EVENTS.append("counter")
    return {"n": len(EVENTS)}


def session(name: str = "db"):  # type: ignore[no-untyped-def]
    EVENTS.append(f"open {name}")
    try:
        yield f"session:{name}"
    except RuntimeError:
        EVENTS.append(f"rollback {name}")
        raise
    else:
        EVENTS.append(f"commit {name}")


@api.get("/deps/user")
async def deps_user(user: Annotated[dict[str, Any], Depends(get_user)]) -> dict[str, Any]:
    return user


@api.get("/deps/cached")
def deps_cached(
    a: dict[str, int] = Depends(counter),
    b: dict[str, int] = Depends(counter),
) -> dict[str, bool]:
    return {"same": a is b}


@api.get("/deps/session")
def deps_session(s: Annotated[str, Depends(session)], fail: bool = False) -> dict[str, str]:
    if fail:
        raise RuntimeError("handler failed")
    return {"session": s}


@api.get("/deps/events")
def deps_events(clear: bool = False) -> list[str]:
    events = list(EVENTS)
    if clear:
        EVENTS.clear()
    return events


# --- errors: mapped exceptions, problem details on a mounted API -------------------------------


@api.get("/errors/file")
def errors_file() -> None:
    raise FileNotFoundError("/secret/path")


@api.get("/errors/permission")
def errors_permission() -> None:
    raise PermissionError("nope")


problems = BoltAPI(error_formatter=problem_details)


@problems.get("/item/{item_id}")
def problem_item(item_id: int) -> dict[str, int]:
    if item_id == 0:
        raise NotFound("Item 0 does not exist")
    return {"item_id": item_id}


api.mount("/problems", problems)


@api.get("/named/{slug}", name="named-route")
def named(slug: str) -> dict[str, str]:
    return {"url": api.url_path_for("named-route", slug=slug + " x")}


# --- the request object's Django-style helpers ---------------------------------------------


@api.get("/uri/{rest:path}")
def uri(request: Any) -> dict[str, Any]:
    return {
        "full_path": request.get_full_path(),
        "absolute": request.build_absolute_uri(),
        "joined": request.build_absolute_uri("other?x=1"),
        "external": request.build_absolute_uri("https://example.com/a"),
        "state_is_dict": request.state == {},
    }


@api.get("/cookies")
def cookies() -> JSON:
    response = JSON({"ok": True})
    response.set_cookie("sid", "abc", max_age=60, httponly=True)
    response.set_cookie("theme", "dark mode", secure=True, samesite="Strict")
    response.delete_cookie("old")
    return response


@api.get("/coerce")
def coerce(
    amount: decimal.Decimal,
    when: datetime.datetime,
    day: datetime.date,
    at: datetime.time,
    uid: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "amount": str(amount),
        "when": when.isoformat(),
        "day": day.isoformat(),
        "at": at.isoformat(),
        "uid": str(uid) if uid else None,
        "types": [type(v).__name__ for v in (amount, when, day, at)],
    }


@api.post("/embedded")
def embedded(
    item: Annotated[Item, Body(embed=True)], count: Annotated[int, Body(embed=True)] = 1
) -> dict[str, Any]:
    return {"name": item.name, "count": count}


# --- streaming, SSE, files ---------------------------------------------------------------------

import atexit  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from bolt_api.files import File as FileContent  # noqa: E402
from bolt_api.files import FileResponse  # noqa: E402
from bolt_api.streaming import EventSourceResponse, ServerSentEvent, StreamingResponse  # noqa: E402


def _files_dir() -> str:
    """The directory the file routes serve from.

    The conformance suite hands every server it starts one directory for the whole session
    (``BOLT_CATALOG_FILES``, removed when the session ends); run alone, the app makes its own
    and removes it at exit, so no run leaves a directory behind in ``/tmp``.
    """
    given = os.environ.get("BOLT_CATALOG_FILES")
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    made = tempfile.mkdtemp(prefix="bolt-catalog-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made


def _write_file(name: str, content: bytes) -> None:
    """Write one served file atomically (another server of the session may be reading it)."""
    target = os.path.join(FILES_DIR, name)
    if os.path.exists(target) and os.path.getsize(target) == len(content):
        return
    scratch = f"{target}.{os.getpid()}"
    with open(scratch, "wb") as out:
        out.write(content)
    os.replace(scratch, target)


FILES_DIR = _files_dir()
_write_file("small.txt", b"0123456789abcdefghij")
_write_file("big.bin", bytes(range(256)) * 1200)  # 307200 bytes
api.allowed_file_paths = [FILES_DIR]
STREAM_EVENTS: list[str] = []


@api.get("/stream/sync")
def stream_sync() -> StreamingResponse:
    def gen():  # type: ignore[no-untyped-def]
        yield "a"
        yield b"b"
        yield "c"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/async")
async def stream_async(n: int = 3) -> StreamingResponse:
    async def gen():  # type: ignore[no-untyped-def]
        for i in range(n):
            await asyncio.sleep(0.001)
            yield f"{i};"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/driven")
def stream_driven(n: int = 3, fail: bool = False) -> StreamingResponse:
    """An async generator that never awaits: bolt-api drives it in place (inline)."""

    async def gen():  # type: ignore[no-untyped-def]
        for i in range(n):
            yield f"{i};"
            yield b""  # empty chunks are skipped, never taken for the end of the body
            if fail and i == 1:
                raise RuntimeError("the generator failed mid-stream")

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/empty-chunks")
def stream_empty_chunks() -> StreamingResponse:
    def gen():  # type: ignore[no-untyped-def]
        yield b""
        yield "a"
        yield b""
        yield "b"

    return StreamingResponse(gen(), media_type="text/plain")


@api.get("/stream/big")
def stream_big() -> StreamingResponse:
    return StreamingResponse(bytes([i]) * 65536 for i in range(16))


@api.get("/stream/endless")
def stream_endless(kind: str = "async") -> StreamingResponse:
    async def agen():  # type: ignore[no-untyped-def]
        try:
            while True:
                yield b"x" * 1024
                await asyncio.sleep(0.005)
        finally:
            STREAM_EVENTS.append("async closed")

    async def driven():  # type: ignore[no-untyped-def]  # never awaits: pulled inline
        try:
            while True:
                yield b"z" * 1024
        finally:
            STREAM_EVENTS.append("driven closed")

    def sgen():  # type: ignore[no-untyped-def]
        import time

        try:
            while True:
                yield b"y" * 1024
                time.sleep(0.005)
        finally:
            STREAM_EVENTS.append("sync closed")

    source = {"async": agen, "sync": sgen, "driven": driven}[kind]()
    return StreamingResponse(source)


@api.get("/stream/events")
def stream_events() -> list[str]:
    return list(STREAM_EVENTS)


@api.get("/sse")
def sse() -> EventSourceResponse:
    def events():  # type: ignore[no-untyped-def]
        yield {"n": 1}
        yield ServerSentEvent(data="two\nlines", event="update", id="2")
        yield "three"

    return EventSourceResponse(events())


@api.get("/sse/ping")
async def sse_ping() -> EventSourceResponse:
    async def events():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.25)
        yield "late"

    return EventSourceResponse(events(), ping_interval=0.05)


@api.get("/files/get/{name}")
def get_file_response(name: str, download: bool = False) -> FileResponse:
    return FileResponse(os.path.join(FILES_DIR, name), filename=name if download else None)


@api.get("/files/outside")
def file_outside() -> FileResponse:
    return FileResponse(__file__)


@api.get("/files/inline")
def file_inline() -> FileContent:
    return FileContent(os.path.join(FILES_DIR, "small.txt"), filename="small.txt")


# --- class-based views and pagination (tests/test_views.py) ----------------------------------

from bolt_api import (  # noqa: E402
    APIView,
    CursorPagination,
    LimitOffsetPagination,
    ListMixin,
    PageNumberPagination,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
    action,
    paginate,
)


@api.view("/cbv/hello", tags=["cbv"])
class HelloView(APIView):
    async def get(self, request: Any, name: str = "World") -> dict[str, str]:
        return {"message": f"Hello, {name}", "method": request.method, "action": str(self.action)}

    async def post(self, item: Item) -> dict[str, Any]:
        return {"created": item.name, "price": item.price, "seen": self.request is not None}


@api.view("/cbv/users/{user_id}", methods=["GET", "PUT"])
class UserView(APIView):
    status_code = 202

    def get(self, user_id: int, verbose: bool = False) -> dict[str, Any]:
        return {"user_id": user_id, "verbose": verbose, "path": self.kwargs}

    async def put(self, user_id: int, item: Item) -> dict[str, Any]:
        return {"user_id": user_id, "name": item.name}

    async def delete(self, user_id: int) -> None:  # not routed: methods= leaves it out
        return None


class Note(msgspec.Struct):
    id: int
    text: str
    done: bool = False


class NoteIn(msgspec.Struct):
    text: str
    done: bool = False


class TwoPerPage(PageNumberPagination):
    page_size = 2


NOTES: list[dict[str, Any]] = [
    {"id": i, "text": f"note {i}", "done": i % 2 == 0} for i in range(1, 6)
]


@api.viewset("/cbv/notes", name="note", tags=["notes"])
class NoteViewSet(ListMixin, RetrieveMixin, UpdateMixin, PartialUpdateMixin, ViewSet):
    """An in-memory ViewSet: list (paged), retrieve, update and partial_update come from the
    mixins; create, destroy and two actions are written by hand."""

    queryset = NOTES
    serializer_class = Note
    update_serializer_class = NoteIn
    pagination_class = TwoPerPage

    async def create(self, request: Any, data: NoteIn) -> Note:
        note = {
            "id": max((n["id"] for n in NOTES), default=0) + 1,
            "text": data.text,
            "done": data.done,
        }
        NOTES.append(note)
        return Note(**note)

    async def destroy(self, request: Any, pk: int) -> None:
        NOTES.remove(await self.get_object())

    @action(methods=["GET"], detail=False)
    async def done(self, request: Any) -> list[Note]:
        return [n for n in await self.get_queryset() if n["done"]]

    @action(methods=["POST"], detail=True, path="toggle")
    async def toggle_done(self, pk: int) -> Note:
        note = await self.get_object(pk)
        note["done"] = not note["done"]
        return note  # type: ignore[no-any-return]


class Swatch(msgspec.Struct):
    slug: str
    hex: str


SWATCHES = [Swatch("red", "#f00"), Swatch("green", "#0f0"), Swatch("blue", "#00f")]


@api.viewset("/cbv/colors")
class SwatchViewSet(ReadOnlyModelViewSet):
    queryset = SWATCHES
    serializer_class = Swatch
    lookup_field = "slug"


class Row(msgspec.Struct):
    id: int
    name: str


ROWS = [{"id": i, "name": f"row {i}"} for i in range(1, 8)]


@api.get("/cbv/pages/number")
@paginate(PageNumberPagination)
async def rows_by_number(q: str | None = None) -> list[Row]:
    return [r for r in ROWS if q is None or q in r["name"]]


class SmallPages(PageNumberPagination):
    page_size = 3
    max_page_size = 5


@api.get("/cbv/pages/small")
@paginate(SmallPages)
def rows_small(request: Any) -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/offset")
@paginate(LimitOffsetPagination(page_size=2))
def rows_offset() -> list[Row]:
    return ROWS  # type: ignore[return-value]


class AscendingCursor(CursorPagination):
    page_size = 3
    ordering = "id"


@api.get("/cbv/pages/cursor")
@paginate(AscendingCursor)
async def rows_cursor() -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/cursor-desc")
@paginate(CursorPagination(page_size=3))
async def rows_cursor_desc() -> list[Row]:
    return ROWS  # type: ignore[return-value]


@api.get("/cbv/pages/model", response_model=list[Row])
@paginate
def rows_model():  # type: ignore[no-untyped-def]
    return ROWS


# --- compression ------------------------------------------------------------------------------

from bolt_api import no_compress  # noqa: E402

BIG_ROWS = [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]} for i in range(200)]


@api.get("/compress/big")
def compress_big() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/awaits")
async def compress_awaits() -> list[dict[str, Any]]:
    """An async route that really awaits (a coroutine route): compressed like the others."""
    await asyncio.sleep(0)
    return BIG_ROWS


def _rows() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/scoped")
def compress_scoped(rows: Annotated[list[dict[str, Any]], Depends(_rows)]) -> list[dict[str, Any]]:
    """A route with a dependency: compressed like the others."""
    return rows


@api.get("/compress/error")
def compress_error(n: int = 600) -> None:
    """An error response as large as asked: compressed like any other response."""
    raise HTTPException(409, detail="e" * min(n, 10_000))


@api.get("/compress/off")
@no_compress
def compress_off() -> list[dict[str, Any]]:
    return BIG_ROWS


@api.get("/compress/png")
def compress_png() -> Response:
    return Response(b"\x89PNG" + b"\x00" * 2000, media_type="image/png")


# --- trusted proxies (tests/test_proxies.py, tests/test_nginx.py) ------------------------------


@api.get("/proxy/client")
def proxy_client(request: Any) -> dict[str, Any]:
    client = request.client
    return {
        "host": client[0] if client else None,
        "port": client[1] if client else None,
        "scheme": request.scheme,
        "absolute": request.build_absolute_uri("/x?y=1"),
        "pid": os.getpid(),
    }
