"""Every request limit on the command line and, under ``runbolt``, as a setting (issue 19,
item 4): ``--max-body-size``, ``--header-timeout``, ``--max-uri-size``, ``--max-header-size``,
``--max-header-count`` and ``settings.BOLT_<FIELD>``, on each engine over real sockets.

The limits' own behaviour (which status, when the connection closes) is the protocol tables'
(tests/protocol); here: that a flag or setting reaches the engine, and that a bad value stops
the start with one line naming it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Server, serve_api, start_server

SITE = ROOT / "tests" / "djsite"
ECHO = "tests.protocol.echo_app:api"


def status_of(server: Server, raw: bytes, timeout: float = 10.0) -> int:
    """Send ``raw`` and return the status of the first response."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def limited(engine: str) -> Iterator[Server]:
    server = serve_api(
        ECHO,
        engine,
        "--max-body-size",
        "100",
        "--max-uri-size",
        "200",
        "--max-header-size",
        "2000",
        "--max-header-count",
        "12",
        "--header-timeout",
        "1",
    )
    yield server
    server.stop()


def test_max_body_size_flag(limited: Server) -> None:
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        assert client.post("/x", content=b"a" * 100).status_code == 200
        assert client.post("/x", content=b"a" * 101).status_code == 413


def test_max_uri_size_flag(limited: Server) -> None:
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        assert client.get("/" + "a" * 150).status_code == 200
        assert client.get("/" + "a" * 250).status_code == 414


def test_max_header_count_and_size_flags(limited: Server) -> None:
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        few = {f"x-h{i}": "v" for i in range(4)}
        assert client.get("/", headers=few).status_code == 200
        many = {f"x-h{i}": "v" for i in range(20)}
        assert client.get("/", headers=many).status_code == 431
        assert client.get("/", headers={"x-big": "v" * 3000}).status_code == 431


def test_header_timeout_flag(limited: Server) -> None:
    with socket.create_connection((limited.host, limited.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        started = time.monotonic()
        data = sock.recv(4096)
        waited = time.monotonic() - started
    assert data.startswith(b"HTTP/1.1 408"), data
    assert waited < 5  # the default is 10 s: the flag's 1 s applied


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-body-size", "0", "--max-body-size must be a whole number, 1 or more, got 0."),
        ("--max-uri-size", "-5", "--max-uri-size must be a whole number, 1 or more, got -5."),
        ("--max-uri-size", "65535", "--max-uri-size must be at most 65534"),
        ("--body-min-rate", "-1", "--body-min-rate must be a whole number, 0 or more, got -1."),
        ("--header-timeout", "inf", "--header-timeout must be a number of seconds"),
        ("--header-timeout", "-1", "--header-timeout must be a number of seconds"),
    ],
)
def test_a_bad_flag_is_a_usage_error(flag: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bolt_api", "serve", ECHO, "--port", "0", flag, value],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def serve_site(engine: str, db: Path, settings: dict[str, object], *flags: str) -> Server:
    env = {f"DJSITE_SETTING_{k}": json.dumps(v) for k, v in settings.items()}
    return start_server(
        ["manage.py", "runbolt", "--engine", engine, "--port", "0", "--skip-checks", *flags],
        engine,
        cwd=SITE,
        env={"DJSITE_DB": str(db), **env},
    )


@pytest.fixture(scope="module")
def site_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("limits") / "db.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=SITE,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJSITE_DB": str(db)},
    )
    assert result.returncode == 0, result.stderr
    return db


def body_status(server: Server, size: int) -> int:
    raw = b"POST /api/ping HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
    return status_of(server, raw + b"a" * size)


@pytest.mark.parametrize("name", ["BOLT_MAX_BODY_SIZE", "BOLT_MAX_UPLOAD_SIZE"])
def test_runbolt_reads_the_body_limit_from_settings(engine: str, site_db: Path, name: str) -> None:
    server = serve_site(engine, site_db, {name: 64, "BOLT_MAX_URI_SIZE": 300})
    try:
        assert body_status(server, 65) == 413
        assert body_status(server, 64) != 413  # the route decides (405: GET only)
        assert status_of(server, b"GET /" + b"a" * 400 + b" HTTP/1.1\r\nHost: x\r\n\r\n") == 414
    finally:
        server.stop()


def test_runbolt_flag_beats_the_setting(engine: str, site_db: Path) -> None:
    server = serve_site(engine, site_db, {"BOLT_MAX_BODY_SIZE": 64}, "--max-body-size", "1000")
    try:
        assert body_status(server, 500) != 413
        assert body_status(server, 1001) == 413
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"BOLT_MAX_BODY_SIZE": "1m"},
            "settings.BOLT_MAX_BODY_SIZE must be a whole number, 1 or more, got '1m'.",
        ),
        (
            {"BOLT_HEADER_TIMEOUT": True},
            "settings.BOLT_HEADER_TIMEOUT must be a number of seconds, 0 or more, got True.",
        ),
        (
            {"BOLT_MAX_BODY_SIZE": 100, "BOLT_MAX_UPLOAD_SIZE": 200},
            "are the same limit: set one.",
        ),
    ],
)
def test_runbolt_refuses_a_bad_setting(
    site_db: Path, settings: dict[str, object], message: str
) -> None:
    env = {f"DJSITE_SETTING_{k}": json.dumps(v) for k, v in settings.items()}
    result = subprocess.run(
        [sys.executable, "manage.py", "runbolt", "--port", "0", "--skip-checks"],
        cwd=SITE,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJSITE_DB": str(site_db), **env},
    )
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
