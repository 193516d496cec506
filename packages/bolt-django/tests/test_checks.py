"""``manage.py check`` reports Bolt's APIs that ``runbolt`` could not serve, with file and line."""

from __future__ import annotations

import sys
from io import StringIO
from pathlib import Path

import pytest
from bolt_django.checks import check_apis
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

HERE = Path(__file__).parent


def ids(errors: list[object]) -> list[str]:
    return [error.id for error in errors]  # type: ignore[attr-defined]


def test_the_suites_project_passes() -> None:
    assert check_apis() == []
    out = StringIO()
    call_command("check", stdout=out)
    assert "System check identified no issues" in out.getvalue()


def test_syntax_error_names_the_file_and_the_line_of_the_error(syntaxerr: Path) -> None:
    with override_settings(INSTALLED_APPS=["bolt_django", "shop", "syntaxerr"]):
        [error] = check_apis()
    assert error.id == "bolt.E001"
    assert error.obj == f"{syntaxerr}:8"
    assert error.msg.startswith("Bolt API module 'syntaxerr.api' exists but failed to import")
    assert "SyntaxError: " in error.msg


def test_failing_import_names_the_import_line() -> None:
    with override_settings(INSTALLED_APPS=["bolt_django", "broken"]):
        [error] = check_apis()
    assert error.id == "bolt.E001"
    assert error.obj == f"{HERE / 'broken' / 'api.py'}:1"
    assert "ModuleNotFoundError: No module named 'bolt_missing_dependency_for_tests'" in error.msg


def test_conflict_inside_one_api_names_the_second_decorator() -> None:
    """bolt-api raises at registration; the line is the user's, not bolt-api's."""
    with override_settings(INSTALLED_APPS=["bolt_django", "dupe"]):
        [error] = check_apis()
    assert error.id == "bolt.E001"
    assert error.obj == f"{HERE / 'dupe' / 'api.py'}:13"
    assert "Route conflict: GET /dupe" in error.msg
    assert f"{HERE / 'dupe' / 'api.py'}:8)" in error.msg  # the first handler, too


def test_conflict_between_apis_names_both_handlers() -> None:
    with override_settings(INSTALLED_APPS=["bolt_django", "shop", "clash"]):
        [error] = check_apis()
    assert error.id == "bolt.E003"
    assert "Route conflict: GET /items" in error.msg
    assert f"{HERE / 'clash' / 'api.py'}:6" in error.msg
    assert f"{HERE / 'shop' / 'api.py'}:6" in error.msg


@pytest.mark.parametrize(
    ("entries", "where", "reason"),
    [
        (["shop.api:nope"], HERE / "shop" / "api.py", "module 'shop.api' has no attribute 'nope'"),
        (["settings_apis:not_an_api"], HERE / "settings_apis.py", "is a int, not a BoltAPI"),
        (["settings_apis"], None, "expected 'module:attribute'"),
        (["no_such_module_xyz:api"], None, "No module named 'no_such_module_xyz'"),
        ("shop.api:api", None, "must be a list of 'module:attr' strings"),
    ],
)
def test_bad_bolt_api_entries(entries: object, where: object, reason: str) -> None:
    with override_settings(BOLT_API=entries):
        [error] = check_apis()
    assert error.id == "bolt.E002"
    assert error.obj == (str(where) if where is not None else "settings.BOLT_API")
    assert reason in error.msg


def test_every_bad_entry_is_reported_at_once() -> None:
    with override_settings(BOLT_API=["shop.api:nope", "settings_apis:first", "shop.api:nah"]):
        errors = check_apis()
    assert ids(errors) == ["bolt.E002", "bolt.E002"]
    assert ["'nope'" in errors[0].msg, "'nah'" in errors[1].msg] == [True, True]


def test_a_refused_setting_is_an_error() -> None:
    with override_settings(BOLT_MAX_PARAM_LENGTH=0):
        [error] = check_apis()
    assert error.id == "bolt.E004"
    assert "BOLT_MAX_PARAM_LENGTH" in error.msg


def test_syntax_error_in_a_bolt_api_entry(syntaxerr: Path) -> None:
    with override_settings(BOLT_API=["syntaxerr.api:api"]):
        [error] = check_apis()
    assert (error.id, error.obj) == ("bolt.E001", f"{syntaxerr}:8")
    assert "SyntaxError" in error.msg


def test_manage_py_check_fails_naming_file_and_line(syntaxerr: Path) -> None:
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "syntaxerr"]),
        pytest.raises(SystemCheckError) as info,
    ):
        call_command("check", stdout=StringIO(), stderr=StringIO())
    assert f"{syntaxerr}:8: (bolt.E001)" in str(info.value)


def test_checks_have_the_bolt_tag() -> None:
    with (
        override_settings(BOLT_API=["shop.api:nope"]),
        pytest.raises(SystemCheckError, match=r"bolt\.E002"),
    ):
        call_command("check", "--tag", "bolt", stdout=StringIO(), stderr=StringIO())


def test_bolt_api_entry_whose_module_fails_to_import() -> None:
    with override_settings(BOLT_API=["broken.api:api"]):
        [error] = check_apis()
    assert (error.id, error.obj) == ("bolt.E001", f"{HERE / 'broken' / 'api.py'}:1")
    assert "its module failed to import: ModuleNotFoundError" in error.msg


def test_app_package_that_fails_to_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own ``__init__`` raising: located there, not lost in importlib."""
    package = tmp_path / "badinit"
    package.mkdir()
    (package / "__init__.py").write_text('"""Broken."""\n\nraise RuntimeError("no config")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with override_settings(BOLT_API=None):
            from bolt_django import discovery

            monkeypatch.setattr(discovery, "_candidate_modules", lambda: ["badinit.api"])
            [error] = check_apis()
    finally:
        sys.modules.pop("badinit", None)
    assert (error.id, error.obj) == ("bolt.E001", f"{package / '__init__.py'}:3")
    assert error.msg == ("Cannot look for Bolt API module 'badinit.api': RuntimeError: no config")


@pytest.mark.parametrize(
    ("middleware", "reason"),
    [
        (
            ["django.middleware.common.CommonMiddleware", "shop.nowhere.Middleware"],
            "Django middleware 'shop.nowhere.Middleware' cannot be imported",
        ),
        (["django.middleware.common.NoSuchMiddleware"], "cannot be imported"),
    ],
)
def test_a_django_middleware_path_that_does_not_import(middleware: list[str], reason: str) -> None:
    """runbolt would fail at the start; ``check`` (and so ``migrate``) says it first."""
    with override_settings(
        BOLT_API=["settings_apis:with_django_middleware"], MIDDLEWARE=middleware
    ):
        [error] = check_apis()
    assert (error.id, error.obj) == ("bolt.E005", "middleware")
    assert reason in error.msg


def test_a_django_middleware_name_missing_from_middleware() -> None:
    with override_settings(
        BOLT_API=["settings_apis:only_common"],
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware"],
    ):
        [error] = check_apis()
    assert error.id == "bolt.E005"
    assert "'CommonMiddleware' is not in MIDDLEWARE" in error.msg


def test_django_middleware_that_builds_passes() -> None:
    with override_settings(
        BOLT_API=["settings_apis:with_django_middleware", "settings_apis:only_common"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    ):
        assert check_apis() == []
