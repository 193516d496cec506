"""The process model and lifecycle, on both engines (ENGINE_CONTRACT.md §5, issue 5).

Engine behaviour (graceful stop of one serving process) is checked on a server started
without ``--processes``; the supervisor's behaviour (several processes, SIGHUP, respawn, the
port check, load failures, recycling, ``--dev``) with ``--processes``. Every wait polls for a
state — a file a handler creates, a refused connection, a pid, an exit status — with a
deadline, so nothing passes or fails on timing alone.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import BANNER, ROOT, gone, wait_for

APP = "tests.apps.catalog:api"


# -- helpers ---------------------------------------------------------------------------------


@dataclass
class Server:
    """A ``bolt serve`` process whose output goes to a file, readable at any time."""

    process: subprocess.Popen[bytes]
    log: Path
    host: str = ""
    port: int = 0

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for_output(self, text: str) -> None:
        wait_for(lambda: text in self.output(), repr(text))

    def stop(self) -> str:
        """SIGTERM (SIGKILL if it hangs); everything it printed."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output()


@pytest.fixture
def serve(engine: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``serve(*flags, app=..., cwd=...)``: start ``bolt serve`` on ``engine`` and wait for
    its banner; every server is stopped at the end of the test, whatever the outcome."""
    started: list[Server] = []

    def start(
        *args: str,
        app: str = APP,
        cwd: Path = ROOT,
        command: tuple[str, ...] = ("-m", "bolt_api", "serve"),
        env: dict[str, str] | None = None,
    ) -> Server:
        log = tmp_path / f"server-{len(started)}.log"
        if command[-1] == "serve":
            args = (app, *args)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, *command, *args, "--engine", engine, "--port", "0"],
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            )
        srv = Server(process, log)
        started.append(srv)
        wait_for(lambda: BANNER.search(srv.output()) or not srv.alive(), "the banner", 60)
        match = BANNER.search(srv.output())
        assert match is not None, f"the {engine} server did not start:\n{srv.output()}"
        assert match["engine"] == engine
        srv.host, srv.port = match["host"].strip("[]"), int(match["port"])
        return srv

    yield start
    for srv in started:
        srv.stop()


def exit_status(srv: Server, timeout: float = 15.0) -> int:
    return srv.process.wait(timeout=timeout)


def connect(srv: Server) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=10)


def refuses_connections(srv: Server) -> bool:
    try:
        connect(srv).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # caught by the closing listener: ask again
        return False
    return False


def send_get(sock: socket.socket, target: str) -> None:
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode())


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes] | None:
    """One response, or ``None`` when the server closed the connection before one came."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
    except ConnectionResetError:
        return None
    return int(lines[0].split()[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def get_pid(srv: Server) -> int:
    """The pid of the process answering a fresh connection (``/pid``)."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
    try:
        conn.request("GET", "/pid", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.status == 200
        pid: int = json.loads(response.read())["pid"]
        return pid
    finally:
        conn.close()


def serving_pids(srv: Server, count: int) -> set[int]:
    """Sample fresh connections until ``count`` distinct processes have answered."""
    pids: set[int] = set()
    for _ in range(500):
        pids.add(get_pid(srv))
        if len(pids) >= count:
            return pids
    raise AssertionError(f"only {len(pids)} process(es) answered: {pids}")


class Load:
    """Requests ``/pid`` in a loop, one fresh connection each (what nginx does by default)."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.ok = 0
        self.failures: list[str] = []
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        deadline = time.monotonic() + 60  # bounded, whatever happens to the test
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self.pids.add(get_pid(self.srv))
                self.ok += 1
            except (OSError, http.client.HTTPException, AssertionError) as exc:
                self.failures.append(repr(exc))

    def wait_for_requests(self, n: int) -> None:
        start = self.ok
        wait_for(lambda: self.ok >= start + n, f"{n} requests under load")


# -- one serving process: the engines' graceful stop -----------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_in_flight_request_completes_on_sigterm(
    serve: Callable[..., Server], tmp_path: Path, sig: signal.Signals
) -> None:
    srv = serve("--graceful-timeout", "20")
    mark = tmp_path / "started"
    with connect(srv) as sock:
        send_get(sock, f"/lifecycle/slow?ms=1500&mark={mark}")
        wait_for(mark.exists, "the request to be in flight")
        srv.process.send_signal(sig)
        wait_for(lambda: refuses_connections(srv), "the listener to close")
        response = read_response(sock)
        assert response is not None, "the in-flight request was cut"
        status, headers, body = response
        assert status == 200
        assert json.loads(body)["slept_ms"] == 1500
        assert headers.get("connection") == "close"
        assert closed_by_server(sock)
    assert exit_status(srv) == 0


def answered_then_closed(sock: socket.socket, dropped: str) -> None:
    """A 200 with ``connection: close`` comes on ``sock``, then the server closes it."""
    response = read_response(sock)
    assert response is not None, dropped
    assert response[0] == 200
    assert response[1].get("connection") == "close"
    assert closed_by_server(sock)


def test_a_connection_made_just_before_the_stop_gets_its_first_request_answered(
    serve: Callable[..., Server],
) -> None:
    """Connected, nothing sent yet, then the stop: its request is still answered (closing)."""
    srv = serve("--graceful-timeout", "20")
    with connect(srv) as sock:
        srv.process.send_signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(srv), "the listener to close")
        send_get(sock, "/")
        answered_then_closed(sock, "the connection made before the stop was dropped")
    assert exit_status(srv) == 0


def test_a_head_half_received_at_the_stop_is_answered(serve: Callable[..., Server]) -> None:
    """On a kept-alive connection, the next head is half sent when the stop comes."""
    srv = serve("--graceful-timeout", "20", "--keep-alive", "60")
    with connect(srv) as sock:
        send_get(sock, "/")
        first = read_response(sock)
        assert first is not None and first[1].get("connection") != "close"
        sock.sendall(b"GET / HTTP/1.1\r\nHo")
        time.sleep(0.2)  # the half head reaches the server before the signal
        srv.process.send_signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(srv), "the listener to close")
        sock.sendall(b"st: test\r\n\r\n")
        answered_then_closed(sock, "the half-received request was dropped")
    assert exit_status(srv) == 0


def test_slow_request_is_cut_after_the_graceful_timeout(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    srv = serve("--graceful-timeout", "1")
    mark = tmp_path / "started"
    with connect(srv) as sock:
        send_get(sock, f"/lifecycle/slow?ms=60000&mark={mark}")
        wait_for(mark.exists, "the request to be in flight")
        srv.process.send_signal(signal.SIGTERM)
        assert read_response(sock) is None  # cut: the connection closes without an answer
    assert exit_status(srv) == 0
    assert "graceful timeout (1s) expired; cutting 1 request(s) in flight" in srv.output()


def test_idle_keep_alive_connection_is_closed_on_sigterm(serve: Callable[..., Server]) -> None:
    srv = serve("--keep-alive", "120")
    with connect(srv) as sock:
        send_get(sock, "/")
        response = read_response(sock)
        assert response is not None and response[0] == 200
        assert response[1].get("connection") != "close"  # kept alive, now idle
        srv.process.send_signal(signal.SIGTERM)
        # Promptly: long before the 120 s keep-alive timeout (the socket timeout is 10 s).
        assert closed_by_server(sock)
    assert exit_status(srv) == 0


def test_second_sigint_stops_at_once(serve: Callable[..., Server], tmp_path: Path) -> None:
    srv = serve("--processes", "1", "--graceful-timeout", "120")
    mark = tmp_path / "started"
    with connect(srv) as sock:
        send_get(sock, f"/lifecycle/slow?ms=120000&mark={mark}")
        wait_for(mark.exists, "the request to be in flight")
        srv.process.send_signal(signal.SIGINT)
        wait_for(lambda: refuses_connections(srv), "the listener to close")
        assert srv.alive()  # draining: the request may take up to 120 s
        srv.process.send_signal(signal.SIGINT)
        assert exit_status(srv) == 130  # long before the 120 s
        assert read_response(sock) is None


# -- the supervisor ----------------------------------------------------------------------------


def test_processes_serve_from_several_pids(serve: Callable[..., Server]) -> None:
    srv = serve("--processes", "2")
    assert "processes=2" in srv.output()
    pids = serving_pids(srv, 2)
    assert len(pids) == 2
    assert srv.process.pid not in pids  # the parent supervises, the children serve
    srv.process.send_signal(signal.SIGTERM)
    assert exit_status(srv) == 0
    wait_for(lambda: all(gone(pid) for pid in pids), "the children to exit")


def test_killed_process_is_respawned(serve: Callable[..., Server]) -> None:
    srv = serve("--processes", "2")
    before = serving_pids(srv, 2)
    victim = min(before)
    with Load(srv) as load:
        load.wait_for_requests(20)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: gone(victim), "the killed process to be reaped")
        wait_for(lambda: load.pids - before, "a new process to answer")
    assert srv.alive()
    assert len(serving_pids(srv, 2) - {victim}) == 2
    assert f"process {victim} died (signal SIGKILL)" in srv.stop()


def test_sighup_rolling_restart_fails_no_request(serve: Callable[..., Server]) -> None:
    srv = serve("--processes", "2")
    before = serving_pids(srv, 2)
    with Load(srv) as load:
        load.wait_for_requests(20)
        srv.process.send_signal(signal.SIGHUP)
        wait_for(lambda: all(gone(pid) for pid in before), "the old processes to stop")
        seen = len(load.pids)
        load.wait_for_requests(20)
    assert load.failures == []
    assert load.pids - before, "no new process answered"
    assert seen >= 3
    after = serving_pids(srv, 2)
    assert not after & before
    output = srv.stop()
    assert "every process is up to date" in output
    assert "stopped with" not in output  # every old process exited 0 after its drain
    assert srv.process.returncode == 0


def test_max_requests_recycles_without_failures(serve: Callable[..., Server]) -> None:
    srv = serve("--max-requests", "30")
    first = get_pid(srv)
    with Load(srv) as load:
        wait_for(lambda: gone(first), "the process to be recycled")
        load.wait_for_requests(10)
    assert load.failures == []
    assert len(load.pids) >= 2
    assert "--max-requests reached" in srv.stop()


def test_port_taken_by_another_program_is_refused(engine: str) -> None:
    with socket.socket() as stranger:
        # Even one that allows sharing: SO_REUSEPORT must not join a stranger's port.
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bolt_api",
                "serve",
                APP,
                "--engine",
                engine,
                "--processes",
                "2",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port}: another program is already listening there" in result.stderr
    assert "Bolt serving" not in result.stdout


def test_app_that_fails_to_load_stops_the_server(engine: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bolt_api",
            "serve",
            "tests.apps.broken:api",
            "--engine",
            engine,
            "--processes",
            "2",
            "--port",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "tests.apps.broken fails to load on purpose" in result.stderr
    assert "failed while loading the app" in result.stderr
    assert "Bolt serving" not in result.stdout


DEV_APP = """
import os
from bolt_api import BoltAPI

api = BoltAPI()

@api.get("/version")
def version() -> dict:
    return {"version": VERSION, "pid": os.getpid()}

VERSION = 1
"""


#: What the parent says at start about each watcher (``$BOLT_RELOADER`` forces one).
WATCHERS = {
    "watchfiles": "--dev: watching the .py files under {root} with watchfiles",
    "poll": "--dev: polling the .py files under {root} every 0.5s (BOLT_RELOADER=poll)",
}


@pytest.mark.parametrize("reloader", sorted(WATCHERS))
def test_dev_restarts_on_change_and_waits_out_a_syntax_error(
    serve: Callable[..., Server], tmp_path: Path, reloader: str
) -> None:
    module = tmp_path / "devapp.py"
    module.write_text(DEV_APP)
    srv = serve(
        "--dev",
        "--graceful-timeout",
        "2",
        app="devapp:api",
        cwd=tmp_path,
        env={"BOLT_RELOADER": reloader},
    )
    assert WATCHERS[reloader].format(root=tmp_path) in srv.output()

    def version() -> int | None:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        try:
            conn.request("GET", "/version")
            value: int = json.loads(conn.getresponse().read())["version"]
            return value
        except OSError:
            return None
        finally:
            conn.close()

    assert version() == 1
    module.write_text(DEV_APP.replace("VERSION = 1", "VERSION = (2"))  # a syntax error
    srv.wait_for_output("the app failed to load")
    assert refuses_connections(srv)
    assert srv.alive()  # waiting for the next change ...
    module.write_text(DEV_APP.replace("VERSION = 1", "VERSION = 3"))
    wait_for(lambda: version() == 3, "the fixed code to be served")
    output = srv.stop()
    assert "SyntaxError" in output
    assert output.count("the app failed to load") == 1  # ... not crash-looping
    assert output.count("bolt: --dev:") == 1  # the watcher is named once
    assert srv.process.returncode == 0


def test_runbolt_supervises_django_processes(serve: Callable[..., Server], tmp_path: Path) -> None:
    example = ROOT / "examples"
    env = {"BOLT_EXAMPLE_DB": str(tmp_path / "db.sqlite3")}
    for command in (("migrate", "--verbosity", "0"), ("seed",)):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=example,
            check=True,
            capture_output=True,
            env={**os.environ, **env},
            timeout=120,
        )
    srv = serve(
        "--host",
        "127.0.0.1",
        "--processes",
        "2",
        cwd=example,
        command=("manage.py", "runbolt"),
        env=env,
    )
    for _ in range(10):  # the async ORM, from both processes (fresh connections)
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        conn.request("GET", "/db/items", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.status == 200 and len(json.loads(response.read())) >= 3
        conn.close()
    output = srv.stop()
    assert srv.process.returncode == 0
    assert output.count("Found 1 Bolt API") == 1  # one process reports, the other is quiet
    assert output.count("System check identified no issues") == 1
    assert "processes=2" in output
