"""Which static and media routes the settings give (``bolt_django.static``), in process.

The files themselves, over real HTTP on both engines, are tests/test_static.py's.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api.openapi.schema import build_openapi_schema
from bolt_django.static import (
    DEFAULT_MEDIA_CACHE_CONTROL,
    DEFAULT_STATIC_CACHE_CONTROL,
    DEV_STATIC_CACHE_CONTROL,
    FileMount,
    file_mounts,
    register_file_routes,
)
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

sys.path.insert(0, str(Path(__file__).parents[2] / "bolt-api" / "tests"))
from bolt_api_fakes import FakeRequest, compiled_call


@pytest.fixture
def roots(tmp_path: Path) -> dict[str, Any]:
    static = tmp_path / "static"
    media = tmp_path / "media"
    static.mkdir()
    media.mkdir()
    (static / "a.css").write_text("a {}")
    (media / "x.html").write_text("<p>")
    return {
        "STATIC_URL": "/static/",
        "STATIC_ROOT": str(static),
        "MEDIA_URL": "/media/",
        "MEDIA_ROOT": media,
    }


def test_both_mounts_with_their_defaults(roots: dict[str, Any]) -> None:
    with override_settings(**roots):
        static, media = file_mounts()
    assert (static.prefix, static.cache_control, static.uploads) == (
        "/static/",
        DEFAULT_STATIC_CACHE_CONTROL,
        False,
    )
    assert static.root == str(Path(roots["STATIC_ROOT"]).resolve())
    assert (media.prefix, media.cache_control, media.uploads) == (
        "/media/",
        DEFAULT_MEDIA_CACHE_CONTROL,
        True,
    )
    assert not static.follow_symlinks and not media.follow_symlinks


@pytest.mark.parametrize(
    "overrides",
    [
        {"BOLT_SERVE_STATIC": False, "BOLT_SERVE_MEDIA": False},
        {"STATIC_URL": "https://cdn.example.com/static/", "MEDIA_URL": "//cdn.example.com/m/"},
        {"STATIC_URL": None, "MEDIA_URL": ""},
        {"STATIC_URL": "/", "MEDIA_URL": "/"},
        {"STATIC_ROOT": None, "MEDIA_ROOT": ""},
    ],
    ids=["settings-off", "absolute-urls", "no-urls", "root-urls", "no-roots"],
)
def test_nothing_served(roots: dict[str, Any], overrides: dict[str, Any]) -> None:
    with override_settings(**{**roots, **overrides}):
        assert file_mounts() == []


def test_flags_leave_one_out(roots: dict[str, Any]) -> None:
    with override_settings(**roots):
        assert [m.prefix for m in file_mounts(static=False)] == ["/media/"]
        assert [m.prefix for m in file_mounts(media=False)] == ["/static/"]


def test_settings_for_cache_control_and_symlinks(roots: dict[str, Any]) -> None:
    with override_settings(
        **roots,
        BOLT_STATIC_CACHE_CONTROL="public, max-age=31536000, immutable",
        BOLT_MEDIA_CACHE_CONTROL=None,
        BOLT_STATIC_FOLLOW_SYMLINKS=True,
    ):
        static, media = file_mounts()
    assert static.cache_control == "public, max-age=31536000, immutable"
    assert static.follow_symlinks
    assert media.cache_control is None


def test_debug_uses_the_finders(roots: dict[str, Any]) -> None:
    apps = ["django.contrib.contenttypes", "django.contrib.staticfiles", "bolt_django"]
    with override_settings(**roots, DEBUG=True, INSTALLED_APPS=apps):
        static, _ = file_mounts()
    assert static.root is None
    assert static.cache_control == DEV_STATIC_CACHE_CONTROL
    # without django.contrib.staticfiles, DEBUG serves STATIC_ROOT as usual
    with override_settings(**roots, DEBUG=True):
        static, _ = file_mounts()
    assert static.root is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"BOLT_SERVE_STATIC": "no"}, "True or False"),
        ({"BOLT_MEDIA_FOLLOW_SYMLINKS": 1}, "True or False"),
        ({"BOLT_STATIC_CACHE_CONTROL": 3600}, "header value"),
        ({"BOLT_MEDIA_CACHE_CONTROL": "no-cache\r\nX-Evil: 1"}, "header value"),
        ({"MEDIA_ROOT": 42}, "directory"),
    ],
)
def test_bad_settings(roots: dict[str, Any], overrides: dict[str, Any], message: str) -> None:
    with (
        override_settings(**{**roots, **overrides}),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        file_mounts()


def test_relative_prefix_gets_its_slashes(roots: dict[str, Any]) -> None:
    with override_settings(**{**roots, "STATIC_URL": "assets", "MEDIA_URL": "media/"}):
        assert [m.prefix for m in file_mounts()] == ["/assets/", "/media/"]


def test_routes_public_and_left_out_of_the_document(roots: dict[str, Any]) -> None:
    api = BoltAPI()

    @api.get("/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    with override_settings(**roots):
        served = register_file_routes(api, file_mounts())
    assert served == ["/static/", "/media/"]
    routes = {(r.method, r.template.source) for r in api.routes}
    assert ("GET", "/static/{path:path}") in routes
    assert list(build_openapi_schema(api, api.openapi_config)["paths"]) == ["/ping"]
    call = compiled_call(api, "GET", "/media/{path:path}")
    status, headers, _ = call(FakeRequest(params={"path": "x.html"}))  # type: ignore[misc]
    assert status == 200
    assert ("content-disposition", 'attachment; filename="x.html"') in list(headers)


def test_route_conflict_is_an_error(roots: dict[str, Any]) -> None:
    api = BoltAPI()

    @api.get("/static/{rest:path}")
    def mine(rest: str) -> str:
        return rest

    with override_settings(**roots), pytest.raises(ValueError, match="Route conflict"):
        register_file_routes(api, file_mounts())


@pytest.mark.parametrize(
    "relative",
    ["", "/a.css", "a.css/", "./a.css", "../a.css", "x/../a.css", "a//b", "a\\b", "a\0", "a\nb"],
)
def test_unclean_paths_are_404_without_touching_the_disk(tmp_path: Path, relative: str) -> None:
    from bolt_api.exceptions import NotFound

    mount = FileMount("/static/", str(tmp_path / "does-not-exist"), None)
    with pytest.raises(NotFound):
        mount.locate(relative)


def test_follow_symlinks_serves_a_link_out_of_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "shared.css").write_text("a {}")
    (root / "link.css").symlink_to(outside / "shared.css")
    for follow, expected in ((False, 404), (True, 200)):
        api = BoltAPI()
        register_file_routes(api, [FileMount("/static/", str(root), None, follow)])
        call = compiled_call(api, "GET", "/static/{path:path}")
        status, _, _ = call(FakeRequest(params={"path": "link.css"}))  # type: ignore[misc]
        assert status == expected
