"""Serializers over Django models through real HTTP: the subject of tests/test_serializers.py.

Django is configured here (a throw-away sqlite file, the tables created without migrations).
Every SQL statement any request runs is counted; ``GET /queries`` returns the count and
resets it, so a test can assert how many queries a request made.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(tempfile.mkdtemp(prefix="bolt-shelf-"), "db.sqlite3"),
            }
        },
        INSTALLED_APPS=["tests.apps.shelf"],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()

from typing import Annotated

from bolt_api import BoltAPI, Query
from bolt_api.filters import FilterSet, Lookup
from bolt_api.pagination import PageNumberPagination
from bolt_api.serializers import (
    Email,
    LoadingPlan,
    Password,
    Serializer,
    Username,
    computed_field,
    create_serializer,
    create_serializer_set,
    field,
    field_validator,
    model_validator,
)
from bolt_api.views import ModelViewSet
from django.db import connection
from django.db.backends.signals import connection_created

from .shelf.models import Author, Book, Tag

with connection.schema_editor() as editor:
    for model in (Author, Tag, Book):
        editor.create_model(model)
connection.close()

_lock = threading.Lock()
_queries = [0]


def _count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    with _lock:
        _queries[0] += 1
    return execute(sql, params, many, context)


def _install(sender: Any, connection: Any, **kwargs: Any) -> None:
    # sent on every (re)connection of a thread's connection object: count once
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


connection_created.connect(_install)


class AuthorSerializer(Serializer):
    class Meta:
        model = Author
        fields = ("id", "name")


class TagSerializer(Serializer):
    class Meta:
        model = Tag
        fields = ("id", "name")


class BookSerializer(Serializer):
    """A book, its author and tags by id (the write shape)."""

    class Meta:
        model = Book
        fields = ("id", "title", "status", "pages", "author", "tags", "created")

    @field_validator("title")
    def strip_title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("title must not be blank")
        return value


class BookDetail(Serializer):
    """A book with its author and tags as objects (the read shape)."""

    author: AuthorSerializer
    tags: list[TagSerializer]
    author_name: str = field(source="author.name", default="")

    class Meta:
        model = Book
        fields = ("id", "title", "status", "author", "tags")

    @computed_field
    def tag_count(self) -> int:
        return len(self.tags)


class Signup(Serializer):
    username: Username
    email: Email
    password: Password = field(write_only=True)
    password_confirm: str = field(write_only=True)

    @model_validator
    def passwords_match(self) -> None:
        if self.password != self.password_confirm:
            raise ValueError("passwords do not match")


AuthorRow = create_serializer(Author, name="AuthorRow")
BookCreate, BookUpdate, BookPublic = create_serializer_set(
    Book,
    create_fields=("title", "author", "tags"),
    public_fields=("id", "title", "author", "tags"),
)


class BookFilter(FilterSet):
    title: str | None = Lookup("icontains")
    status: list[str] = Lookup("in", default=[])
    pages_min: int | None = Lookup("gte", field="pages")
    author: str | None = Lookup("iexact", field="author__name")
    tag: str | None = Lookup(field="tags__name")
    created_year: int | None = Lookup("year", field="created")

    class Meta:
        ordering = ("title", "pages", "id")
        search = ("title", "author__name")


class BookViewSet(ModelViewSet):
    queryset = Book.objects.order_by("id")
    serializer_class = BookSerializer
    list_serializer_class = BookDetail


class PagedBookViewSet(ModelViewSet):
    queryset = Book.objects.order_by("id")
    serializer_class = BookSerializer
    list_serializer_class = BookDetail
    pagination_class = PageNumberPagination(page_size=2)
    filterset_class = BookFilter


api = BoltAPI()
api.viewset("/vs/books")(BookViewSet)
api.viewset("/paged/books")(PagedBookViewSet)


@api.get("/queries")
def queries() -> dict[str, int]:
    with _lock:
        count, _queries[0] = _queries[0], 0
    return {"count": count}


@api.post("/authors", status_code=201)
async def create_author(data: AuthorSerializer) -> AuthorSerializer:
    author = await data.asave()
    return await AuthorSerializer.afrom_model(author)


@api.post("/tags", status_code=201)
async def create_tag(data: TagSerializer) -> TagSerializer:
    return await TagSerializer.afrom_model(await data.asave())


@api.post("/books", status_code=201)
async def create_book(data: BookSerializer) -> BookSerializer:
    book = await data.asave()
    return await BookSerializer.afrom_model(book)


@api.put("/books/{book_id}")
async def update_book(book_id: int, data: BookSerializer) -> BookSerializer:
    book = await Book.objects.aget(pk=book_id)
    await data.asave(book)
    return await BookSerializer.afrom_model(book)


@api.get("/books")
async def list_books() -> list[BookDetail]:
    return await BookDetail.afrom_models(Book.objects.order_by("id"))


@api.get("/books/{book_id}")
async def read_book(book_id: int) -> BookDetail:
    rows = await BookDetail.afrom_models(Book.objects.filter(pk=book_id))
    return rows[0]


@api.get("/books-list")
async def list_books_view() -> list[dict[str, Any]]:
    rows = await BookDetail.afrom_models(Book.objects.order_by("id"))
    return BookDetail.only("id", "title", "tag_count").dump_many(rows)


@api.patch("/books/{book_id}")
async def patch_book(book_id: int, data: BookUpdate) -> BookPublic:
    book = await Book.objects.aget(pk=book_id)
    await data.asave(book)
    return await BookPublic.afrom_model(book)


@api.get("/search/books")
async def search_books(filters: Annotated[BookFilter, Query()]) -> list[BookSerializer]:
    return await BookSerializer.afrom_models(filters.apply(Book.objects.order_by("id")))


@api.get("/book-rows")
async def book_rows() -> list[BookSerializer]:
    return await BookSerializer.afrom_models(Book.objects.order_by("id"))


@api.get("/plans")
def plans() -> dict[str, LoadingPlan]:
    return {
        "BookSerializer": BookSerializer.loading_plan(),
        "BookDetail": BookDetail.loading_plan(),
    }


@api.get("/authors/{author_id}", response_model=AuthorRow)
async def read_author(author_id: int) -> Any:
    return await Author.objects.aget(pk=author_id)  # a model instance: read by AuthorRow


@api.post("/signup", status_code=201)
def signup(data: Signup) -> Signup:
    return data
