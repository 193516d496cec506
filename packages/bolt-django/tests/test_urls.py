"""``bolt_django.urls``: Bolt's route names as reverse-only Django URL patterns.

The conformance side (a Django view reversing Bolt's names under runbolt, and the paths it
gets served by Bolt, on both engines) is tests/test_django_site.py.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
from bolt_api import BoltAPI
from bolt_django.urls import build_urlpatterns
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, clear_url_caches, include, path, reverse


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/", name="home")
    def home() -> dict[str, str]:
        return {}

    @api.get("/items/{item_id}", name="item-detail")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @api.get("/files/{rest:path}", name="file")
    def file(rest: str) -> dict[str, str]:
        return {"rest": rest}

    @api.get("/unnamed/{x}")
    def unnamed(x: int) -> dict[str, int]:
        return {"x": x}

    return api


@pytest.fixture
def urlconf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A URLconf of the patterns ``build_urlpatterns(make_api())`` gives, under ``/v1/``."""
    module = types.ModuleType("bolt_test_urlconf")
    module.urlpatterns = [path("v1/", include(build_urlpatterns(make_api())))]  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "bolt_test_urlconf", module)
    clear_url_caches()
    with override_settings(ROOT_URLCONF="bolt_test_urlconf"):
        yield
    clear_url_caches()


def test_reverse_gives_the_same_path_as_url_path_for(urlconf: None) -> None:
    api = make_api()
    assert reverse("item-detail", kwargs={"item_id": 3}) == "/v1" + api.url_path_for(
        "item-detail", item_id=3
    )
    assert reverse("home") == "/v1/"
    assert reverse("file", kwargs={"rest": "a/b.txt"}) == "/v1/files/a/b.txt"


def test_only_named_routes_are_reversible(urlconf: None) -> None:
    with pytest.raises(NoReverseMatch):
        reverse("unnamed")
    with pytest.raises(NoReverseMatch):  # a segment parameter takes no slash
        reverse("item-detail", kwargs={"item_id": "a/b"})


def test_the_entries_are_reverse_only(urlconf: None) -> None:
    """Django's handler answers 404 on them: under runbolt Bolt serves these paths first."""
    assert Client().get("/v1/items/3").status_code == 404


def test_one_name_for_two_paths_across_apis_is_an_error() -> None:
    one, other = BoltAPI(), BoltAPI()
    one.get("/a", name="thing")(lambda: {})
    other.get("/b", name="thing")(lambda: {})
    with pytest.raises(ValueError, match="'thing' is used by two APIs"):
        build_urlpatterns(one, other)
    assert len(build_urlpatterns(one, one)) == 1


def test_urlpatterns_are_the_discovered_apis_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module's ``urlpatterns`` are built on first use, from the APIs runbolt serves."""
    import bolt_django.urls as urls

    monkeypatch.setattr(urls, "_built", None)
    with override_settings(BOLT_API=["guarded.api:api", "shop.api:api"]):
        assert [p.name for p in urls.urlpatterns] == ["public"]  # guarded.api's named route
    assert [p.name for p in urls.urlpatterns] == ["public"]  # built once
    with pytest.raises(AttributeError):
        urls.nope  # noqa: B018
