from __future__ import annotations

import blog.api
import pytest
import settings_apis
import shop.api
import testproject.api
from bolt_django import discover_apis
from django.core.management import CommandError
from django.test import override_settings


def test_autodiscovers_project_then_apps() -> None:
    found = discover_apis()
    assert found == [("testproject.api:api", testproject.api.api), ("shop.api:api", shop.api.api)]


def test_first_module_level_api_when_none_is_called_api() -> None:
    with override_settings(INSTALLED_APPS=["bolt_django", "blog"]):
        found = discover_apis()
    assert ("blog.api:public", blog.api.public) in found
    assert all(api is not blog.api.internal for _, api in found)


def test_skips_django_contrib_and_apps_without_api_module() -> None:
    with override_settings(
        INSTALLED_APPS=["django.contrib.contenttypes", "bolt_django", "noapi"],
        ROOT_URLCONF="noapi.urls",
    ):
        assert discover_apis() == []


def test_root_urlconf_plain_module_is_skipped() -> None:
    with override_settings(ROOT_URLCONF="conftest"):
        assert discover_apis() == [("shop.api:api", shop.api.api)]


def test_same_api_object_listed_once() -> None:
    with override_settings(BOLT_API=["settings_apis:first", "settings_apis:first"]):
        assert discover_apis() == [("settings_apis:first", settings_apis.first)]


def test_bolt_api_setting_is_exclusive() -> None:
    with override_settings(BOLT_API=["settings_apis:second", "settings_apis:first"]):
        found = discover_apis()
    assert found == [
        ("settings_apis:second", settings_apis.second),
        ("settings_apis:first", settings_apis.first),
    ]


def test_empty_bolt_api_setting_serves_nothing() -> None:
    with override_settings(BOLT_API=[]):
        assert discover_apis() == []


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("settings_apis", "expected 'module:attribute'"),
        ("settings_apis:missing", "has no attribute 'missing'"),
        ("settings_apis:not_an_api", "is a int, not a BoltAPI"),
        ("no_such_module_xyz:api", "No module named 'no_such_module_xyz'"),
    ],
)
def test_bad_bolt_api_entry(entry: str, reason: str) -> None:
    with (
        override_settings(BOLT_API=["settings_apis:first", entry]),
        pytest.raises(CommandError) as info,
    ):
        discover_apis()
    assert repr(entry) in str(info.value)
    assert reason in str(info.value)


@pytest.mark.parametrize("value", ["settings_apis:first", [3]])
def test_bolt_api_setting_must_be_a_list_of_strings(value: object) -> None:
    with override_settings(BOLT_API=value), pytest.raises(CommandError, match="BOLT_API"):
        discover_apis()


def test_api_module_failing_to_import_is_an_error() -> None:
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "broken"]),
        pytest.raises(CommandError) as info,
    ):
        discover_apis()
    message = str(info.value)
    assert "'broken.api' exists but failed to import" in message
    assert "No module named 'bolt_missing_dependency_for_tests'" in message
