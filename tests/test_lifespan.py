"""The lifespan and the health endpoints, on both engines (issue 13, items 4 and 5).

Servers run ``bolt serve tests.apps.lifespan_app:api`` in a subprocess; the app's lifespan
writes ``startup <pid>`` / ``shutdown <pid>`` to a file, so the order of start-up, banner,
requests, SIGTERM and shut-down is read from what happened, with polled waits only.
``TestClient`` runs the lifespan in this process (an API without Django, defined here).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from bolt_api import BoltAPI
from bolt_api.exceptions import LifespanError
from bolt_api.health import HealthCheck, register_health_checks
from bolt_api.testing import TestClient

from .conftest import BANNER, ROOT, start_server, wait_for
from .postgres import Cluster, find_binaries

APP = "tests.apps.lifespan_app:api"
PROJECT = "tests.apps.lifespanproject.settings"
FAILED = (
    "bolt: error: the lifespan lifespan() failed at start-up: "
    "ConnectionError: the cache is not reachable"
)


@dataclass
class Proc:
    """A ``bolt serve`` process whose output goes to a file."""

    process: subprocess.Popen[bytes]
    out: Path
    events: Path
    url: str = ""

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def lines(self) -> list[str]:
        """The lifespan's (and /slow's) records, in order."""
        return self.events.read_text().split() if self.events.exists() else []

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def port_flags(engine: str) -> list[str]:
    return ["--engine", engine, "--port", "0"]


@pytest.fixture
def spawn(engine: str, tmp_path: Path) -> Iterator[Any]:
    """``spawn(*flags, env=..., ready=True)``: start the lifespan app on ``engine``."""
    started: list[Proc] = []

    def start(*flags: str, env: dict[str, str] | None = None, ready: bool = True) -> Proc:
        n = len(started)
        proc_out, events = tmp_path / f"out-{n}.log", tmp_path / f"events-{n}.log"
        with proc_out.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bolt_api", "serve", APP, *flags, *port_flags(engine)],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "BOLT_LIFESPAN_LOG": str(events),
                    "BOLT_LIFESPAN_STDOUT": "1",
                    "BOLT_TEST_SQLITE": str(tmp_path / "db.sqlite3"),
                    **(env or {}),
                },
            )
        proc = Proc(process, proc_out, events)
        started.append(proc)
        if ready:
            wait_for(lambda: BANNER.search(proc.output()) or process.poll() is not None, "banner")
            match = BANNER.search(proc.output())
            assert match is not None, proc.output()
            assert match["engine"] == engine
            proc.url = f"http://{match['host']}:{match['port']}"
        return proc

    yield start
    for proc in started:
        proc.terminate()


# -- lifespan through real HTTP -----------------------------------------------------------


def test_lifespan_brackets_serving(spawn: Any) -> None:
    """Start-up ends before the banner (and any answer); shut-down follows the drain."""
    srv = spawn()
    pid = srv.process.pid
    assert srv.lines() == ["startup", str(pid)]
    out = srv.output()
    assert out.index(f"startup {pid}") < BANNER.search(out).start()  # type: ignore[union-attr]
    state = httpx.get(srv.url + "/state", timeout=10).json()
    assert state == {"loop": state["loop"], "pid": pid, "api": True, "same_loop": True}

    result: list[int] = []
    slow = threading.Thread(
        target=lambda: result.append(httpx.get(srv.url + "/slow", timeout=10).status_code)
    )
    slow.start()
    wait_for(lambda: "request-begun" in srv.lines(), "the slow request")
    srv.process.send_signal(signal.SIGTERM)
    assert srv.process.wait(timeout=30) == 0
    slow.join(10)
    assert result == [200]
    assert srv.lines()[::2] == ["startup", "request-begun", "request-done", "shutdown"]
    assert srv.lines()[-1] == str(pid)


def test_each_process_enters_its_lifespan(spawn: Any) -> None:
    srv = spawn("--processes", "2")
    wait_for(lambda: srv.lines().count("startup") == 2, "two start-ups")
    started = set(srv.lines()[1::2])
    assert len(started) == 2 and str(srv.process.pid) not in started  # the children's
    pids = {httpx.get(srv.url + "/state", timeout=10).json()["pid"] for _ in range(40)}
    assert {str(p) for p in pids} <= started
    assert srv.terminate() == 0
    events = srv.lines()
    stopped = {events[i + 1] for i in range(0, len(events), 2) if events[i] == "shutdown"}
    assert stopped == started


def test_a_failing_startup_stops_the_process(spawn: Any) -> None:
    srv = spawn(env={"BOLT_LIFESPAN_FAIL": "1"}, ready=False)
    assert srv.process.wait(timeout=30) == 1
    out = srv.output()
    assert FAILED in out
    assert "ConnectionError: the cache is not reachable" in out.split(FAILED)[0]  # traceback
    assert not BANNER.search(out)
    assert srv.lines() == []


def test_a_failing_startup_is_not_respawned(spawn: Any) -> None:
    srv = spawn("--processes", "2", env={"BOLT_LIFESPAN_FAIL": "1"}, ready=False)
    status = srv.process.wait(timeout=30)
    out = srv.output()
    assert status != 0, out
    assert not BANNER.search(out)
    assert 1 <= out.count(FAILED) <= 2, out  # each child at most once: no respawn loop


def test_runbolt_runs_the_lifespan(engine: str, tmp_path: Path) -> None:
    events = tmp_path / "events.log"
    srv = start_server(
        ["-m", "django", "runbolt", *port_flags(engine)],
        engine,
        env={"DJANGO_SETTINGS_MODULE": PROJECT, "BOLT_LIFESPAN_LOG": str(events)},
    )
    try:
        assert events.read_text().split()[0] == "startup"
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            assert client.get("/state").json()["same_loop"] is True
            assert client.get("/ready").json()["checks"]["check_database"]["healthy"] is True
    finally:
        srv.stop()
    assert srv.process.returncode == 0
    assert events.read_text().split()[::2] == ["startup", "shutdown"]


def test_runbolt_reports_a_failing_startup(engine: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "runbolt", *port_flags(engine)],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": PROJECT,
            "PYTHONPATH": str(ROOT),
            "BOLT_LIFESPAN_FAIL": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert FAILED.replace("bolt: error", "CommandError") in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert not BANNER.search(result.stdout)


# -- TestClient -----------------------------------------------------------------------------


def _recording_api(events: list[str], name: str, fail: bool = False) -> BoltAPI:
    @contextlib.asynccontextmanager
    async def lifespan(api: BoltAPI) -> AsyncIterator[None]:
        if fail:
            raise KeyError("missing")
        events.append(f"{name} up")
        try:
            yield
        finally:  # also when a later lifespan's start-up raised
            events.append(f"{name} down")

    api = BoltAPI(lifespan=lifespan)

    @api.get(f"/{name}")
    def seen() -> list[str]:
        return events

    return api


def test_testclient_runs_the_lifespan(engine: str) -> None:
    events: list[str] = []
    api = _recording_api(events, "a")
    with TestClient(api, engine) as client:
        assert events == ["a up"]
        assert client.get("/a").json() == ["a up"]
    assert events == ["a up", "a down"]


def test_merged_and_mounted_lifespans_run_in_order(engine: str) -> None:
    events: list[str] = []
    a, b, c = (_recording_api(events, n) for n in "abc")
    a.mount("/x", c)
    b.mount("/y", c)  # c in both: entered once
    merged = BoltAPI.merge([a, b])
    with TestClient(merged, engine) as client:
        assert client.get("/y/c").json() == ["a up", "c up", "b up"]
    assert events[3:] == ["b down", "c down", "a down"]


def test_testclient_reports_a_failing_startup(engine: str) -> None:
    events: list[str] = []
    api = BoltAPI.merge([_recording_api(events, "a"), _recording_api(events, "b", fail=True)])
    with pytest.raises(LifespanError, match=r"failed at start-up: KeyError: 'missing'"):
        TestClient(api, engine)
    assert events == ["a up", "a down"]  # what was entered is exited


# -- health ------------------------------------------------------------------------------------


def test_health_and_ready(spawn: Any, tmp_path: Path) -> None:
    flag, slow = tmp_path / "fail", tmp_path / "slow"
    srv = spawn(env={"BOLT_HEALTH_FAIL": str(flag), "BOLT_HEALTH_SLOW": str(slow)})
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "healthy",
            "checks": {
                "check_database": {"healthy": True, "message": "Database connection OK"},
                "custom_flag": {"healthy": True, "message": "no flag"},
            },
        }
        flag.touch()
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["custom_flag"]
        assert ready.json()["checks"]["custom_flag"]["message"] == "flag file present"
        assert client.get("/health").status_code == 200  # liveness is not readiness
        flag.unlink()
        slow.touch()
        began = time.monotonic()
        fast = client.get("/fast/ready")
        assert time.monotonic() - began < 5
        assert fast.status_code == 503
        assert fast.json()["failing"] == ["slow_check"]
        assert fast.json()["checks"]["slow_check"]["message"] == "timed out after 0.5s"
        paths = client.get("/docs/openapi.json").json()["paths"]
        assert set(paths) == {"/state", "/slow"}


def test_ready_sees_a_database_that_is_down(spawn: Any) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    bin_dir = find_binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    cluster = Cluster(bin_dir)
    cluster.start()
    try:
        srv = spawn(env={"BOLT_TEST_PG": cluster.dsn})
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            assert client.get("/ready").status_code == 200
            cluster._run("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")
            down = client.get("/ready")
            assert down.status_code == 503
            assert down.json()["failing"] == ["check_database"]
            assert down.json()["checks"]["check_database"]["message"].startswith(
                "database 'default' unreachable: "
            )
            cluster.start()
            assert client.get("/ready").status_code == 200  # a fresh connection: recovered
    finally:
        cluster.stop()


def test_health_checks_sync_async_and_raising(engine: str) -> None:
    async def async_ok() -> tuple[bool, str]:
        return True, "fine"

    def raises() -> bool:
        raise OSError("disk gone")

    def plain_false() -> bool:
        return False

    api = BoltAPI()
    register_health_checks(api, HealthCheck([async_ok, raises, plain_false], timeout=2))
    with TestClient(api, engine) as client:
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unhealthy",
        "checks": {
            "async_ok": {"healthy": True, "message": "fine"},
            "raises": {"healthy": False, "message": "OSError: disk gone"},
            "plain_false": {"healthy": False, "message": "failed"},
        },
        "failing": ["raises", "plain_false"],
    }
