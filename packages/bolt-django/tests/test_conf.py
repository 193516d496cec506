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
