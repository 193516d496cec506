"""Allowed hosts without sockets: Django's matching rules, what a list refuses when
declared, which routes get the ``host`` stage, and mount/merge keeping one list (the
behaviour over HTTP is tests/test_hosts.py)."""

from __future__ import annotations

import logging

import pytest
from bolt_api import AllowedHosts, BoltAPI
from bolt_api.engine import Needs
from bolt_api.hosts import INVALID_HOST, split_domain_port
from bolt_api_fakes import FakeRequest, compiled_call


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", ("example.com", "")),
        ("Example.COM:8000", ("example.com", "8000")),
        ("example.com.", ("example.com", "")),
        ("[::1]:8000", ("[::1]", "8000")),
        ("[::1]", ("[::1]", "")),
        ("a:b", ("", "")),
        ("user@example.com", ("", "")),
        ("example.com/x", ("", "")),
        ("exa mple.com", ("", "")),
        ("", ("", "")),
    ],
)
def test_split_domain_port_follows_django(host: str, expected: tuple[str, str]) -> None:
    assert split_domain_port(host) == expected


@pytest.mark.parametrize(
    ("allowed", "host", "verdict"),
    [
        (["example.com"], "example.com", True),
        (["example.com"], "EXAMPLE.com:80", True),
        (["example.com"], "www.example.com", False),
        ([".example.com"], "example.com", True),
        ([".example.com"], "a.b.example.com", True),
        ([".example.com"], "badexample.com", False),
        (["Example.COM"], "example.com", True),
        (["*"], "anything.at.all", True),
        (["*"], "not a host", True),  # Django's "*" allows any value too
        (["[::1]"], "[::1]:8000", True),
        (["example.com"], "", False),
    ],
)
def test_matching_follows_django(allowed: list[str], host: str, verdict: bool) -> None:
    request = FakeRequest(host=host or None)
    assert AllowedHosts(allowed).allows(request) is verdict  # type: ignore[arg-type]


def test_forwarded_host_is_read_only_when_trusted() -> None:
    request = FakeRequest(headers={"host": "internal", "x-forwarded-host": "api.example.com"})
    assert not AllowedHosts(["api.example.com"]).allows(request)  # type: ignore[arg-type]
    trusted = AllowedHosts(["api.example.com"], use_forwarded_host=True)
    assert trusted.allows(request)  # type: ignore[arg-type]
    assert trusted.needs == Needs.HEADERS
    assert AllowedHosts(["x"]).needs == Needs.HOST


@pytest.mark.parametrize(
    ("hosts", "error"),
    [("example.com", TypeError), ([""], ValueError), ([None], ValueError)],
)
def test_a_list_that_cannot_work_is_refused(hosts: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        AllowedHosts(hosts)  # type: ignore[arg-type]


def test_the_memo_stays_bounded() -> None:
    hosts = AllowedHosts(["example.com"])
    for n in range(2000):
        hosts.allows(FakeRequest(host=f"h{n}.example.net"))  # type: ignore[arg-type]
    assert len(hosts._verdicts) <= 512


def test_a_refusal_is_logged_as_django_does(caplog: pytest.LogCaptureFixture) -> None:
    hosts = AllowedHosts(["example.com"])
    with caplog.at_level(logging.WARNING, logger="django.security.DisallowedHost"):
        assert not hosts.allows(FakeRequest(host="evil.example:81"))  # type: ignore[arg-type]
        assert not hosts.allows(FakeRequest(host="a:b"))  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "Invalid HTTP_HOST header: 'evil.example:81'. You may need to add 'evil.example' "
        "to ALLOWED_HOSTS.",
        "Invalid HTTP_HOST header: 'a:b'. The domain name provided is not valid according "
        "to RFC 1034/1035.",
    ]
    assert all(r.exc_info is None for r in caplog.records)


def _api(hosts: object, path: str = "/plain") -> BoltAPI:
    api = BoltAPI(allowed_hosts=hosts, compression=False)  # type: ignore[arg-type]

    @api.get(path)
    def plain() -> dict[str, int]:
        return {"a": 1}

    return api


def test_only_a_list_other_than_star_adds_the_stage() -> None:
    for hosts in (None, ["*"], ["a.example", "*"]):
        spec = next(s for s in _api(hosts).compile().routes if s.path == "/plain")
        assert not spec.needs & Needs.HOST
        assert spec.call(FakeRequest(host="evil.example"))[0] == 200  # type: ignore[arg-type, index]
    app = _api(["a.example"]).compile()
    spec = next(s for s in app.routes if s.path == "/plain")
    assert spec.needs & Needs.HOST
    assert app.not_found is None  # an engine must not answer misses without the check


def test_the_compiled_route_refuses_and_serves() -> None:
    call = compiled_call(_api(["a.example"]), "GET", "/plain")
    status, _, body = call(FakeRequest(host="evil.example"))  # type: ignore[arg-type]
    assert (status, body) == (400, b'{"detail":"' + INVALID_HOST.encode() + b'"}')
    assert call(FakeRequest(host="a.example"))[0] == 200  # type: ignore[arg-type]


def test_the_docs_and_the_fallback_refuse() -> None:
    app = _api(["a.example"]).compile()
    docs = next(s for s in app.routes if s.path.endswith("openapi.json"))
    assert docs.call(FakeRequest(host="evil.example"))[0] == 400  # type: ignore[arg-type, index]
    miss = FakeRequest(path="/nope", host="evil.example")
    assert app.fallback(miss, None)[0] == 400  # type: ignore[arg-type]
    assert app.fallback(FakeRequest(path="/nope", host="a.example"), None)[0] == 404  # type: ignore[arg-type]


def test_mount_and_merge_keep_one_list() -> None:
    outer = BoltAPI()
    with pytest.raises(ValueError, match="allowed_hosts of its own"):
        outer.mount("/inner", _api(["a.example"]))
    same = BoltAPI(allowed_hosts=["a.example"])
    same.mount("/inner", _api(["a.example"]))
    with pytest.raises(ValueError, match="different allowed_hosts"):
        BoltAPI.merge([_api(["a.example"]), _api(["b.example"], "/other")])
    merged = BoltAPI.merge([_api(["a.example"]), _api(["a.example"], "/other")])
    assert merged.allowed_hosts == AllowedHosts(["a.example"])
