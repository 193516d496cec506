"""``BOLT_COMPRESSION``, ``BOLT_ALLOWED_FILE_PATHS`` and the authentication defaults reach the
served API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bolt_api import BoltAPI, CompressionConfig
from bolt_api.files import FileResponse
from bolt_django.conf import apply_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

sys.path.insert(0, str(Path(__file__).parents[2] / "bolt-api" / "tests"))
from bolt_api_fakes import FakeRequest, compiled_call


def test_compression_setting_wins_over_the_api() -> None:
    api = BoltAPI(compression=CompressionConfig(backend="gzip", minimum_size=10))
    config = CompressionConfig(minimum_size=2000)
    with override_settings(BOLT_COMPRESSION=config):
        apply_settings(api)
    assert api.compression is config
    with override_settings(BOLT_COMPRESSION=False):
        apply_settings(api)
    assert api.compression is False


def test_compression_none_means_the_defaults_as_in_the_argument() -> None:
    """``None`` means the same in the setting and in ``BoltAPI(compression=None)``."""
    for api in (BoltAPI(compression=False), BoltAPI(compression=None)):
        with override_settings(BOLT_COMPRESSION=None):
            apply_settings(api)
        assert api.compression is None
        on = BoltAPI(compression=None)
        for target in (api, on):

            @target.get("/big")
            def big() -> str:
                return "x" * 1000

        for target in (api, on):
            call = next(s.call for s in target.compile().routes if s.path == "/big")
            response = call(FakeRequest(headers={"accept-encoding": "gzip"}))
            assert ("content-encoding", "gzip") in list(response[1])


def test_compression_absent_keeps_the_api_choice() -> None:
    api = BoltAPI(compression=False)
    apply_settings(api)
    assert api.compression is False


def test_bad_settings_are_refused() -> None:
    with override_settings(BOLT_COMPRESSION="gzip"), pytest.raises(ImproperlyConfigured):
        apply_settings(BoltAPI())
    with override_settings(BOLT_ALLOWED_FILE_PATHS="/srv"), pytest.raises(ImproperlyConfigured):
        apply_settings(BoltAPI())


def test_allowed_file_paths(tmp_path: Path) -> None:
    api = BoltAPI()

    @api.get("/outside")
    def outside() -> FileResponse:
        return FileResponse("/etc/hostname")

    @api.get("/inside")
    def inside() -> FileResponse:
        return FileResponse(tmp_path / "a.txt")

    (tmp_path / "a.txt").write_bytes(b"a")
    with override_settings(BOLT_ALLOWED_FILE_PATHS=[str(tmp_path)]):
        apply_settings(api)
    assert api.allowed_file_paths == [str(tmp_path)]
    assert compiled_call(api, "GET", "/outside")(FakeRequest())[0] == 403
    assert compiled_call(api, "GET", "/inside")(FakeRequest())[0] == 200


def test_max_param_length() -> None:
    api = BoltAPI()

    @api.get("/q")
    def query(q: str) -> str:
        return q

    with override_settings(BOLT_MAX_PARAM_LENGTH=3):
        apply_settings(api)
    call = next(s.call for s in api.compile().routes if s.path == "/q" and s.method == "GET")
    assert call(FakeRequest(query={"q": "abc"}))[0] == 200
    assert call(FakeRequest(query={"q": "abcd"}))[0] == 422
    with override_settings(BOLT_MAX_PARAM_LENGTH="8"), pytest.raises(ImproperlyConfigured):
        apply_settings(api)


def test_authentication_defaults_apply_to_routes_that_declare_none() -> None:
    from bolt_api.auth import APIKeyAuthentication, IsAuthenticated

    api = BoltAPI()

    @api.get("/default")
    def default() -> str:
        return "in"

    @api.get("/open", auth=[], guards=[])
    def open_route() -> str:
        return "open"

    key = APIKeyAuthentication({"k" * 20})
    with override_settings(
        BOLT_AUTHENTICATION_CLASSES=[key], BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated()]
    ):
        apply_settings(api)
    calls = {s.path: s.call for s in api.compile().routes if s.method == "GET"}
    assert calls["/default"](FakeRequest())[0] == 401
    assert calls["/default"](FakeRequest(headers={"x-api-key": "k" * 20}))[0] == 200
    assert calls["/open"](FakeRequest())[0] == 200


def test_authentication_settings_take_instances() -> None:
    from bolt_api.auth import IsAuthenticated

    for name, value in (
        ("BOLT_AUTHENTICATION_CLASSES", ["jwt"]),
        ("BOLT_AUTHENTICATION_CLASSES", "jwt"),
        ("BOLT_DEFAULT_PERMISSION_CLASSES", [IsAuthenticated]),
    ):
        with override_settings(**{name: value}), pytest.raises(ImproperlyConfigured):
            apply_settings(BoltAPI())


def _hello_api(**kwargs: object) -> BoltAPI:
    api = BoltAPI(compression=False, **kwargs)  # type: ignore[arg-type]

    @api.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return api


def _status(api: BoltAPI, host: str | None, **headers: str) -> int:
    request = FakeRequest(path="/hello", host=host, headers=headers or None)
    status: int = compiled_call(api, "GET", "/hello")(request)[0]  # type: ignore[index]
    return status


def test_allowed_hosts_are_enforced_as_django_does() -> None:
    with override_settings(ALLOWED_HOSTS=["api.example.com", ".example.org"]):
        api = _hello_api()
        apply_settings(api)
    assert _status(api, "api.example.com:8000") == 200
    assert _status(api, "www.example.org") == 200
    assert _status(api, "evil.example") == 400
    assert _status(api, None) == 400
    with override_settings(ALLOWED_HOSTS=["api.example.com"], USE_X_FORWARDED_HOST=True):
        forwarded = _hello_api()
        apply_settings(forwarded)
    assert _status(forwarded, "internal", **{"x-forwarded-host": "api.example.com"}) == 200
    assert _status(forwarded, "api.example.com", **{"x-forwarded-host": "evil.example"}) == 400


def test_debug_with_no_hosts_allows_djangos_development_names() -> None:
    with override_settings(ALLOWED_HOSTS=[], DEBUG=True):
        api = _hello_api()
        apply_settings(api)
    for host in ("localhost:8000", "app.localhost", "127.0.0.1", "[::1]:8000"):
        assert _status(api, host) == 200, host
    assert _status(api, "example.com") == 400
    with override_settings(ALLOWED_HOSTS=[], DEBUG=False):
        closed = _hello_api()
        apply_settings(closed)
    assert _status(closed, "localhost") == 400  # as Django: nothing is allowed


def test_the_apis_own_list_wins_and_bad_settings_are_refused() -> None:
    api = _hello_api(allowed_hosts=["own.example"])
    with override_settings(ALLOWED_HOSTS=["api.example.com"]):
        apply_settings(api)
    assert _status(api, "own.example") == 200
    assert _status(api, "api.example.com") == 400
    with override_settings(ALLOWED_HOSTS="api.example.com"), pytest.raises(ImproperlyConfigured):
        apply_settings(BoltAPI())


def test_debug_follows_django_debug() -> None:
    """Django's DEBUG decides, whatever the API said: off in production means off."""
    api = BoltAPI(debug=True)
    with override_settings(DEBUG=False):
        apply_settings(api)
    assert api.debug is False
    with override_settings(DEBUG=True):
        apply_settings(api)
    assert api.debug is True
