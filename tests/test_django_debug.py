"""Issue 13, item 6, through real HTTP on each engine under ``manage.py runbolt``: with
Django's ``DEBUG`` a 500 shows the exception as JSON (never without it); the log line of an
unhandled exception names the request and the route; ``--dev`` logs each request as
``runserver`` does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import Server, start_server, wait_for

SETTINGS = "tests.apps.debugproject.settings"
HANDLER = "tests.apps.debugproject.api.crash"


def runbolt(engine: str, *flags: str, debug: bool) -> Server:
    return start_server(
        ["-m", "django", "runbolt", "--engine", engine, "--port", "0", *flags],
        engine,
        env={"DJANGO_SETTINGS_MODULE": SETTINGS, "BOLT_TEST_DEBUG": "1" if debug else "0"},
    )


@pytest.fixture(scope="module")
def dev_server(engine: str) -> Iterator[Server]:
    """``DEBUG = True`` and ``--dev``, as in development."""
    srv = runbolt(engine, "--dev", debug=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def production_server(engine: str) -> Iterator[Server]:
    srv = runbolt(engine, debug=False)
    yield srv
    srv.stop()


def test_debug_500_shows_the_exception(dev_server: Server) -> None:
    r = httpx.get(dev_server.url + "/crash/4")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["detail"] == "ZeroDivisionError: cannot divide 4 by zero"
    extra = body["extra"]
    assert extra["exception_type"] == "ZeroDivisionError"
    assert extra["exception"] == "cannot divide 4 by zero"
    assert extra["traceback"][0] == "Traceback (most recent call last):"
    assert any("debugproject/api.py" in line for line in extra["traceback"])


def test_no_exception_in_a_500_without_debug(production_server: Server) -> None:
    r = httpx.get(production_server.url + "/crash/4")
    assert (r.status_code, r.json()) == (500, {"detail": "Internal Server Error"})
    assert "ZeroDivisionError" not in r.text


def check_unhandled_log_line(srv: Server) -> None:
    start = len(srv.output)
    assert httpx.get(srv.url + "/crash/9").status_code == 500
    line = (
        "Unhandled exception in handler for GET /crash/9 "
        f"(route GET /crash/{{n}}, handler {HANDLER})"
    )
    wait_for(lambda: line in "".join(srv.output[start:]), "the log line")
    assert "ZeroDivisionError: cannot divide 9 by zero" in "".join(srv.output[start:])


def test_unhandled_exception_log_names_method_path_and_route(dev_server: Server) -> None:
    check_unhandled_log_line(dev_server)


def test_unhandled_exception_log_line_without_debug(production_server: Server) -> None:
    check_unhandled_log_line(production_server)


def test_dev_logs_each_request_like_runserver(dev_server: Server) -> None:
    start = len(dev_server.output)
    r = httpx.get(dev_server.url + "/ok?x=1")
    assert r.status_code == 200
    size = len(r.content)
    wait_for(
        lambda: f'"GET /ok?x=1 HTTP/1.1" 200 {size}' in "".join(dev_server.output[start:]),
        "the request's log line",
    )
    [line] = [x for x in dev_server.output[start:] if "/ok?x=1" in x]
    assert line.startswith("[")  # Django's 'django.server' formatter: "[time] message"


def test_no_request_log_without_dev(production_server: Server) -> None:
    start = len(production_server.output)
    assert httpx.get(production_server.url + "/ok?quiet=1").status_code == 200
    assert httpx.get(production_server.url + "/crash/1").status_code == 500  # a marker
    wait_for(lambda: "GET /crash/1 " in "".join(production_server.output[start:]), "the marker")
    assert "/ok?quiet=1" not in "".join(production_server.output[start:])
