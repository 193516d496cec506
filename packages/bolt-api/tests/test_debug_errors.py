"""A 500 shows the exception only with ``debug``; the log line names the request and route."""

from __future__ import annotations

import json
import logging

import pytest
from bolt_api import BoltAPI
from bolt_api.errors import BoltError, ErrorHandling, debug_error, problem_details
from bolt_api_fakes import FakeRequest, compiled_call


def crashing_api(**options: object) -> BoltAPI:
    api = BoltAPI(**options)  # type: ignore[arg-type]

    @api.get("/crash/{n}")
    def crash(n: int) -> dict[str, int]:
        raise ValueError(f"boom {n}")

    return api


def test_debug_off_is_the_bare_500() -> None:
    call = compiled_call(crashing_api(), "GET", "/crash/{n}")
    status, _, body = call(FakeRequest(path="/crash/3", params={"n": "3"}))
    assert (status, json.loads(body)) == (500, {"detail": "Internal Server Error"})


def test_debug_on_shows_type_message_and_traceback() -> None:
    call = compiled_call(crashing_api(debug=True), "GET", "/crash/{n}")
    status, headers, body = call(FakeRequest(path="/crash/3", params={"n": "3"}))
    assert status == 500
    assert ("content-type", "application/json") in headers
    data = json.loads(body)
    assert data["detail"] == "ValueError: boom 3"
    extra = data["extra"]
    assert (extra["exception"], extra["exception_type"]) == ("boom 3", "ValueError")
    assert extra["traceback"][0] == "Traceback (most recent call last):"
    assert extra["traceback"][-1] == "ValueError: boom 3"
    assert any("raise ValueError" in line for line in extra["traceback"])


def test_debug_set_after_the_routes_is_read_by_compile() -> None:
    """Django's DEBUG is applied to the (merged) API after its routes were declared."""
    api = BoltAPI.merge([crashing_api()])
    api.debug = True
    call = compiled_call(api, "GET", "/crash/{n}")
    _, _, body = call(FakeRequest(path="/crash/1", params={"n": "1"}))
    assert json.loads(body)["detail"] == "ValueError: boom 1"
    assert BoltAPI.merge([crashing_api(debug=True)]).debug


def test_debug_never_changes_handled_errors() -> None:
    api = BoltAPI(debug=True)

    @api.get("/n/{n}")
    def n(n: int) -> int:
        return n

    _, _, body = compiled_call(api, "GET", "/n/{n}")(FakeRequest(path="/n/x", params={"n": "x"}))
    assert "extra" not in json.loads(body)


def test_debug_body_reaches_an_error_formatter() -> None:
    call = compiled_call(
        crashing_api(debug=True, error_formatter=problem_details), "GET", "/crash/{n}"
    )
    _, _, body = call(FakeRequest(path="/crash/2", params={"n": "2"}))
    data = json.loads(body)
    assert (data["status"], data["detail"]) == (500, "ValueError: boom 2")
    assert data["extra"]["exception_type"] == "ValueError"


def test_debug_error_without_exception_is_unchanged() -> None:
    error = BoltError(500, "internal_error", "Internal Server Error")
    assert debug_error(error) is error


def test_log_line_names_method_path_and_route(caplog: pytest.LogCaptureFixture) -> None:
    call = compiled_call(crashing_api(), "GET", "/crash/{n}")
    with caplog.at_level(logging.ERROR, logger="bolt_api"):
        call(FakeRequest(path="/crash/7", params={"n": "7"}))
    [record] = caplog.records
    assert record.getMessage() == (
        "Unhandled exception in handler for GET /crash/7 "
        f"(route GET /crash/{{n}}, handler {__name__}.crashing_api.<locals>.crash)"
    )
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_log_line_without_a_route(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bolt_api"):
        ErrorHandling().handle_exception(RuntimeError("x"), FakeRequest(path="/docs"))  # type: ignore[arg-type]
    assert caplog.records[0].getMessage() == "Unhandled exception in handler for GET /docs"
