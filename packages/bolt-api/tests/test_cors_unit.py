"""CORS declarations: what is refused when declared, what django-cors-headers' settings
become, and which routes get the stages (the behaviour over HTTP is tests/test_cors.py)."""

from __future__ import annotations

import types
from typing import Any

import pytest
from bolt_api import BoltAPI, CORSConfig, cors
from bolt_api._pipeline import pipeline
from bolt_api.cors import DEFAULT_ALLOW_METHODS, config_from_settings
from bolt_api.files import FileAccess


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "must allow some origin"),
        ({"allowed_origins": ["*"]}, "use allow_all_origins=True"),
        ({"allowed_origins": ["https://a.example/"]}, "no path"),
        ({"allowed_origins": ["a.example"]}, "scheme://host"),
        ({"allowed_origin_regexes": ["(unclosed"]}, "missing"),
        ({"allow_all_origins": True, "max_age": -1}, "max_age"),
        ({"allow_all_origins": True, "allow_methods": ["GET POST"]}, "not an HTTP token"),
    ],
)
def test_a_policy_that_cannot_work_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CORSConfig(**kwargs)


def test_a_policy_is_normalised() -> None:
    config = CORSConfig(
        allowed_origins=["HTTPS://App.Example.com"],
        allow_methods=["get", "post", "GET"],
        allow_headers=["X-Token"],
    )
    assert config.allowed_origins == ("https://app.example.com",)
    assert config.allow_methods == ("GET", "POST")
    assert config.allow_headers == ("x-token",)


def test_flags_must_be_booleans() -> None:
    with pytest.raises(TypeError, match="allow_credentials"):
        CORSConfig(allow_all_origins=True, allow_credentials="yes")  # type: ignore[arg-type]


def test_cors_decorator_checks_now() -> None:
    with pytest.raises(ValueError, match="no path"):
        cors(origins=["https://a.example/x"])
    with pytest.raises(ValueError, match="max_age"):
        cors(origins="*", max_age=-5)


def test_cors_without_origins_needs_an_api_policy() -> None:
    api = BoltAPI()

    @api.get("/x")
    @cors()
    def x() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match=r"GET /x: @cors\(\) names no origins"):
        api.compile()
    api.cors = CORSConfig(allowed_origins=["https://a.example"])
    api.compile()  # the API's origins now


def test_settings_become_a_policy() -> None:
    settings = types.SimpleNamespace(
        CORS_ALLOWED_ORIGINS=["https://a.example"],
        CORS_ALLOW_CREDENTIALS=True,
        CORS_EXPOSE_HEADERS=["X-Total"],
        CORS_PREFLIGHT_MAX_AGE=120,
    )
    config = config_from_settings(settings)
    assert config == CORSConfig(
        allowed_origins=("https://a.example",),
        allow_credentials=True,
        expose_headers=("x-total",),
        max_age=120,
    )
    assert config.allow_methods == DEFAULT_ALLOW_METHODS


def test_old_setting_names_and_none() -> None:
    assert config_from_settings(types.SimpleNamespace()) is None
    assert config_from_settings(types.SimpleNamespace(CORS_ALLOWED_ORIGINS=[])) is None
    old = config_from_settings(types.SimpleNamespace(CORS_ORIGIN_ALLOW_ALL=True))
    assert old is not None and old.allow_all_origins


def test_settings_bolt_cannot_honour_are_errors() -> None:
    with pytest.raises(ValueError, match="CORS_URLS_REGEX"):
        config_from_settings(
            types.SimpleNamespace(CORS_ALLOW_ALL_ORIGINS=True, CORS_URLS_REGEX=r"^/api/.*$")
        )
    with pytest.raises(ValueError, match="no path"):
        config_from_settings(types.SimpleNamespace(CORS_ALLOWED_ORIGINS=["https://a.example/"]))


def test_mount_and_merge_refuse_a_second_policy() -> None:
    outer = BoltAPI(cors=CORSConfig(allowed_origins=["https://a.example"]))
    inner = BoltAPI(cors=CORSConfig(allowed_origins=["https://b.example"]))
    with pytest.raises(ValueError, match="mounted API has a CORS policy"):
        outer.mount("/inner", inner)
    outer.mount("/same", BoltAPI(cors=outer.cors))
    outer.mount("/none", BoltAPI())
    with pytest.raises(ValueError, match="different CORS policies"):
        BoltAPI.merge([outer, inner])
    assert BoltAPI.merge([outer, BoltAPI(cors=outer.cors)]).cors == outer.cors


def test_cors_takes_a_config() -> None:
    with pytest.raises(TypeError, match="CORSConfig"):
        BoltAPI(cors={"allowed_origins": ["https://a.example"]})  # type: ignore[arg-type]


def _stages(api: BoltAPI, method: str) -> tuple[str, ...]:
    from bolt_api._app import _route_cors
    from bolt_api._cors import CORSPolicy

    entry = next(e for e in api.routes if e.method == method)
    policy = _route_cors(entry, api.cors, None if api.cors is None else CORSPolicy(api.cors))
    built = pipeline(entry, compress=None, count=None, files=FileAccess.under(None), cors=policy)
    return built.stages


def test_only_routes_with_a_policy_have_the_stages() -> None:
    api = BoltAPI()

    @api.get("/plain")
    def plain() -> dict[str, str]:
        return {}

    assert "cors" not in _stages(api, "GET")
    api = BoltAPI(cors=CORSConfig(allow_all_origins=True))

    @api.get("/x")
    def x() -> dict[str, str]:
        return {}

    @api.options("/x")
    def options() -> dict[str, str]:
        return {}

    assert _stages(api, "GET")[-1] == "cors"
    assert "preflight" not in _stages(api, "GET")
    assert _stages(api, "OPTIONS")[0] == "preflight"


def test_a_cors_api_leaves_misses_to_python() -> None:
    """The engine's own 404 would carry no CORS headers: with a policy there is none."""
    assert BoltAPI().compile().not_found is not None
    assert BoltAPI(cors=CORSConfig(allow_all_origins=True)).compile().not_found is None
