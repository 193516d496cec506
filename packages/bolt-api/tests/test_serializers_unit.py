"""bolt_api.serializers without Django or sockets: declarations, validation (every error at
once, as Bolt's 422 entries), output shapes, field sets, and the compiled route's body and
response (through ``bolt_api_fakes``). Models and real HTTP: tests/test_serializers.py."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from bolt_api import BoltAPI
from bolt_api.exceptions import RequestValidationError
from bolt_api.openapi import build_openapi_schema
from bolt_api.serializers import (
    Email,
    Port,
    Serializer,
    computed_field,
    create_serializer,
    field,
    field_validator,
    model_validator,
)
from bolt_api_fakes import FakeRequest, compiled_call


class User(Serializer):
    id: int
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""

    class Meta:
        read_only = ("id",)
        write_only = ("password",)
        field_sets = {  # noqa: RUF012
            "list": ["id", "email"],
            "names": ["first_name", "last_name", "full_name"],
        }

    @field_validator("email")
    def normalise(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("Invalid email")
        return value.strip().lower()

    @computed_field
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Tag(Serializer):
    name: str


class Book(Serializer):
    id: int
    title: str
    author_name: str = field(source="author.name", default="")
    tags: list[Tag] = field(default_factory=list)


JSON = {"content-type": "application/json"}


def errors_of(call: Any) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationError) as info:
        call()
    found: list[dict[str, Any]] = info.value.errors
    return found


def test_read_only_ignored_write_only_not_dumped_computed_dumped() -> None:
    user = User.model_validate_json(b'{"id": 7, "email": " ADA@X.org", "password": "pw"}')
    assert (user.id, user.email, user.password) == (None, "ada@x.org", "pw")
    user = User(id=3, email="a@b.c", password="pw", first_name="Ada", last_name="L")
    assert user.dump() == {
        "id": 3,
        "email": "a@b.c",
        "first_name": "Ada",
        "last_name": "L",
        "full_name": "Ada L",
    }
    assert msgspec.json.decode(user.dump_json()) == user.dump()
    assert user.full_name() == "Ada L"
    assert user.to_dict()["password"] == "pw"


def test_every_error_at_once() -> None:
    errors = errors_of(lambda: User.model_validate({"email": 5}))
    assert errors == [
        {"type": "validation_error", "loc": ["body", "email"], "msg": "Expected `str`, got `int`"},
        {
            "type": "missing",
            "loc": ["body", "password"],
            "msg": "Object missing required field `password`",
        },
    ]

    class Pair(Serializer):
        a: str
        b: str

        @field_validator("a", "b")
        @classmethod
        def no_x(cls, value: str) -> str:
            if "x" in value:
                raise ValueError("no x")
            return value

        @model_validator
        def differ(self) -> None:
            if self.a == self.b:
                raise ValueError("a and b must differ")

    assert errors_of(lambda: Pair(a="x", b="x")) == [
        {"type": "value_error", "loc": ["body", "a"], "msg": "no x"},
        {"type": "value_error", "loc": ["body", "b"], "msg": "no x"},
        {"type": "value_error", "loc": ["body"], "msg": "a and b must differ"},
    ]
    assert errors_of(lambda: Pair.model_validate_json(b'{"a": ')) == [
        {"type": "json_invalid", "loc": ["body"], "msg": "Input data was truncated"}
    ]


def test_before_validators_see_raw_input() -> None:
    class Tags(Serializer):
        tags: list[str]
        size: int = 0

        @field_validator("tags", mode="before")
        def split(cls, value: Any) -> Any:
            return value.split(",") if isinstance(value, str) else value

        @model_validator(mode="before")
        @classmethod
        def count(cls, data: Any) -> Any:
            return {**data, "size": len(str(data.get("tags", "")))}

    assert Tags.model_validate_json(b'{"tags": "a,b"}') == Tags(tags=["a", "b"], size=3)
    assert Tags.model_validate({"tags": ["c"]}).tags == ["c"]


def test_declaration_errors() -> None:
    with pytest.raises(TypeError, match="Meta or Config"):

        class Both(Serializer):
            x: int

            class Meta:
                pass

            class Config:
                pass

    with pytest.raises(TypeError, match="unknown Meta option 'feilds'"):

        class Typo(Serializer):
            x: int

            class Meta:
                feilds = ("x",)

    with pytest.raises(TypeError, match="names no field 'y'"):

        class Missing(Serializer):
            x: int

            class Config:
                write_only = ("y",)

    with pytest.raises(TypeError, match="staticmethod"):

        class Static(Serializer):
            x: int

            @field_validator("x")
            @staticmethod
            def check(value: int) -> int:
                return value

    with pytest.raises(ValueError, match="mode"):
        field_validator("x", mode="during")
    with pytest.raises(ValueError, match="both"):
        field(read_only=True, write_only=True)


def test_config_spelling_rename_and_aliases() -> None:
    class Article(Serializer, rename="camel"):
        article_id: int
        body_text: str = field(alias="text")

        @computed_field(alias="Summary")
        def short_title(self) -> str:
            return self.body_text[:3]

        @computed_field
        def word_count(self) -> int:
            return len(self.body_text.split())

    a = Article.model_validate({"articleId": 1, "text": "hello world"})
    assert a.dump() == {"articleId": 1, "text": "hello world", "Summary": "hel", "wordCount": 2}


def test_field_sets_views_and_subsets() -> None:
    user = User(id=1, email="a@b.c", password="pw", first_name="A", last_name="B")
    assert User.use("list").dump(user) == {"id": 1, "email": "a@b.c"}
    assert User.only("id", "full_name").dump(user) == {"id": 1, "full_name": "A B"}
    assert User.exclude("first_name", "last_name").dump(user) == {
        "id": 1,
        "email": "a@b.c",
        "full_name": "A B",
    }
    assert User.use("names").exclude("last_name").dump_many([user]) == [
        {"first_name": "A", "full_name": "A B"}
    ]
    with pytest.raises(ValueError, match="no field set 'detail'"):
        User.use("detail")
    with pytest.raises(ValueError, match="no field 'password'"):
        User.only("password")  # write-only: never in an output
    Listed = User.fields("list")
    assert Listed is User.fields("list")
    assert Listed.__struct_fields__ == ("id", "email")
    assert Listed.from_parent(user).dump() == {"id": 1, "email": "a@b.c"}
    assert errors_of(lambda: Listed(id=1, email="nope")) == [
        {"type": "value_error", "loc": ["body", "email"], "msg": "Invalid email"}
    ]


def test_dump_options_and_unset() -> None:
    class Patch(Serializer):
        name: str | msgspec.UnsetType = msgspec.UNSET
        note: str | None = None
        count: int = 0

    p = Patch.model_validate({"count": 0})
    assert p.to_dict(exclude_unset=True) == {"note": None, "count": 0}
    assert Patch(name="x").dump(exclude_none=True) == {"name": "x", "count": 0}
    assert Patch(name="x", count=0).dump(exclude_defaults=True) == {"name": "x"}


def test_inheritance_keeps_validators_and_options() -> None:
    class Admin(User):
        is_admin: bool = False

    admin = Admin.model_validate({"id": 5, "email": "ROOT@x.org", "password": "pw"})
    assert (admin.id, admin.email) == (None, "root@x.org")
    assert "password" not in Admin(id=1, email="a@b", password="p").dump()


def test_from_model_reads_sources_from_any_object() -> None:
    row = SimpleNamespace(
        id=1,
        title="Dune",
        author=SimpleNamespace(name="Frank"),
        tags=[SimpleNamespace(name="sf")],
    )
    book = Book.from_model(row)
    assert book.dump() == {
        "id": 1,
        "title": "Dune",
        "author_name": "Frank",
        "tags": [{"name": "sf"}],
    }
    assert Book.from_models([row, row])[1] == book
    no_author = SimpleNamespace(id=2, title="Anon", author=None)
    assert Book.from_model(no_author).author_name is None


def test_a_value_msgspec_will_not_convert_is_read_as_is() -> None:
    class Row(Serializer):
        key: str
        n: int = 0

    rows = [SimpleNamespace(key="a", n=1), SimpleNamespace(key=uuid.UUID(int=1), n=2)]
    assert [r.n for r in Row.from_models(rows)] == [1, 2]  # the UUID: no ValidationError
    assert Row.from_model(SimpleNamespace(key="b")).dump() == {"key": "b", "n": 0}


def test_constrained_aliases() -> None:
    class Contact(Serializer):
        email: Email
        port: Port = 80

    assert Contact.model_validate({"email": "a@example.com"}).port == 80
    errors = errors_of(lambda: Contact.model_validate({"email": "nope", "port": 70000}))
    assert [e["loc"] for e in errors] == [["body", "email"], ["body", "port"]]


def test_create_serializer_needs_a_model() -> None:
    with pytest.raises(TypeError, match="must be a Django model"):
        create_serializer(object)


def test_route_body_response_and_openapi() -> None:
    api = BoltAPI()

    @api.post("/users", status_code=201)
    def create(data: User) -> User:
        return User(id=1, email=data.email, password=data.password)

    @api.get("/users")
    def listing() -> list[User]:
        return [User(id=1, email="a@b.c", password="secret")]

    call = compiled_call(api, "POST", "/users")
    body = b'{"id": 9, "email": "A@B.C", "password": "pw"}'
    status, _headers, out = call(FakeRequest("POST", "/users", body=body, headers=JSON))[:3]
    assert (status, msgspec.json.decode(out)) == (
        201,
        {"id": 1, "email": "a@b.c", "first_name": "", "last_name": "", "full_name": ""},
    )
    status, _headers, out = call(
        FakeRequest("POST", "/users", body=b'{"email": "x"}', headers=JSON)
    )[:3]
    assert status == 422
    assert [e["loc"] for e in msgspec.json.decode(out)["detail"]] == [["body", "password"]]
    status, _headers, out = compiled_call(api, "GET", "/users")(FakeRequest())[:3]
    assert b"secret" not in out and msgspec.json.decode(out)[0]["full_name"] == ""

    doc = build_openapi_schema(api)
    schemas = doc["components"]["schemas"]
    assert set(schemas["UserInput"]["properties"]) == {
        "email",
        "password",
        "first_name",
        "last_name",
    }
    assert set(schemas["User"]["properties"]) == {
        "id",
        "email",
        "first_name",
        "last_name",
        "full_name",
    }
    assert schemas["User"]["required"] == list(schemas["User"]["properties"])
