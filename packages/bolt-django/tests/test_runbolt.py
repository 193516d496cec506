from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from bolt_api import BoltAPI
from bolt_api.server import banner
from bolt_django.management.commands import runbolt
from django.core.management import CommandError, call_command
from django.test import override_settings


class FakeServe:
    """Stands in for ``bolt_api.serve``: records the call and prints the banner."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, api: BoltAPI, engine: str, host: str, port: int, *, out: Any, **options: Any
    ) -> None:
        self.calls.append({"api": api, "engine": engine, "host": host, "port": port, **options})
        out.write(banner(engine, host, port or 54321) + "\n")
        out.flush()


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> FakeServe:
    """No engine is needed: the name check passes and serving is recorded."""
    fake = FakeServe()
    monkeypatch.setattr(runbolt, "load_engine", lambda name: object())
    monkeypatch.setattr(runbolt, "serve", fake)
    monkeypatch.delenv("BOLT_WORKERS", raising=False)
    return fake


def run(*args: str) -> str:
    out = StringIO()
    call_command("runbolt", *args, "--skip-checks", stdout=out)
    return out.getvalue()


def test_unknown_engine_names_the_engines() -> None:
    with pytest.raises(CommandError) as info:
        call_command("runbolt", "--engine", "nope", stdout=StringIO())
    message = str(info.value)
    assert "'nope'" in message
    assert "'rust'" in message and "'python'" in message


def test_engine_checked_before_discovery() -> None:
    with (
        override_settings(BOLT_API=["no_such_module_xyz:api"]),
        pytest.raises(CommandError, match="Unknown engine 'nope'"),
    ):
        call_command("runbolt", "--engine", "nope", stdout=StringIO())


def test_serves_merged_apis_with_defaults(fake_serve: FakeServe) -> None:
    output = run()
    [call] = fake_serve.calls
    assert call["engine"] == "rust"
    assert (call["host"], call["port"]) == ("127.0.0.1", 8000)
    assert (call["workers"], call["backlog"], call["keep_alive"]) == (1, 1024, 5.0)
    paths = {route.template.source for route in call["api"].routes}
    assert paths == {"/project", "/items", "/items/{item_id}"}
    assert "Found 2 Bolt APIs:" in output
    assert "testproject.api:api (1 route)" in output
    assert "shop.api:api (2 routes)" in output
    assert "Serving 3 routes." in output
    assert "Bolt serving on http://127.0.0.1:8000 (engine=rust" in output


def test_options_reach_serve(fake_serve: FakeServe) -> None:
    output = run(
        "--engine",
        "python",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        "3",
        "--backlog",
        "16",
        "--keep-alive",
        "0.5",
    )
    [call] = fake_serve.calls
    assert call["engine"] == "python"
    assert (call["host"], call["port"]) == ("127.0.0.1", 0)
    assert (call["workers"], call["backlog"], call["keep_alive"]) == (3, 16, 0.5)
    assert "Bolt serving on http://127.0.0.1:54321 (engine=python" in output


def test_workers_default_from_environment(
    fake_serve: FakeServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOLT_WORKERS", "4")
    run()
    assert fake_serve.calls[0]["workers"] == 4


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--workers", "0"], None, "--workers must be 1 or more"),
        ([], "many", "$BOLT_WORKERS must be an integer"),
        (["--port", "70000"], None, "--port must be 0-65535"),
        (["--backlog", "0"], None, "--backlog must be 1 or more"),
        (["--keep-alive", "-1"], None, "--keep-alive must be 0 or more"),
    ],
)
def test_bad_options(
    fake_serve: FakeServe,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    message: str,
) -> None:
    if env is not None:
        monkeypatch.setenv("BOLT_WORKERS", env)
    with pytest.raises(CommandError) as info:
        run(*args)
    assert message in str(info.value)
    assert fake_serve.calls == []


def test_route_conflict_is_a_command_error(fake_serve: FakeServe) -> None:
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "shop", "clash"]),
        pytest.raises(CommandError, match=r"Route conflict: GET /items"),
    ):
        run()
    assert fake_serve.calls == []


def test_no_api_found(fake_serve: FakeServe) -> None:
    with (
        override_settings(BOLT_API=[]),
        pytest.raises(CommandError, match=r"No Bolt API found: .*api\.py.*BOLT_API"),
    ):
        run()


def test_bad_bolt_api_entry(fake_serve: FakeServe) -> None:
    with (
        override_settings(BOLT_API=["settings_apis:missing"]),
        pytest.raises(CommandError, match="'settings_apis:missing'"),
    ):
        run()


def test_keyboard_interrupt_exits_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runbolt, "load_engine", lambda name: object())
    monkeypatch.setattr(runbolt, "serve", interrupted)
    run()


def test_port_in_use_is_a_command_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def in_use(*args: Any, **kwargs: Any) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(runbolt, "load_engine", lambda name: object())
    monkeypatch.setattr(runbolt, "serve", in_use)
    with pytest.raises(CommandError, match="That port is already in use"):
        run("--port", "8123")


def test_system_checks_run_unless_skipped(fake_serve: FakeServe) -> None:
    out = StringIO()
    call_command("runbolt", stdout=out, skip_checks=False)  # call_command skips by default
    assert "System check identified no issues" in out.getvalue()
    assert fake_serve.calls


def test_uninstalled_engine_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bolt_api.engines.entry_points", lambda group: [])
    with pytest.raises(CommandError, match="install the 'bolt-rust' package"):
        call_command("runbolt", "--engine", "rust", stdout=StringIO())


@pytest.mark.parametrize(
    ("setting", "flags", "expected"),
    [
        (False, [], (False, None)),
        (True, [], (True, None)),
        ("/var/log/bolt.log", [], (False, "/var/log/bolt.log")),
        ("-", [], (False, "-")),
        (False, ["--access-log"], (True, None)),
        (True, ["--access-log-file", "/tmp/a.log"], (False, "/tmp/a.log")),
        ("/var/log/bolt.log", ["--access-log-file", "-"], (False, "-")),
    ],
)
def test_access_log_from_settings_and_flags(
    fake_serve: FakeServe, setting: Any, flags: list[str], expected: tuple[bool, str | None]
) -> None:
    """``BOLT_ACCESS_LOG = True`` logs through ``logging``; a path (``"-"``: stdout) has the
    engine write the file; the flags win over the setting."""
    with override_settings(BOLT_ACCESS_LOG=setting):
        run("--port", "0", *flags)
    [call] = fake_serve.calls
    assert (call["access_log"], call["access_log_file"]) == expected


HERE = Path(__file__).parent


def test_broken_api_module_is_one_line_naming_file_and_line(
    fake_serve: FakeServe, syntaxerr: Path
) -> None:
    """Issue 13: no 'System check identified no issues' then a long traceback; one line."""
    command = runbolt.Command(stdout=StringIO(), stderr=StringIO())
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "syntaxerr"]),
        pytest.raises(SystemExit) as info,
    ):
        command.run_from_argv(["manage.py", "runbolt"])
    assert info.value.code == 1
    [line] = command.stderr._out.getvalue().splitlines()  # type: ignore[attr-defined]
    assert line.startswith(f"DiscoveryError: {syntaxerr}:8: Bolt API module")
    assert "SyntaxError" in line
    assert "System check" not in command.stdout._out.getvalue()  # type: ignore[attr-defined]
    assert fake_serve.calls == []


def test_broken_api_module_traceback_with_the_flag(fake_serve: FakeServe) -> None:
    command = runbolt.Command(stdout=StringIO(), stderr=StringIO())
    with (
        override_settings(INSTALLED_APPS=["bolt_django", "broken"]),
        pytest.raises(CommandError) as info,
    ):
        command.run_from_argv(["manage.py", "runbolt", "--traceback"])
    assert str(info.value).startswith(f"{HERE / 'broken' / 'api.py'}:1: ")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)  # the traceback shown


def test_bad_entry_under_skip_checks_names_the_file(fake_serve: FakeServe) -> None:
    with (
        override_settings(BOLT_API=["shop.api:nope"]),
        pytest.raises(CommandError) as info,
    ):
        run()
    assert str(info.value) == (
        f"{HERE / 'shop' / 'api.py'}: settings.BOLT_API entry 'shop.api:nope' cannot be "
        "loaded: module 'shop.api' has no attribute 'nope'"
    )


@pytest.mark.parametrize(
    ("setting", "flags", "expected"),
    [
        (None, [], (True, None)),
        (False, [], (False, None)),
        ("-", [], (False, "-")),
        (None, ["--access-log-file", "/tmp/a.log"], (False, "/tmp/a.log")),
    ],
)
def test_dev_logs_every_request_unless_the_setting_says_otherwise(
    setting: Any, flags: list[str], expected: tuple[bool, str | None]
) -> None:
    """``--dev`` prints one line per request, as runserver does: the engines' access log
    through the 'django.server' logger, unless ``BOLT_ACCESS_LOG`` decides."""
    command = runbolt.Command()
    parser = command.create_parser("manage.py", "runbolt")
    options = vars(parser.parse_args(["--dev", *flags]))
    overrides = {} if setting is None else {"BOLT_ACCESS_LOG": setting}
    with override_settings(**overrides):
        chosen = command.server_options(options)
    assert (chosen["access_log"], chosen["access_log_file"]) == expected
    without_dev = command.server_options(vars(parser.parse_args([])))
    assert without_dev["access_log"] is False
