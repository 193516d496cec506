"""Starting, checking and stopping a target's server process.

Each server is its own process group pinned to the server core (``taskset``), dies with the
runner (``PR_SET_PDEATHSIG``), is polled for readiness (no sleeps), and is checked endpoint
by endpoint (``verify``) before and after its runs. ``LIVE`` lists the servers still up, so
a failure anywhere stops them all.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.apps.common import SLOW
from benchmarks.bench.ablation import ablation_args
from benchmarks.bench.base import ROOT, BenchFailure, log
from benchmarks.bench.endpoints import Endpoint, request_headers
from benchmarks.bench.nginx import nginx_binary, write_nginx_conf
from benchmarks.bench.targets import Env, Target, target_env

__all__ = ["LIVE", "Server", "fetch", "free_port", "server_command", "start_server", "verify"]


def server_command(target: Target, env: Env, port: int) -> list[str]:
    py = str(env.pythons.get(target.name, sys.executable))
    host = "127.0.0.1"
    if target.engine is not None:  # Bolt
        return [
            py,
            "-m",
            "django",
            "runbolt",
            "--engine",
            target.engine,
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            "1",
            *(target.log_args if target.access_log else ()),
            *ablation_args(target),
        ]
    if target.name in ("django-bolt", "django-bolt-log"):
        return [
            py,
            "-m",
            "django",
            "runbolt",
            "--host",
            host,
            "--port",
            str(port),
            "--processes",
            "1",
            "--workers",
            "1",
        ]
    if target.name in ("fastapi", "uvicorn-raw"):
        app = (
            "benchmarks.apps.fastapi_app:app"
            if target.name == "fastapi"
            else "benchmarks.apps.asgi_app:app"
        )
        extra = [] if target.name == "fastapi" else ["--lifespan", "off"]
        return [
            py,
            "-m",
            "uvicorn",
            app,
            "--host",
            host,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ]
    if target.name == "granian-rsgi":
        granian = str(Path(py).parent / "granian")
        return [
            granian,
            "--interface",
            "rsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--http",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--no-access-log",
            "--log-level",
            "warning",
            "benchmarks.apps.rsgi_app:app",
        ]
    if target.name == "nginx":
        conf = write_nginx_conf(env.tmp / "nginx", port)
        return [
            nginx_binary(),
            "-p",
            str(conf.parent),
            "-c",
            str(conf),
            "-e",
            str(conf.parent / "error.log"),
        ]
    raise AssertionError(target.name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(eq=False)
class Server:
    target: Target
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (only its last 64 KB are read: an access log is big)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the server (it is its own process group), then SIGKILL what is left."""
        if self in LIVE:
            LIVE.remove(self)
        pgid = self.process.pid
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"{self.target.name}: no exit 10 s after SIGTERM, sending SIGKILL")
                self.process.kill()
                self.process.wait(timeout=10)
        # Children (a Granian worker, an nginx worker) left behind in the group.
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(pgid, signal.SIGKILL)


#: Servers started and not yet stopped: ``main`` stops them whatever happens.
LIVE: list[Server] = []


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner dies, so no server outlives it."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_server(target: Target, env: Env, log_path: Path, timeout: float = 90.0) -> Server:
    port = free_port()
    cmd = ["taskset", "-c", str(env.args.server_cpu), *server_command(target, env, port)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        out.write(f"$ {shlex.join(cmd)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=target_env(target, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = Server(target, port, process, log_path)
    LIVE.append(server)
    deadline = time.monotonic() + timeout
    while True:
        if not server.alive():
            raise BenchFailure(
                f"{target.name} exited with {process.returncode} before "
                f"listening:\n{server.log_tail()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise BenchFailure(
                f"{target.name} did not listen on :{port} within {timeout:.0f} s:"
                f"\n{server.log_tail()}"
            )
        time.sleep(0.02)  # polling interval, not a settle delay
    return server


def fetch(
    port: int, ep: Endpoint, path: str | None = None, anonymous: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """``ep``'s request (at ``path`` instead when given; without its token if ``anonymous``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = request_headers(ep)
        if anonymous:
            headers.pop("Authorization", None)
        conn.request(ep.method, path or ep.path, body=ep.body, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def _checked_fetch(
    server: Server, ep: Endpoint, path: str | None = None, anonymous: bool = False
) -> tuple[int, dict[str, str], bytes]:
    try:
        return fetch(server.port, ep, path, anonymous)
    except (OSError, http.client.HTTPException) as exc:
        raise BenchFailure(
            f"{server.target.name} {ep.key} {ep.method} {path or ep.path}: "
            f"{type(exc).__name__}: {exc}\n{server.log_tail()}"
        ) from exc


def _check_feature(server: Server, ep: Endpoint, headers: dict[str, str]) -> str | None:
    """What is wrong with ``ep``'s feature (its headers, its refusal, its slow route)."""
    for name, want in ep.expect_headers:
        got = headers.get(name)
        if got != want:
            return f"header {name}: expected {want!r}, got {got!r}"
    if ep.refused_status is not None:
        status, _, body = _checked_fetch(server, ep, anonymous=True)
        if status != ep.refused_status:
            return f"without its token: expected {ep.refused_status}, got {status}: {body[:200]!r}"
    if ep.background is not None:
        status, _, body = _checked_fetch(server, ep, ep.background)
        try:
            slow = json.loads(body)
        except ValueError:
            slow = None
        if status != 200 or slow != SLOW:
            return f"GET {ep.background}: expected 200 {SLOW}, got {status}: {body[:200]!r}"
    return None


def verify(server: Server, endpoints: list[Endpoint]) -> dict[str, dict[str, Any]]:
    """Check every endpoint's status, body and feature; raise BenchFailure on a mismatch."""
    seen: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        status, headers, body = _checked_fetch(server, ep)
        if status != ep.status:
            raise BenchFailure(
                f"{server.target.name} {ep.key} {ep.method} {ep.path}: expected "
                f"status {ep.status}, got {status}: {body[:300]!r}"
            )
        problem = ep.check(body) if ep.check is not None else None
        problem = problem or _check_feature(server, ep, headers)
        if problem:
            raise BenchFailure(f"{server.target.name} {ep.key} {ep.method} {ep.path}: {problem}")
        framing = (
            "chunked"
            if "chunked" in headers.get("transfer-encoding", "")
            else f"content-length {headers.get('content-length')}"
        )
        seen[ep.key] = {
            "status": status,
            "bytes": len(body),
            "framing": framing,
            "content_type": headers.get("content-type"),
        }
    return seen
