"""``manage.py bolt_openapi`` and ``manage.py bolt_routes`` describe the API runbolt serves."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from bolt_api.auth import IsAuthenticated
from django.core.management import CommandError, call_command
from django.test import override_settings


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_openapi_json_of_the_merged_apis() -> None:
    schema = json.loads(run("bolt_openapi"))
    assert schema["openapi"].startswith("3.1")
    assert set(schema["paths"]) == {"/project", "/items", "/items/{item_id}"}
    assert schema["paths"]["/items/{item_id}"]["get"]["parameters"][0]["name"] == "item_id"


def test_openapi_yaml_is_the_same_document() -> None:
    assert yaml.safe_load(run("bolt_openapi", "--format", "yaml")) == json.loads(
        run("bolt_openapi")
    )


@pytest.mark.parametrize(("name", "fmt"), [("schema.json", None), ("schema.yml", "yaml"),
                                           ("schema.txt", "json")])  # fmt: skip
def test_openapi_output_file(tmp_path: Path, name: str, fmt: str | None) -> None:
    target = tmp_path / name
    args = ["--output", str(target), *(["--format", fmt] if fmt else [])]
    assert run("bolt_openapi", *args) == ""
    text = target.read_text()
    loaded = yaml.safe_load(text) if name.endswith(".yml") else json.loads(text)
    assert "/items" in loaded["paths"]


def test_openapi_unwritable_output_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write"):
        run("bolt_openapi", "--output", str(tmp_path / "missing" / "schema.json"))


def test_openapi_fails_like_runbolt() -> None:
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "shop", "clash"]),
        pytest.raises(CommandError, match="Route conflict: GET /items"),
    ):
        run("bolt_openapi")
    with override_settings(BOLT_API=[]), pytest.raises(CommandError, match="No Bolt API found"):
        run("bolt_openapi")


def test_routes_table() -> None:
    with override_settings(BOLT_API=["guarded.api:api", "shop.api:api"]):
        lines = run("bolt_routes").splitlines()
    assert lines[0].split() == ["METHODS", "PATH", "NAME", "HANDLER", "ACCESS"]
    rows = [line.split(None, 4) for line in lines[1:]]
    assert rows == [
        ["GET", "/g/public", "public", "guarded.api:public", "public"],
        ["GET", "/g/secret", "-", "guarded.api:secret",
         "auth=JWTAuthentication guards=IsAuthenticated(),HasPermission('shop.view')"],
        ["POST", "/g/secret", "-", "guarded.api:write_secret",
         "auth=JWTAuthentication guards=IsAuthenticated(),HasPermission('shop.view')"],
        ["GET,PUT", "/g/both", "-", "guarded.api:both", "public"],
        ["GET", "/items", "-", "shop.api:items", "public"],
        ["GET", "/items/{item_id}", "-", "shop.api:item", "public"],
    ]  # fmt: skip
    # the columns line up
    assert len({line.index("/") for line in lines[1:]}) == 1


def test_routes_sorted_by_path_and_default_guards_from_settings() -> None:
    with override_settings(
        BOLT_API=["shop.api:api"], BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated()]
    ):
        lines = run("bolt_routes", "--sort", "path").splitlines()
    assert [line.split()[1] for line in lines[1:]] == ["/items", "/items/{item_id}"]
    assert all(line.endswith("guards=IsAuthenticated()") for line in lines[1:])


def test_a_function_guard_is_named() -> None:
    from bolt_django.management.commands.bolt_routes import _guard

    def staff_only(context: object, request: object) -> bool:
        return True

    assert _guard(staff_only).endswith("staff_only")
