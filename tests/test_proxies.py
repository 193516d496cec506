"""Trusted proxies (issue 5 §5): ``X-Forwarded-For``/``-Proto`` only from a trusted peer.

Conformance over real HTTP on both engines: the catalog served without trusted proxies
ignores the headers; served with ``--trusted-proxy 127.0.0.1 --trusted-proxy 10.0.0.0/8``
(the test client connects from 127.0.0.1) ``request.client`` and ``request.scheme`` come from
them, by the rules of ``bolt_api.proxies`` (unit-tested at the end of this file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bolt_api.proxies import TrustedProxies

from .conftest import ROOT, Server, start_server

APP = "tests.apps.catalog:api"


@pytest.fixture(scope="module")
def proxied(engine: str) -> Iterator[Server]:
    """The catalog, trusting 127.0.0.1 and 10.0.0.0/8."""
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            APP,
            "--engine",
            engine,
            "--port",
            "0",
            "--trusted-proxy",
            "127.0.0.1",
            "--trusted-proxy",
            "10.0.0.0/8",
        ],
        engine,
    )
    yield srv
    srv.stop()


def seen(srv: Server, headers: Any = None) -> dict[str, Any]:
    response = httpx.get(srv.url + "/proxy/client", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# -- without trusted proxies ------------------------------------------------------------------


def test_headers_ignored_without_trusted_proxies(server: Server) -> None:
    got = seen(server, {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"})
    assert got["host"] == "127.0.0.1"
    assert got["port"] > 0
    assert got["scheme"] == "http"
    assert got["absolute"].startswith("http://")


# -- with 127.0.0.1 trusted ---------------------------------------------------------------------


def test_no_header_is_the_peer(proxied: Server) -> None:
    got = seen(proxied)
    assert (got["host"], got["scheme"]) == ("127.0.0.1", "http")
    assert got["port"] > 0


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        # A chain: trusted hops (127.0.0.1, 10.0.0.0/8) are skipped from the right.
        ("203.0.113.7, 10.1.2.3", "203.0.113.7"),
        ("203.0.113.7,10.1.2.3 , 127.0.0.1", "203.0.113.7"),
        # Spoofed left-most entries are the client's own words: ignored.
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),
        ("6.6.6.6, 7.7.7.7, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # Every hop trusted: the left-most one.
        ("10.0.0.1, 10.0.0.2", "10.0.0.1"),
        # Ports and IPv6.
        ("198.51.100.2:4711", "198.51.100.2"),
        ("[2001:db8::1]:4711", "2001:db8::1"),
        ("2001:db8::2", "2001:db8::2"),
        # Malformed: the walk stops there; the client is the last trusted hop (else the peer).
        ("garbage", "127.0.0.1"),
        ("unknown", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("203.0.113.7, garbage", "127.0.0.1"),
        ("203.0.113.7, 300.1.2.3", "127.0.0.1"),
        ("6.6.6.6, garbage, 10.0.0.5", "10.0.0.5"),
        ("203.0.113.7,, 10.0.0.5", "10.0.0.5"),
    ],
)
def test_client_from_forwarded_for(proxied: Server, forwarded_for: str, client: str) -> None:
    got = seen(proxied, {"x-forwarded-for": forwarded_for})
    assert got["host"] == client
    if client != "127.0.0.1":
        assert got["port"] == 0


def test_repeated_forwarded_for_headers_are_one_list(proxied: Server) -> None:
    got = seen(proxied, [("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.9")])
    assert got["host"] == "203.0.113.9"


@pytest.mark.parametrize(
    ("proto", "scheme"),
    [
        ("https", "https"),
        ("HTTPS", "https"),
        ("http", "http"),
        ("http ,https", "https"),
        ("http, https", "https"),
        ("https, http", "http"),
        ("ftp", "http"),
        ("", "http"),
        ("https;x", "http"),
    ],
)
def test_scheme_from_forwarded_proto(proxied: Server, proto: str, scheme: str) -> None:
    got = seen(proxied, {"x-forwarded-proto": proto, "host": "api.example"})
    assert got["scheme"] == scheme
    assert got["absolute"] == f"{scheme}://api.example/x?y=1"


def test_access_log_shows_the_resolved_client(engine: str) -> None:
    srv = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            APP,
            "--engine",
            engine,
            "--port",
            "0",
            "--access-log",
            "--trusted-proxy",
            "127.0.0.1",
        ],
        engine,
    )
    try:
        # /sync does not read the request: the engine still resolves the client for the log.
        for path, forwarded_for in (
            ("/sync", "203.0.113.5"),
            ("/proxy/client", "203.0.113.6"),
            ("/nowhere", "6.6.6.6, 203.0.113.8"),
            ("/sync", "bad"),
        ):
            httpx.get(srv.url + path, headers={"x-forwarded-for": forwarded_for}, timeout=10)
    finally:
        output = srv.stop()
    clients = [
        line.split(" ", 1)[0]
        for line in output.splitlines()
        if '" 200 ' in line or '" 404 ' in line
    ]
    assert clients == ["203.0.113.5", "203.0.113.6", "203.0.113.8", "127.0.0.1"], output


# -- configuration errors -----------------------------------------------------------------------


def test_bolt_serve_rejects_a_bad_proxy(engine: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bolt_api",
            "serve",
            APP,
            "--engine",
            engine,
            "--port",
            "0",
            "--trusted-proxy",
            "10.0.0.1/8",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "did you mean '10.0.0.0/8'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_runbolt_rejects_a_bad_setting(tmp_path: Path) -> None:
    (tmp_path / "proxy_settings.py").write_text(
        textwrap.dedent("""
        from project.settings import *  # noqa: F403
        BOLT_TRUSTED_PROXIES = ["127.0.0.1", "not-an-ip"]
    """)
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proxy_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "examples")]),
        "BOLT_EXAMPLE_DB": str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--port", "0"],
        cwd=ROOT / "examples",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode != 0
    assert "BOLT_TRUSTED_PROXIES" in result.stderr
    assert "'not-an-ip' is not an IP address or a CIDR network" in result.stderr
    assert "Traceback" not in result.stderr


# -- bolt_api.proxies, directly -----------------------------------------------------------------


def test_trusted_proxies_unit() -> None:
    proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8", "2001:db8:ff::/48"])
    assert proxies.entries == ("127.0.0.1/32", "10.0.0.0/8", "2001:db8:ff::/48")
    assert proxies.is_trusted("10.9.9.9") and proxies.is_trusted("::ffff:127.0.0.1")
    assert not proxies.is_trusted("11.0.0.1") and not proxies.is_trusted("nonsense")
    peer = ("2001:db8:ff::1", 5000)
    assert proxies.client(peer, "203.0.113.1") == ("203.0.113.1", 0)
    assert proxies.client(("192.0.2.1", 5000), "203.0.113.1") == ("192.0.2.1", 5000)
    assert proxies.client(None, "203.0.113.1") is None
    assert proxies.client(peer, None) == peer
    assert proxies.scheme(peer, "https") == "https"
    assert proxies.scheme(("192.0.2.1", 5000), "https") == "http"
    assert not TrustedProxies([])
    for bad, message in (
        ("1.2.3.4/33", "not an IP address"),
        ("host", "not an IP address"),
        ("10.0.0.1/8", "host bits set"),
    ):
        with pytest.raises(ValueError, match=message):
            TrustedProxies([bad])
    with pytest.raises(ValueError, match="not a single string"):
        TrustedProxies("127.0.0.1")
